"""The console's edge: security headers (a strict CSP), signed cookies, CSRF tokens.

Cookies are signed with a key derived from the broker's signing key (HKDF, its own label), so
no new key file is needed and nothing the browser holds can be forged. CSRF tokens are HMACs of
the session (or, before sign-in, of a random pre-session cookie): a page's forms carry one, and
every POST must present it; a wrong or missing token is always refused.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_COOKIE = "fb_session"
PRE_COOKIE = "fb_pre"
LANG_COOKIE = "fb_lang"
CITIZEN_COOKIE = "fb_citizen"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def cookie_key(signing_key: Ed25519PrivateKey) -> bytes:
    raw = signing_key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                    serialization.NoEncryption())
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"footage-broker console cookies v1").derive(raw)


class Signer:
    """HMAC-SHA256 over a purpose label and a value; tokens compared in constant time."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def mac(self, purpose: str, value: str) -> str:
        return hmac.new(self._key, f"{purpose}|{value}".encode(), hashlib.sha256).hexdigest()

    def valid(self, purpose: str, value: str, mac: str) -> bool:
        return hmac.compare_digest(self.mac(purpose, value), mac)

    # the session cookie: token, when it was last used, and a MAC over both -----------------

    def session_cookie(self, token: str, seen: datetime) -> str:
        stamp = str(int(seen.timestamp()))
        return f"{token}~{stamp}~{self.mac('session', token + '~' + stamp)}"

    def open_session_cookie(self, value: str | None) -> tuple[str, datetime] | None:
        if not value or len(value) > 400:
            return None
        parts = value.split("~")
        if len(parts) != 3 or not parts[1].isdigit():
            return None
        token, stamp, mac = parts
        if not self.valid("session", token + "~" + stamp, mac):
            return None
        return token, datetime.fromtimestamp(int(stamp), UTC)

    def csrf_for(self, session_id: str | None, pre: str) -> str:
        return self.mac("csrf", f"session:{session_id}" if session_id else f"pre:{pre}")


def new_pre_session() -> str:
    return secrets.token_urlsafe(24)


def content_security_policy(tile_url: str) -> str:
    """No inline script or style anywhere; images from the tile server when one is set."""
    tiles = ""
    if tile_url:
        parts = urlsplit(tile_url.replace("{s}", "a"))
        host = parts.netloc.replace("a.", "*.", 1) if "{s}" in tile_url else parts.netloc
        tiles = f" {parts.scheme}://{host}"
    return ("default-src 'none'; script-src 'self'; style-src 'self'; "
            f"img-src 'self' data:{tiles}; media-src 'self'; connect-src 'self'; font-src 'self'; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


class SecurityHeaders:
    """Headers on every console and portal response; pages are never cached (static assets
    set their own caching)."""

    def __init__(self, app: ASGIApp, csp: str) -> None:
        self.app = app
        self.csp = csp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = self.csp
                headers["X-Content-Type-Options"] = "nosniff"
                headers["X-Frame-Options"] = "DENY"
                # same-origin, not no-referrer: under no-referrer a browser sends ``Origin: null``
                # with its own forms, and the origin check would refuse every one of them.
                headers["Referrer-Policy"] = "same-origin"
                headers["Cross-Origin-Opener-Policy"] = "same-origin"
                headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
                if "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
