"""What every command group shares: consoles, settings, the broker, time options."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from rich.console import Console

from broker.application.actors import Actor
from broker.bootstrap import Broker, build
from broker.config import Settings, load_settings
from broker.errors import BrokerError, InvalidInput
from broker.merkle import CheckpointError, VerifierKey, parse_vkey

out = Console(soft_wrap=True)  # messages are never broken mid-line when piped
err = Console(stderr=True, soft_wrap=True)


def settings() -> Settings:
    return load_settings()


@contextmanager
def open_broker() -> Iterator[Broker]:
    broker = build(settings())
    try:
        yield broker
    finally:
        broker.close()


def shell() -> Actor:
    """Whoever runs the command: recorded by name, limited by nothing but file access."""
    return Actor.shell()


def aware(value: str | None, option: str) -> datetime | None:
    """An RFC 3339 option with its zone, or None when not given."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{option} {value!r} is not an RFC 3339 time") from None
    if moment.tzinfo is None:
        raise InvalidInput(f"{option} needs a timezone, e.g. 2026-11-01T00:00:00+09:00")
    return moment


def required(value: datetime | None, option: str) -> datetime:
    if value is None:
        raise InvalidInput(f"{option} is required")
    return value


def load_public_key(path: Path) -> Ed25519PublicKey:
    """An Ed25519 public key from a PEM file, or a one-line error."""

    try:
        key = load_pem_public_key(path.read_bytes())
    except (ValueError, TypeError):
        raise BrokerError(f"{path} is not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise BrokerError(f"{path} is not an Ed25519 public key")
    return key


def parse_key(text: str, option: str) -> VerifierKey:
    """A C2SP verifier key (``name+id+base64``), or a one-line error."""
    try:
        return parse_vkey(text.strip())
    except (CheckpointError, ValueError) as exc:
        raise BrokerError(f"{option}: not a verifier key ({exc})") from None
