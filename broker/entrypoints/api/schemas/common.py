"""Shapes shared by every resource: strict bodies, coordinates, windows, problems."""

from __future__ import annotations

import math
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator


class Body(BaseModel):
    """What a client sends: unknown fields are refused, nothing is coerced silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


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

    start: AwareDatetime
    end: AwareDatetime


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
