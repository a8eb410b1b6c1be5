"""The node tools the console's tests run: a real OpenID Connect provider (npm ``oidc-provider``)
and the axe-core accessibility checker, both installed into tests/node by ``npm ci``.

``BROKER_TEST_REQUIRE_NODE=1`` (set by .ci/run, which installs them) turns "not available"
into a failure; on a developer's machine without them the tests that need them skip.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

TOOLS = Path(__file__).resolve().parent.parent / "node"
MODULES = TOOLS / "node_modules"
STARTUP_TIMEOUT = 30.0


def required() -> bool:
    return os.environ.get("BROKER_TEST_REQUIRE_NODE") == "1"


def unavailable(reason: str) -> None:
    if required():
        pytest.fail(f"{reason} (BROKER_TEST_REQUIRE_NODE=1)")
    pytest.skip(reason)


def node_binary() -> str:
    found = shutil.which("node")
    if found is None:
        unavailable("node is not on PATH")
    assert found is not None
    return found


def module(name: str) -> Path:
    path = MODULES / name
    if not (path / "package.json").is_file():
        unavailable(f"npm package {name} is not installed (npm ci --prefix tests/node)")
    return path


@dataclass(frozen=True)
class OidcProvider:
    issuer: str
    client_id: str
    client_secret: str


@contextlib.contextmanager
def oidc_provider(redirect_uris: list[str], accounts: dict[str, dict[str, Any]]) -> Iterator[OidcProvider]:
    """``oidc-provider`` under node on a free loopback port, with one confidential client."""
    node = node_binary()
    module("oidc-provider")
    client_id, client_secret = "footage-broker", secrets.token_urlsafe(24)
    config = {"port": 0, "clientId": client_id, "clientSecret": client_secret,
              "redirectUris": redirect_uris, "accounts": accounts,
              "cookieKey": secrets.token_urlsafe(24)}
    process = subprocess.Popen([node, str(TOOLS / "oidc_provider.mjs"), json.dumps(config)],
                               cwd=TOOLS, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    errors: list[str] = []
    threading.Thread(target=lambda: errors.extend(process.stderr or []), daemon=True).start()
    try:
        ready: list[str] = []
        reader = threading.Thread(target=lambda: ready.append((process.stdout or iter(())).readline()),
                                  daemon=True)
        reader.start()
        reader.join(STARTUP_TIMEOUT)
        line = ready[0] if ready else ""
        if not line.startswith("ready "):
            process.kill()
            process.wait()
            raise RuntimeError(f"oidc-provider did not start: {line!r} {''.join(errors)[-2000:]}")
        yield OidcProvider(issuer=line.split()[1], client_id=client_id, client_secret=client_secret)
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
