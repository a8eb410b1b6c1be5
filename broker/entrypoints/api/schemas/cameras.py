"""The camera registry."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from broker.entrypoints.api.schemas.common import Body, Location, LocationPublic, Public

PurposeCategory = Literal[
    "crime_prevention", "child_protection", "traffic_enforcement", "traffic_info",
    "illegal_dumping", "facility", "disaster", "drone", "other",
]


class CameraCreate(Body):
    key: str | None = Field(default=None, min_length=1, max_length=200,
                            description="stable external key; re-registering it is a conflict")
    name: str = Field(min_length=1, max_length=200)
    agency: str = Field(min_length=1, max_length=200)
    purpose: str = Field(default="생활방범", max_length=100)
    purpose_category: PurposeCategory = "crime_prevention"
    address: str = Field(default="", max_length=500)
    location: Location
    coverage_m: float = Field(default=50.0, gt=0, le=5000)
    retention_days: int = Field(default=30, ge=1, le=3650)
    installed: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}$")


class CameraPublic(Public):
    id: str
    key: str
    name: str
    agency: str
    purpose: str
    purpose_category: str
    address: str
    location: LocationPublic
    coverage_m: float
    retention_days: int
    installed: str | None
    status: Literal["active", "decommissioned"]
    registered_at: AwareDatetime


class CameraNear(CameraPublic):
    distance_m: float = Field(description="from the point searched to the camera, metres")


class CameraPage(Public):
    items: list[CameraNear]
    next_cursor: str | None


class ImportCounts(Public):
    created: int
    updated: int
    unchanged: int


class ImportRowError(Public):
    line: int
    reason: str


class CameraImportReport(Public):
    encoding: str
    rows: int
    cameras: ImportCounts
    errors: list[ImportRowError]
