from tests.web.conftest import *
def test_smoke(web, broker, officer):
    csrf = sign_in(web, broker, officer)
    for path in ["/console/", "/console/reviews", "/console/audit", "/console/ledger", "/console/chain", "/console/transparency", "/console/cameras"]:
        r = web.get(path)
        print(path, r.status_code, r.text[:300] if r.status_code != 200 else "")
    r = web.get("/portal/"); print("portal", r.status_code, r.text[:500] if r.status_code!=200 else "")
