"""A fixed camera (or drone station): where it looks, who owns it, how long it keeps footage."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from broker.domain.errors import DomainConflict, DomainInvalid
from broker.domain.topics import topic

CAMERA_NAMESPACE = uuid5(NAMESPACE_URL, "https://footage-broker.invalid/camera")
MAX_COVERAGE_M = 5_000.0
MAX_RETENTION_DAYS = 3_650


def camera_id_for(key: str) -> UUID:
    """Stable id from the camera's external key, so a re-import finds the same aggregate."""
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
    ) -> None:
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
        self.registered_at = at
        self.decommissioned_at: datetime | None = None

    @classmethod
    def register(cls, spec: CameraSpec, at: datetime) -> Camera:
        """Validate, then record ``Registered``; invalid cameras never reach the log."""
        if not spec.key.strip():
            raise DomainInvalid("camera key must not be empty")
        if not spec.agency.strip():
            raise DomainInvalid("camera agency must not be empty")
        check_position(spec.lat, spec.lon)
        check_coverage(spec.coverage_m)
        check_retention(spec.retention_days)
        return cls(
            key=spec.key, name=spec.name, agency=spec.agency, purpose=spec.purpose,
            purpose_category=spec.purpose_category, address=spec.address, lat=spec.lat,
            lon=spec.lon, coverage_m=spec.coverage_m, retention_days=spec.retention_days,
            installed=spec.installed, at=at,
        )

    @property
    def is_active(self) -> bool:
        return self.decommissioned_at is None

    def relocate(self, lat: float, lon: float, coverage_m: float, at: datetime) -> None:
        self._require_active("relocate")
        check_position(lat, lon)
        check_coverage(coverage_m)
        if (lat, lon, coverage_m) != (self.lat, self.lon, self.coverage_m):
            self._relocated(lat=lat, lon=lon, coverage_m=coverage_m, at=at)

    @event("Relocated", topic=topic("Camera.Relocated"))
    def _relocated(self, lat: float, lon: float, coverage_m: float, at: datetime) -> None:
        self.lat = lat
        self.lon = lon
        self.coverage_m = coverage_m

    def change_retention(self, retention_days: int, at: datetime) -> None:
        self._require_active("change the retention of")
        check_retention(retention_days)
        if retention_days != self.retention_days:
            self._retention_changed(retention_days=retention_days, at=at)

    @event("RetentionChanged", topic=topic("Camera.RetentionChanged"))
    def _retention_changed(self, retention_days: int, at: datetime) -> None:
        self.retention_days = retention_days

    def decommission(self, reason: str, at: datetime) -> None:
        self._require_active("decommission")
        self._decommissioned(reason=reason, at=at)

    @event("Decommissioned", topic=topic("Camera.Decommissioned"))
    def _decommissioned(self, reason: str, at: datetime) -> None:
        self.decommissioned_at = at

    def _require_active(self, verb: str) -> None:
        if not self.is_active:
            raise DomainConflict(f"cannot {verb} decommissioned camera {self.id}")


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
