"""RFC 3339 UTC times on the wire; naive values (SQLite drops the zone) are UTC by contract."""

from __future__ import annotations

from datetime import UTC, datetime


def as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def rfc3339(moment: datetime) -> str:
    return as_utc(moment).isoformat().replace("+00:00", "Z")
