"""Short-lived, signed tokens that let a stream gateway admit a live view of one camera.

Format: ``fbl1.<base64url(payload JSON)>.<base64url(Ed25519 signature)>``, the signature over
``fbl1.<payload part>``. The gateway can check them offline with the broker's published key,
or ask ``POST /v1/live/verify``, which also knows whether the grant was revoked since.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PREFIX = "fbl1"


@dataclass(frozen=True, slots=True)
class LiveClaims:
    grant_id: str
    camera_id: str
    issued_at: datetime
    expires_at: datetime
    key_id: str


class TokenError(ValueError):
    """Malformed, forged or expired; the message says which, never echoing the token."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue(claims: LiveClaims, key: Ed25519PrivateKey) -> str:
    payload = json.dumps({
        "typ": "live", "gid": claims.grant_id, "cam": claims.camera_id, "kid": claims.key_id,
        "iat": int(claims.issued_at.timestamp()), "exp": int(claims.expires_at.timestamp()),
    }, separators=(",", ":"), sort_keys=True).encode()
    signed = f"{PREFIX}.{_b64(payload)}"
    return f"{signed}.{_b64(key.sign(signed.encode()))}"


def verify(token: str, key: Ed25519PublicKey, now: datetime) -> LiveClaims:
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != PREFIX:
        raise TokenError("not a live token")
    try:
        signature = _unb64(parts[2])
        key.verify(signature, f"{parts[0]}.{parts[1]}".encode())
        payload = json.loads(_unb64(parts[1]))
        claims = LiveClaims(
            grant_id=str(payload["gid"]), camera_id=str(payload["cam"]), key_id=str(payload["kid"]),
            issued_at=datetime.fromtimestamp(int(payload["iat"]), UTC),
            expires_at=datetime.fromtimestamp(int(payload["exp"]), UTC),
        )
    except InvalidSignature:
        raise TokenError("signature does not verify") from None
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise TokenError("malformed token") from None
    if payload.get("typ") != "live":
        raise TokenError("not a live token")
    if now >= claims.expires_at:
        raise TokenError("token expired")
    return claims
