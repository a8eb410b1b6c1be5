"""The camera registry."""

from __future__ import annotations

from datetime import date
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
    installed: str | None = Field(default=None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    management_number: str | None = Field(default=None, min_length=1, max_length=100,
                                          description="관리번호: the register's number for the site")
    agency_code: str | None = Field(default=None, min_length=1, max_length=32,
                                    description="개방자치단체코드: the local government's code")
    lot_address: str = Field(default="", max_length=500, description="소재지지번주소")
    pixels: int | None = Field(default=None, ge=1, le=1_000_000,
                               description="카메라화소수, in ten thousand pixels (200 = 2 MP)")
    direction: str = Field(default="", max_length=500, description="촬영방면정보")
    phone: str = Field(default="", max_length=64, description="관리기관전화번호")
    data_date: date | None = Field(default=None, description="데이터기준일자: the register's as-of date")


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
    updated_at: AwareDatetime
    management_number: str | None = Field(description="관리번호, where the register has one")
    agency_code: str | None = Field(description="개방자치단체코드 or 제공기관코드")
    lot_address: str = Field(description="소재지지번주소")
    pixels: int | None = Field(description="카메라화소수, in ten thousand pixels (200 = 2 MP)")
    direction: str = Field(description="촬영방면정보")
    phone: str = Field(description="관리기관전화번호")
    data_date: str | None = Field(description="데이터기준일자 (YYYY-MM-DD)")


class CameraNear(CameraPublic):
    distance_m: float = Field(description="from the point searched to the camera, metres")


class CameraPage(Public):
    items: list[CameraNear]
    next_cursor: str | None


class ImportCounts(Public):
    created: int
    updated: int
    unchanged: int
    moved: int = Field(description="of the updated, those whose position changed")


class ImportRowCounts(Public):
    imported: int = Field(description="rows imported as they are")
    with_warnings: int = Field(description="rows imported, with defaults for what was wrong or missing")
    rejected: int = Field(description="rows without a usable position (or agency): not imported")


class ImportRowError(Public):
    line: int
    reason: str


class ImportMove(Public):
    camera_id: str
    key: str
    line: int
    distance_m: float = Field(description="from the position registered before to the file's")


class ImportStale(Public):
    camera_id: str
    key: str
    address: str


class CameraImportReport(Public):
    encoding: str
    layout: Literal["korea_standard", "korea_localdata", "english"]
    rows: int
    row_counts: ImportRowCounts
    cameras: ImportCounts
    errors: list[ImportRowError] = Field(description="rejected rows, by line")
    warnings: list[ImportRowError] = Field(description="imported rows, by line: what was defaulted")
    moved: list[ImportMove]
    not_in_file: int = Field(description=(
        "active cameras of this file's agencies, imported before, that this file no longer "
        "lists (kept: decommission them once the register is confirmed)"))
    not_in_file_sample: list[ImportStale] = Field(description="the first 100 of them")
