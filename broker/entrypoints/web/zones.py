"""Times as the city reads them: the console shows and reads them in its zone (Asia/Seoul under
a Korean pack, unless ``BROKER_CONSOLE_TIMEZONE`` says otherwise), so nobody converts a legal
deadline from UTC by hand; the record, the API and the exports keep UTC."""

from __future__ import annotations

from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from broker.errors import InvalidInput

BY_JURISDICTION = {"KR": "Asia/Seoul"}
UTC_ZONE = ZoneInfo("UTC")  # immutable: a safe default
current: ContextVar[ZoneInfo] = ContextVar("console_zone", default=UTC_ZONE)


def zone_for(setting: str, jurisdiction: str) -> ZoneInfo:
    """The configured zone, else the jurisdiction's, else UTC; a name that is no zone is an
    error at start-up, not a wrong hour on every page."""
    name = setting or BY_JURISDICTION.get(jurisdiction, "UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"BROKER_CONSOLE_TIMEZONE: {name!r} is not a time zone") from None


def label(zone: ZoneInfo | None = None) -> str:
    """The zone's abbreviation now (``KST``, ``UTC``, ``CET``)."""
    return datetime.now(zone or current.get()).strftime("%Z")


def shown(value: Any) -> str:
    """An instant (RFC 3339 text or an aware datetime) as ``YYYY-MM-DD HH:MM KST``."""
    moment = _instant(value)
    if moment is None:
        return str(value or "")
    local = moment.astimezone(current.get())
    return f"{local:%Y-%m-%d %H:%M} {local:%Z}"


def for_input(value: Any) -> str:
    """An instant as a ``datetime-local`` input's value, in the console's zone."""
    moment = _instant(value)
    return "" if moment is None else f"{moment.astimezone(current.get()):%Y-%m-%dT%H:%M}"


def read(value: str | None, zone: ZoneInfo) -> datetime | None:
    """A ``datetime-local`` value (no zone: the console's), or a full RFC 3339 time, as UTC."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{value[:40]!r} is not a time (YYYY-MM-DDTHH:MM)") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).astimezone(UTC)


def _instant(value: Any) -> datetime | None:
    """A datetime, or RFC 3339 text, as an aware datetime (no zone: UTC, as records are); None
    for anything else."""
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value or ""))
        except ValueError:
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
