"""Opaque page cursors: a few text fields, URL-safe; a malformed token is a 422, never a 500."""

from __future__ import annotations

import base64
import binascii

from broker.errors import InvalidInput


def encode(*parts: str) -> str:
    return base64.urlsafe_b64encode("|".join(parts).encode()).decode().rstrip("=")


def decode(token: str, count: int) -> list[str]:
    try:
        parts = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode().split("|")
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise InvalidInput("cursor is malformed") from None
    if len(parts) != count:
        raise InvalidInput("cursor is malformed")
    return parts
