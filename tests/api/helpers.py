"""Builders shared by the API tests: cameras around an incident and request bodies."""

from __future__ import annotations

from datetime import timedelta

from broker.bootstrap import Broker
from broker.domain.camera import CameraSpec
from tests.conftest import SHELL, T0

INCIDENT = {"lat": 36.3504, "lon": 127.3845}  # Daejeon City Hall


def add_cameras(broker: Broker, count: int = 5, spacing_deg: float = 0.0005) -> list[str]:
    """Cameras north of the incident, 55 m apart, the first on the spot."""
    specs = [
        CameraSpec(key=f"test-cam-{i}", name=f"cam {i}", agency="서구청", purpose="생활방범",
                   purpose_category="crime_prevention", address="둔산동",
                   lat=INCIDENT["lat"] + i * spacing_deg, lon=INCIDENT["lon"], coverage_m=50.0,
                   retention_days=30)
        for i in range(count)
    ]
    ids = [str(camera_id) for camera_id, _ in broker.cameras.upsert(SHELL, specs)]
    return ids


def window(start_hours_ago: float = 2, end_hours_ago: float = 1) -> dict[str, str]:
    return {"start": (T0 - timedelta(hours=start_hours_ago)).isoformat(),
            "end": (T0 - timedelta(hours=end_hours_ago)).isoformat()}


def crime_request(**overrides: object) -> dict:
    body: dict = {
        "legal_basis": "crime_investigation",
        "incident": {"reference": "112-2026-000123", "kind": "robbery", "location": INCIDENT,
                     "occurred_at": (T0 - timedelta(minutes=90)).isoformat()},
        "radius_m": 150,
        "window": window(),
        "purpose": "identify the suspect's escape route",
        "mode": "recorded",
    }
    body.update(overrides)
    return body


def court_request(**overrides: object) -> dict:
    body = crime_request(legal_basis="court_proceedings", radius_m=100)
    body.update(overrides)
    return body
