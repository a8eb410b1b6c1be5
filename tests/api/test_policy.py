from __future__ import annotations

from broker.domain.roles import Role
from broker.policy import pack_digest
from tests.api.conftest import bearer
from tests.api.test_auth import assert_problem


def test_active_pack_is_discoverable(api, broker, keys):
    body = api.get("/v1/policy", headers=bearer(keys[Role.POLICE])).json()
    assert body["id"] == "kr-pipa"
    assert body["digest"] == pack_digest(broker.policy)
    bases = {basis["id"]: basis for basis in body["bases"]}
    assert "crime_investigation" in bases
    assert bases["crime_investigation"]["citation"].startswith("PIPA Art. 18(2)")
    assert bases["crime_investigation"]["limits"]["max_radius_m"] > 0


def test_policy_needs_a_key(api):
    assert_problem(api.get("/v1/policy"), 401)
