"""Recorded histories to replay: cameras that come, move and go, and requests of every kind,
filed through the application at moments a fixed clock sets."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from hypothesis import strategies as st

from broker.application.citizens import CitizenDraft
from broker.application.requests import RequestDraft
from broker.bootstrap import Broker
from broker.config import BUNDLED_PACKS
from broker.domain.camera import CameraSpec
from broker.domain.roles import Role
from broker.errors import BrokerError
from tests.analytics.city import offset
from tests.conftest import SHELL, actor

ACTIVE_TOML = (BUNDLED_PACKS / "kr-pipa.toml").read_text(encoding="utf-8")
KINDS = ("crime", "danger", "court", "citizen")

metres = st.integers(min_value=-800, max_value=800)
operations = st.one_of(
    st.tuples(st.just("camera"), metres, metres, st.sampled_from([30.0, 50.0, 120.0, 400.0])),
    st.tuples(st.just("move"), st.integers(0, 30), metres, metres),
    st.tuples(st.just("decommission"), st.integers(0, 30)),
    st.tuples(st.just("request"), st.sampled_from(KINDS), metres, metres,
              st.sampled_from([20.0, 80.0, 150.0, 350.0, 600.0]),
              st.sampled_from([0.5, 3, 30, 24 * 10, 24 * 35]),
              st.sampled_from([15, 50, 90, 400])),
    st.tuples(st.just("advance"), st.sampled_from([0.1, 1, 12, 24 * 3])),
    st.tuples(st.just("review"), st.integers(0, 30), st.booleans()),
    st.tuples(st.just("withdraw"), st.integers(0, 30)),
    st.tuples(st.just("amend"), st.integers(0, 30)),
)
histories = st.lists(operations, min_size=1, max_size=25)


def request_draft(kind: str, location: tuple[float, float], radius: float, hours_ago: float,
                  minutes: int, now: Any) -> tuple[Role, Any]:
    end = now - timedelta(hours=hours_ago)
    start = end - timedelta(minutes=minutes)
    if kind == "citizen":
        return Role.CITIZEN_PORTAL, CitizenDraft(
            reason="own_image", name="홍길동", contact="010-0000-0000", identity_proof="id-1",
            claim_reference=None, incident_kind=None, location=location, occurred_at=start,
            window_start=start, window_end=end, radius_m=radius, description="my car")
    basis, role = {"crime": ("crime_investigation", Role.POLICE),
                   "danger": ("imminent_danger", Role.FIRE),
                   "court": ("court_proceedings", Role.PRIVACY_OFFICER)}[kind]
    return role, RequestDraft(
        legal_basis=basis, mode="recorded", radius_m=radius, window_start=start, window_end=end,
        incident_reference=f"case-{hours_ago}", incident_kind="fire", location=location,
        occurred_at=start, purpose="find the vehicle")


def record(broker: Broker, clock: Any, history: list[tuple[Any, ...]]) -> list[str]:
    """Carry the history out; returns the ids of every request recorded (amended ones too)."""
    cameras: list[str] = []
    requests: list[tuple[str, Role, Any]] = []
    recorded: list[str] = []
    for op in history:
        try:
            if op[0] == "camera":
                (camera_id, _), = broker.cameras.upsert(
                    SHELL, [camera(f"cam-{len(cameras)}", offset(op[1], op[2]), op[3])])
                cameras.append(str(camera_id))
            elif op[0] == "move" and cameras:
                index = op[1] % len(cameras)
                broker.cameras.upsert(SHELL, [camera(f"cam-{index}", offset(op[2], op[3]), 60.0)])
            elif op[0] == "decommission" and cameras:
                broker.cameras.decommission(SHELL, UUID(cameras[op[1] % len(cameras)]), "gone")
            elif op[0] == "request":
                role, draft = request_draft(op[1], offset(op[2], op[3]), op[4], op[5], op[6],
                                            clock.now())
                filed = file(broker, role, draft)
                requests.append((filed["id"], role, draft))
                recorded.append(filed["id"])
            elif op[0] == "advance":
                clock.advance(timedelta(hours=op[1]))
            elif op[0] == "review" and requests:
                request_id = requests[op[1] % len(requests)][0]
                broker.reviews.review(actor(Role.PRIVACY_OFFICER, client_id="second officer"),
                                      UUID(request_id), approve=op[2], reason="checked")
            elif op[0] == "withdraw" and requests:
                request_id, role, _ = requests[op[1] % len(requests)]
                withdraw(broker, role, request_id)
            elif op[0] == "amend" and requests:
                request_id, role, draft = requests[op[1] % len(requests)]
                if role is not Role.CITIZEN_PORTAL:
                    amended = broker.requests.amend(actor(role), UUID(request_id), draft)
                    recorded.append(amended["id"])
                    requests.append((amended["id"], role, draft))
        except BrokerError:
            pass  # a conflict (already decommissioned, not pending...) records nothing
    return recorded


def camera(key: str, position: tuple[float, float], coverage_m: float) -> CameraSpec:
    return CameraSpec(key=key, name="cam", agency="구청", purpose="방범",
                      purpose_category="crime_prevention", address="", lat=position[0],
                      lon=position[1], coverage_m=coverage_m, retention_days=30)


def file(broker: Broker, role: Role, draft: Any) -> dict[str, Any]:
    if role is Role.CITIZEN_PORTAL:
        return broker.citizens.file(actor(role), draft)
    return broker.requests.submit(actor(role), draft)


def withdraw(broker: Broker, role: Role, request_id: str) -> None:
    if role is not Role.CITIZEN_PORTAL:
        broker.requests.withdraw(actor(role), UUID(request_id))
