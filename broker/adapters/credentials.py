"""Passwords (argon2id) and one-time codes (TOTP, RFC 6238) for people's accounts.

Only hashes and secrets pass through here, never into a log: the application seals them under
the person's subject key before anything is recorded. Every comparison is constant-time, and
an unknown account costs the same argon2 verification as a known one (``verify_dummy``).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

TOTP_PERIOD = 30
TOTP_DIGITS = 6
TOTP_SKEW = 1
"""One step before or after now is accepted: clocks of phones drift."""
PASSWORD_MIN = 12
PASSWORD_MAX = 1024

_hasher = PasswordHasher()  # argon2id, RFC 9106's second recommended profile (64 MiB, t=3, p=4)
_DUMMY = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    check_password(password)
    return _hasher.hash(password)


def check_password(password: str) -> None:
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise ValueError(f"a password has {PASSWORD_MIN} to {PASSWORD_MAX} characters")


def verify_password(stored_hash: str, password: str) -> bool:
    if len(password) > PASSWORD_MAX:
        return False
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def verify_dummy(password: str) -> None:
    """As long as a real verification: an unknown or locked account is not told apart by time."""
    verify_password(_DUMMY, password[:PASSWORD_MAX])


def new_password() -> str:
    """A generated first password: 20 URL-safe characters (120 bits)."""
    return secrets.token_urlsafe(15)


def new_totp_secret() -> str:
    return pyotp.random_base32(32)  # 160 bits, as RFC 4226 recommends


def totp_uri(secret: str, username: str, issuer: str) -> str:
    """``otpauth://`` for authenticator apps (type it in, or show it as a QR code)."""
    return pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_PERIOD).provisioning_uri(
        name=quote(username), issuer_name=issuer)


def totp_step(now: datetime) -> int:
    return int(now.timestamp()) // TOTP_PERIOD


def totp_code(secret: str, step: int) -> str:
    return pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_PERIOD).generate_otp(step)


@dataclass(frozen=True)
class CodeCheck:
    step: int | None
    """The time step the code matched (refused again later: no replay), or None."""


def verify_totp(secret: str, code: str, now: datetime) -> CodeCheck:
    """The step of ``code`` within the allowed skew, compared in constant time."""
    code = code.strip().replace(" ", "")
    if len(code) != TOTP_DIGITS or not code.isdigit():
        return CodeCheck(None)
    current = totp_step(now)
    matched = None
    for step in range(current - TOTP_SKEW, current + TOTP_SKEW + 1):
        if hmac.compare_digest(totp_code(secret, step), code):
            matched = step
    return CodeCheck(matched)
