"""Shapes shared by every resource: strict bodies, coordinates, windows, problems."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, field_validator

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def _instant(value: datetime) -> datetime:
    """In UTC from here on: SQLite keeps no zone, and every comparison is between instants."""
    try:
        moment = value.astimezone(UTC)
    except OverflowError:
        raise ValueError("lies outside the representable range once converted to UTC") from None
    if not EARLIEST <= moment < LATEST:
        raise ValueError(f"must lie between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d} (UTC)")
    return moment


Instant = Annotated[AwareDatetime, AfterValidator(_instant), Field(
    description="RFC 3339 with a zone, between 1970 and 2200; read as the UTC instant")]
"""Every time a client sends: zone required, normalised to UTC at the edge, range-checked."""


CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""C0 controls but tab and line breaks, and DEL: no name, address or reason needs them, a
PostgreSQL text column refuses NUL, and a terminal or a CSV reader may act on the others."""


class Body(BaseModel):
    """What a client sends: unknown fields are refused, nothing is coerced silently, and no
    text carries control characters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        texts = value if isinstance(value, list | tuple) else (value,)
        if any(isinstance(text, str) and CONTROL_CHARACTERS.search(text) for text in texts):
            raise ValueError("must not contain control characters (NUL, escapes, ...)")
        return value


class Public(BaseModel):
    """What a client gets back; an answer with a field not documented here is a bug."""

    model_config = ConfigDict(extra="forbid")


class Location(Body):
    lat: float = Field(ge=-90, le=90, description="WGS84 latitude")
    lon: float = Field(ge=-180, le=180, description="WGS84 longitude")

    @field_validator("lat", "lon")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value


class Window(Body):
    """``[start, end)``: RFC 3339 times with a zone; the end is exclusive."""

    start: Instant
    end: Instant


class LocationPublic(Public):
    lat: float
    lon: float


class WindowPublic(Public):
    start: AwareDatetime
    end: AwareDatetime


class ValidationIssue(Public):
    loc: list[str]
    msg: str


class Problem(Public):
    """RFC 9457 problem details: every error the broker answers has this body."""

    type: str = Field(description="URI identifying the kind of problem")
    title: str
    status: int
    detail: str = Field(description="what went wrong with this request, for a person")
    instance: str
    errors: list[ValidationIssue] | None = Field(
        default=None, description="for 422: each invalid field (values are never echoed)")


class Message(Public):
    status: str


JSONObject = dict[str, Any]
