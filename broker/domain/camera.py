"""A fixed camera (or drone station): where it looks, who owns it, how long it keeps footage."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from broker.domain.errors import DomainConflict, DomainInvalid
from broker.domain.topics import topic
from broker.domain.versions import gained_who_acted

CAMERA_NAMESPACE = uuid5(NAMESPACE_URL, "https://footage-broker.invalid/camera")
MAX_COVERAGE_M = 5_000.0
MAX_RETENTION_DAYS = 3_650


@lru_cache(maxsize=1 << 17)
def camera_id_for(key: str) -> UUID:
    """Stable id from the camera's external key, so a re-import finds the same aggregate.

    Cached: an import asks for each of its cameras' ids three times (matching, creating the
    aggregate, the report), and uuid5 cost a tenth of a 20,000-row import's CPU."""
    return uuid5(CAMERA_NAMESPACE, key)


def check_position(lat: float, lon: float) -> None:
    if not (math.isfinite(lat) and -90.0 <= lat <= 90.0):
        raise DomainInvalid(f"latitude {lat!r} is outside [-90, 90]")
    if not (math.isfinite(lon) and -180.0 <= lon <= 180.0):
        raise DomainInvalid(f"longitude {lon!r} is outside [-180, 180]")


def check_coverage(coverage_m: float) -> None:
    if not (math.isfinite(coverage_m) and 0.0 < coverage_m <= MAX_COVERAGE_M):
        raise DomainInvalid(f"coverage {coverage_m!r} m is outside (0, {MAX_COVERAGE_M:g}]")


def check_retention(retention_days: int) -> None:
    if not 1 <= retention_days <= MAX_RETENTION_DAYS:
        raise DomainInvalid(f"retention {retention_days!r} days is outside [1, {MAX_RETENTION_DAYS}]")


DETAIL_FIELDS = (
    "name", "purpose", "purpose_category", "address", "installed", "management_number",
    "agency_code", "lot_address", "pixels", "direction", "phone", "data_date",
)
"""The descriptive fields of a camera, changed together by ``DetailsChanged``."""

_YEAR_MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _is_date(text: str) -> bool:
    if not _DATE.fullmatch(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def check_details(details: dict[str, Any]) -> None:
    """The shapes the read model and the API promise: YYYY-MM, YYYY-MM-DD, positive pixels."""
    installed = details.get("installed")
    if installed is not None and not _YEAR_MONTH.fullmatch(installed):
        raise DomainInvalid(f"installed {installed!r} is not a year-month (YYYY-MM)")
    data_date = details.get("data_date")
    if data_date is not None and not _is_date(data_date):
        raise DomainInvalid(f"data date {data_date!r} is not a date (YYYY-MM-DD)")
    pixels = details.get("pixels")
    if pixels is not None and not (isinstance(pixels, int) and pixels > 0):
        raise DomainInvalid(f"pixels {pixels!r} must be a positive integer")


class Camera(Aggregate):
    TOPIC = topic("Camera")

    class Event(Aggregate.Event):
        TOPIC = topic("Camera.Event")

    @staticmethod
    def create_id(key: str) -> UUID:
        return camera_id_for(key)

    @event("Registered", topic=topic("Camera.Registered"))
    def __init__(
        self,
        key: str,
        name: str,
        agency: str,
        purpose: str,
        purpose_category: str,
        address: str,
        lat: float,
        lon: float,
        coverage_m: float,
        retention_days: int,
        installed: str | None,
        at: datetime,
        management_number: str | None = None,
        agency_code: str | None = None,
        lot_address: str = "",
        pixels: int | None = None,
        direction: str = "",
        phone: str = "",
        data_date: str | None = None,
        by: str | None = None,
    ) -> None:
        # The parameters after ``at`` came with the real registers (issue #15); events stored
        # before them load with these defaults. ``by``: who registered it (versions.py).
        self.key = key
        self.name = name
        self.agency = agency
        self.purpose = purpose
        self.purpose_category = purpose_category
        self.address = address
        self.lat = lat
        self.lon = lon
        self.coverage_m = coverage_m
        self.retention_days = retention_days
        self.installed = installed
        self.management_number = management_number
        self.agency_code = agency_code
        self.lot_address = lot_address
        self.pixels = pixels
        self.direction = direction
        self.phone = phone
        self.data_date = data_date
        self.registered_at = at
        self.decommissioned_at: datetime | None = None

    @classmethod
    def register(cls, spec: CameraSpec, at: datetime, by: str | None = None) -> Camera:
        """Validate, then record ``Registered``; invalid cameras never reach the log."""
        if not spec.key.strip():
            raise DomainInvalid("camera key must not be empty")
        if not spec.agency.strip():
            raise DomainInvalid("camera agency must not be empty")
        check_position(spec.lat, spec.lon)
        check_coverage(spec.coverage_m)
        check_retention(spec.retention_days)
        details = spec.details()
        check_details(details)
        return cls(
            key=spec.key, agency=spec.agency, lat=spec.lat, lon=spec.lon,
            coverage_m=spec.coverage_m, retention_days=spec.retention_days, at=at, **details, by=by,
        )

    @property
    def is_active(self) -> bool:
        return self.decommissioned_at is None

    def relocate(self, lat: float, lon: float, coverage_m: float, at: datetime,
                 by: str | None = None) -> None:
        self._require_active("relocate")
        check_position(lat, lon)
        check_coverage(coverage_m)
        if (lat, lon, coverage_m) != (self.lat, self.lon, self.coverage_m):
            self._relocated(lat=lat, lon=lon, coverage_m=coverage_m, at=at, by=by)

    @event("Relocated", topic=topic("Camera.Relocated"))
    def _relocated(self, lat: float, lon: float, coverage_m: float, at: datetime,
                   by: str | None = None) -> None:
        self.lat = lat
        self.lon = lon
        self.coverage_m = coverage_m

    def change_retention(self, retention_days: int, at: datetime, by: str | None = None) -> None:
        self._require_active("change the retention of")
        check_retention(retention_days)
        if retention_days != self.retention_days:
            self._retention_changed(retention_days=retention_days, at=at, by=by)

    @event("RetentionChanged", topic=topic("Camera.RetentionChanged"))
    def _retention_changed(self, retention_days: int, at: datetime, by: str | None = None) -> None:
        self.retention_days = retention_days

    def details(self) -> dict[str, Any]:
        """What describes the camera but neither places it nor sets its retention."""
        return {name: getattr(self, name) for name in DETAIL_FIELDS}

    def change_details(self, details: dict[str, Any], at: datetime, by: str | None = None) -> None:
        """Record the descriptive fields that differ (name, addresses, purpose, the register's
        columns); nothing if none does. Position and retention have events of their own."""
        self._require_active("change the details of")
        unknown = set(details) - set(DETAIL_FIELDS)
        if unknown:
            raise DomainInvalid(f"not a camera detail: {', '.join(sorted(unknown))}")
        check_details(details)
        changes = {name: value for name, value in details.items() if getattr(self, name) != value}
        if changes:
            self._details_changed(changes=changes, at=at, by=by)

    @event("DetailsChanged", topic=topic("Camera.DetailsChanged"))
    def _details_changed(self, changes: dict[str, Any], at: datetime, by: str | None = None) -> None:
        for name, value in changes.items():
            setattr(self, name, value)

    def decommission(self, reason: str, at: datetime, by: str | None = None) -> None:
        self._require_active("decommission")
        self._decommissioned(reason=reason, at=at, by=by)

    @event("Decommissioned", topic=topic("Camera.Decommissioned"))
    def _decommissioned(self, reason: str, at: datetime, by: str | None = None) -> None:
        self.decommissioned_at = at

    def _require_active(self, verb: str) -> None:
        if not self.is_active:
            raise DomainConflict(f"cannot {verb} decommissioned camera {self.id}")


gained_who_acted(Camera.Registered, Camera.Relocated, Camera.RetentionChanged,  # type: ignore[attr-defined]
                 Camera.DetailsChanged, Camera.Decommissioned)  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True, kw_only=True)
class CameraSpec:
    """What an operator or an import says a camera is; compared to decide if anything changed."""

    key: str
    name: str
    agency: str
    purpose: str
    purpose_category: str
    address: str
    lat: float
    lon: float
    coverage_m: float
    retention_days: int
    installed: str | None = None
    management_number: str | None = None
    """관리번호: the register's own number for the site, where the file has one."""
    agency_code: str | None = None
    """개방자치단체코드 or 제공기관코드: the local government's standard code."""
    lot_address: str = ""
    pixels: int | None = None
    """카메라화소수 as published: in units of ten thousand pixels (200 = 2 megapixels)."""
    direction: str = ""
    """촬영방면정보: what the camera looks at, in the register's words."""
    phone: str = ""
    """관리기관전화번호: whom to call about this camera."""
    data_date: str | None = None
    """데이터기준일자: the date the register says its data is as of (YYYY-MM-DD)."""

    def details(self) -> dict[str, Any]:
        """The descriptive fields, as ``Camera.change_details`` takes them."""
        return {name: getattr(self, name) for name in DETAIL_FIELDS}


class CameraImport(Aggregate):
    """One import of a camera register: who brought which file, what it did, and the as-of date
    (데이터기준일자) it confirms for cameras it lists unchanged.

    A release of a register restates every camera with a new 데이터기준일자; recording that as
    a change of each camera would load and rewrite thousands of aggregates for one date. The
    import records it once, for the cameras it lists (``data_dates``: date -> camera ids).
    Nothing is recorded for an import that changes nothing.
    """

    TOPIC = topic("CameraImport")

    class Event(Aggregate.Event):
        TOPIC = topic("CameraImport.Event")

    @event("Recorded", topic=topic("CameraImport.Recorded"))
    def __init__(self, by: str, sha256: str, encoding: str, layout: str, rows: int,
                 counts: dict[str, int], data_dates: dict[str, list[str]], at: datetime) -> None:
        self.by = by
        self.sha256 = sha256
        self.encoding = encoding
        self.layout = layout
        self.rows = rows
        self.counts = counts
        self.data_dates = data_dates
