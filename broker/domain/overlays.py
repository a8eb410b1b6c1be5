"""Where a camera burns its own overlays into the picture (time stamp, camera label).

Masking never touches these zones and a box touching one is never counted as a plate: an
insurer needs the time stamp, and a camera label is not anyone's personal data. Zones are in
fractions of the frame (0..1), so they hold at any resolution the camera records in.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from broker.domain.errors import DomainInvalid
from broker.domain.topics import topic

OVERLAYS_NAMESPACE = uuid5(NAMESPACE_URL, "https://footage-broker.invalid/camera-overlays")
MAX_ZONES = 8


def overlays_id_for(camera_id: UUID | str) -> UUID:
    return uuid5(OVERLAYS_NAMESPACE, str(camera_id))


def check_zones(zones: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if len(zones) > MAX_ZONES:
        raise DomainInvalid(f"at most {MAX_ZONES} overlay zones per camera")
    checked = []
    for zone in zones:
        x, y, w, h = (float(zone[k]) for k in ("x", "y", "w", "h"))
        if not all(math.isfinite(v) for v in (x, y, w, h)):
            raise DomainInvalid("overlay zone coordinates must be finite")
        if not (0 <= x < 1 and 0 <= y < 1 and 0 < w <= 1 - x + 1e-9 and 0 < h <= 1 - y + 1e-9):
            raise DomainInvalid("an overlay zone must lie inside the frame (fractions 0..1)")
        if w * h > 0.25:
            raise DomainInvalid("an overlay zone may cover at most a quarter of the frame")
        checked.append({"x": x, "y": y, "w": w, "h": h, "label": str(zone.get("label") or "")[:64]})
    return checked


class CameraOverlays(Aggregate):
    TOPIC = topic("CameraOverlays")

    class Event(Aggregate.Event):
        TOPIC = topic("CameraOverlays.Event")

    @staticmethod
    def create_id(camera_id: str, **_: Any) -> UUID:
        return overlays_id_for(camera_id)

    @event("Configured", topic=topic("CameraOverlays.Configured"))
    def __init__(self, camera_id: str, zones: list[dict[str, Any]], by: str, at: datetime) -> None:
        self.camera_id = camera_id
        self.zones = zones

    def reconfigure(self, zones: list[dict[str, Any]], by: str, at: datetime) -> bool:
        checked = check_zones(zones)
        if checked == self.zones:
            return False
        self._reconfigured(camera_id=self.camera_id, zones=checked, by=by, at=at)
        return True

    @event("Reconfigured", topic=topic("CameraOverlays.Reconfigured"))
    def _reconfigured(self, camera_id: str, zones: list[dict[str, Any]], by: str, at: datetime) -> None:
        self.zones = zones
