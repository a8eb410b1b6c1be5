"""The delivered MP4 plays in a real browser: Debian's chromium, headless, driven by Playwright.

Skipped when /usr/bin/chromium is missing, unless BROKER_TEST_REQUIRE_BROWSER=1 (CI installs it).
The page gets the video over real HTTP from a small server on the loopback interface.
"""

from __future__ import annotations

import functools
import http.server
import threading

import pytest

from tests.redaction.conftest import delivered_video, file_and_grant

PAGE = """<!doctype html><html><body>
<video id="v" src="delivered.mp4" muted playsinline preload="auto"></video>
</body></html>"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_the_delivered_mp4_plays_in_chromium(api, broker, keys, models, street_clip, chromium, tmp_path):
    filed = file_and_grant(api, broker, keys, street_clip)
    broker.redactions.run()
    api.post(f"/v1/redactions/{filed.request_id}/approval", headers=filed.officer, json={"note": "ok"})
    broker.redactions.run()
    delivered = api.get(f"/v1/citizen-requests/{filed.request_id}/delivery", headers=filed.own)
    assert delivered.status_code == 200, delivered.text
    site = tmp_path / "site"
    site.mkdir()
    delivered_video(delivered.content, tmp_path, filed.clip_id).rename(site / "delivered.mp4")
    (site / "index.html").write_text(PAGE)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        page = chromium.new_page()
        try:
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/index.html")
            page.wait_for_function("document.getElementById('v').readyState >= 2", timeout=20_000)
            error = page.evaluate("document.getElementById('v').error?.code ?? null")
            assert error is None
            page.evaluate("document.getElementById('v').play()")
            page.wait_for_function("document.getElementById('v').currentTime > 0.3", timeout=20_000)
            size = page.evaluate("(v => [v.videoWidth, v.videoHeight])(document.getElementById('v'))")
            assert size == [1280, 720]
        finally:
            page.close()
    finally:
        server.shutdown()
        server.server_close()
