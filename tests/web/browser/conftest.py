"""Pages in a real headless Chromium (Debian's ``chromium``, driven by Playwright) against the
real app served by uvicorn on a loopback port, over a real broker on SQLite.

``BROKER_TEST_REQUIRE_BROWSER=1`` (set by .ci/run, which installs chromium) turns "no browser"
into a failure; elsewhere these tests skip and say why. Every page a test visits is checked
with axe-core and saved as a screenshot in tests/web/artifacts/.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from broker.bootstrap import Broker
from broker.entrypoints.api.main import create_app
from tests.support import node

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
BLOCKING = {"serious", "critical"}


@pytest.fixture
def served(broker: Broker) -> Iterator[str]:
    """The whole app (API, console, portal) on a real socket; its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(broker), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


class Pages:
    """Contexts (one per person) whose pages are checked for accessibility and saved."""

    def __init__(self, chromium: Any, base: str, test_name: str) -> None:
        self.chromium, self.base, self.test_name = chromium, base, test_name
        self.contexts: list[Any] = []
        self.axe = (node.module("axe-core") / "axe.min.js").read_text(encoding="utf-8")
        self.checked: list[str] = []
        self.refused: list[str] = []  # what our own CSP blocked: a page that half works

    def person(self, **options: Any) -> Any:
        context = self.chromium.new_context(base_url=self.base, accept_downloads=True,
                                            viewport={"width": 1280, "height": 900}, **options)
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.on("console", lambda message: self.refused.append(message.text)
                if message.type == "error" and "Content Security Policy" in message.text else None)
        return page

    def check(self, page: Any, name: str) -> None:
        """axe-core on the page as it is now: no serious or critical violation, nothing our CSP
        refused so far; a screenshot."""
        ARTIFACTS.mkdir(exist_ok=True)
        slug = re.sub(r"[^\w-]+", "-", f"{self.test_name}-{name}")
        page.screenshot(path=str(ARTIFACTS / f"{slug}.png"), full_page=True)
        page.evaluate(self.axe)
        result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        assert not self.refused, f"{name}: the CSP refused {self.refused[:3]}"
        bad = [v for v in result["violations"] if v.get("impact") in BLOCKING]
        (ARTIFACTS / f"{slug}.axe.json").write_text(json.dumps(result["violations"], indent=1))
        assert not bad, f"{name}: " + "; ".join(
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in bad)
        self.checked.append(name)

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def pages(chromium: Any, served: str, request: pytest.FixtureRequest) -> Iterator[Pages]:
    opened = Pages(chromium, served, request.node.name)
    try:
        yield opened
    finally:
        opened.close()
