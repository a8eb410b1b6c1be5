"""Steps the page tests share: a citizen files through the portal page, real footage in scope."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

from broker.bootstrap import Broker
from tests.api.helpers import INCIDENT, add_cameras
from tests.conftest import SHELL, T0
from tests.web.conftest import csrf_of

FIELD = re.compile(r'id="(f-id|f-token)" readonly value="([^"]+)"')


def real_footage(broker: Broker, tmp_path: Any) -> dict[str, str]:
    """A real video clip (a face in every frame) on a camera at the incident."""
    from tests.masking.scene import astronaut_frames, write_video

    camera = add_cameras(broker, count=1)[0]
    source = tmp_path / "source.mp4"
    write_video(source, [frame for frame, _ in astronaut_frames(8)])
    clip, _ = broker.clips.ingest(SHELL, camera_id=UUID(camera), start=T0 - timedelta(minutes=35),
                                  end=T0 - timedelta(minutes=34), chunks=[source.read_bytes()])
    return {"camera": camera, "clip": clip["id"]}


def local(moment: Any) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


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
