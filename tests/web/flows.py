"""Steps the page tests share: a citizen files through the portal page, real footage in scope."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from broker.bootstrap import Broker
from broker.domain.roles import Role
from tests.api.helpers import INCIDENT, add_cameras
from tests.conftest import SHELL, T0, actor
from tests.web.conftest import csrf_of

FIELD = re.compile(r'id="(f-id|f-token)" readonly value="([^"]+)"')


def real_footage(broker: Broker, tmp_path: Any) -> dict[str, str]:
    """A real video clip (people walking, their faces, a car and its plate) on a camera at the
    incident."""
    from tests.redaction.scene import moving_clip

    camera = add_cameras(broker, count=1)[0]
    source = tmp_path / "source.mp4"
    moving_clip(source, 0.5, fps=10, cast=((64, 1), (96, 0)), plates=(96,), keep_truth=False)
    clip, _ = broker.clips.ingest(SHELL, camera_id=UUID(camera), start=T0 - timedelta(minutes=35),
                                  end=T0 - timedelta(minutes=34), chunks=[source.read_bytes()])
    return {"camera": camera, "clip": clip["id"]}


def release_masked_copy(broker: Broker, request_id: str) -> None:
    """What the background job and a privacy officer do after the request's approval: detect,
    sign the draft off, render the masked copy."""
    assert broker.redactions.run() >= 1  # the draft of each clip
    broker.redactions.approve(actor(Role.PRIVACY_OFFICER), UUID(request_id), "checked: masked")
    assert broker.redactions.run() >= 1  # the render


def local(moment: Any) -> str:
    """As a person types it into the page: in the console's zone (Asia/Seoul under kr-pipa)."""
    return moment.astimezone(ZoneInfo("Asia/Seoul")).strftime("%Y-%m-%dT%H:%M")


def file_through_portal(citizen: TestClient) -> tuple[str, str]:
    """The form as a citizen fills it in; the request number and access token it shows once."""
    page = citizen.get("/portal/")
    assert page.status_code == 200
    answer = citizen.post("/portal/requests", data={
        "csrf_token": csrf_of(page.text), "reason": "insurance_claim", "name": "김민준",
        "contact": "010-1234-5678", "identity_proof": "주민등록증 1234",
        "claim_reference": "삼성화재-2026-0042", "incident_kind": "rear-end collision",
        "occurred_at": local(T0 - timedelta(minutes=30)), "start": local(T0 - timedelta(minutes=40)),
        "end": local(T0 - timedelta(minutes=20)), "lat": str(INCIDENT["lat"]),
        "lon": str(INCIDENT["lon"]), "radius_m": "50", "description": "my car was hit"})
    assert answer.status_code == 200, answer.text
    shown = dict(FIELD.findall(answer.text))
    return shown["f-id"], shown["f-token"]
