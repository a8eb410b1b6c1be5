"""A generated city: camera sites, a drone station, and requests with known blind spots,
recorded through the application as a dispatch system would file them."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import timedelta

from broker.application.requests import RequestDraft
from broker.bootstrap import Broker
from broker.common.geo import METRES_PER_DEGREE_LAT
from broker.common.grid import Cell
from broker.domain.camera import CameraSpec, camera_id_for
from broker.domain.roles import Role
from tests.conftest import SHELL, T0, actor

BASE = (36.35, 127.38)


def offset(north_m: float, east_m: float, origin: tuple[float, float] = BASE) -> tuple[float, float]:
    lat, lon = origin
    return (lat + north_m / METRES_PER_DEGREE_LAT,
            lon + east_m / (METRES_PER_DEGREE_LAT * math.cos(math.radians(lat))))


def centre_of(north_m: float, east_m: float, cell_m: int = 250) -> tuple[float, float]:
    """The centre of the cell holding that point: requests and cameras are laid there."""
    return Cell.containing(*offset(north_m, east_m), cell_m).centre


@dataclass(frozen=True)
class Site:
    name: str
    centre: tuple[float, float]
    requests: int
    cameras: int = 0

    def cell(self, cell_m: int = 250) -> str:
        return Cell.containing(*self.centre, cell_m).id


SITES = (
    Site("city hall", centre_of(0, 0), requests=6, cameras=3),
    Site("market", centre_of(0, -1000), requests=5, cameras=2),
    Site("riverside", centre_of(0, 2000), requests=8),  # the worst blind spot
    Site("north gate", centre_of(3000, 0), requests=5),  # blind, but the drone reaches it
    Site("south park", centre_of(-4000, 0), requests=4),  # blind, under k: suppressed
    Site("depot", centre_of(-1500, -3000), requests=0, cameras=1),  # never requested
)
DRONE_AT = centre_of(4000, 0)
BLIND = ("riverside", "north gate")


def camera_key(site: Site, i: int) -> str:
    return f"city:{site.name}:{i}"


def build_city(broker: Broker, seed: int = 7) -> list[tuple[float, float]]:
    """Cameras and requests; returns where each request said its incident was."""
    rng = random.Random(seed)
    specs = []
    for site in SITES:
        for i in range(site.cameras):
            lat, lon = site.centre
            specs.append(CameraSpec(
                key=camera_key(site, i), name=f"{site.name} {i}", agency="대전광역시 서구청",
                purpose="생활방범", purpose_category="crime_prevention",
                address=f"대전광역시 서구 {site.name} {i}", lat=lat + rng.uniform(-2e-4, 2e-4),
                lon=lon + rng.uniform(-2e-4, 2e-4), coverage_m=50.0, retention_days=30))
    specs.append(CameraSpec(key="city:drone", name="drone station", agency="스마트시티센터",
                            purpose="드론", purpose_category="drone", address="대전광역시 드론",
                            lat=DRONE_AT[0], lon=DRONE_AT[1], coverage_m=2000.0,
                            retention_days=30))
    broker.cameras.upsert(SHELL, specs)
    police = actor(Role.POLICE)
    locations = []
    for site in SITES:
        for i in range(site.requests):
            lat, lon = site.centre
            location = (lat + rng.uniform(-3e-4, 3e-4), lon + rng.uniform(-3e-4, 3e-4))
            locations.append(location)
            broker.requests.submit(police, RequestDraft(
                legal_basis="crime_investigation", mode="recorded", radius_m=150,
                window_start=T0 - timedelta(hours=3), window_end=T0 - timedelta(hours=1),
                incident_reference=f"112-{site.name}-{i}", incident_kind="theft",
                location=location, occurred_at=T0 - timedelta(hours=2), purpose="trace"))
    return locations


def drone_id() -> str:
    return str(camera_id_for("city:drone"))
