"""A short CCTV-like clip with its truth (made once per session), and a citizen request for it."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import numpy as np
import pytest

from broker.adapters.video import read_frames
from tests.api.conftest import bearer
from tests.api.helpers import add_cameras
from tests.api.test_citizens import citizen_body
from tests.conftest import SHELL, T0, both_stores
from tests.redaction import scene

# Two people with big faces and one small, two cars: 2 s at 15 fps.
CAST = ((96, 0), (64, 1), (32, 5))
PLATES = (96, 128)


@dataclass(frozen=True)
class Clip:
    path: Path
    truth: list[scene.Truth]
    frames: list[np.ndarray]


@pytest.fixture(scope="session")
def street_clip(tmp_path_factory: pytest.TempPathFactory) -> Clip:
    path = tmp_path_factory.mktemp("redaction-clip") / "street.mp4"
    truth = scene.moving_clip(path, 2, cast=CAST, plates=PLATES)
    frames = [f.image for f in read_frames(path)]
    return Clip(path=path, truth=truth, frames=frames)


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest) -> str:
    return both_stores(request)


@dataclass
class Filed:
    request_id: str
    token: str
    camera_id: str
    clip_id: str
    portal: dict[str, str]
    officer: dict[str, str]

    @property
    def own(self) -> dict[str, str]:
        return {**self.portal, "X-Access-Token": self.token}


def file_and_grant(api: Any, broker: Any, keys: Any, clip: Clip, reason: str = "insurance_claim",
                   zones: bool = True) -> Filed:
    from broker.domain.roles import Role

    camera = add_cameras(broker, count=1)[0]
    if zones:
        put = api.put(f"/v1/cameras/{camera}/overlay-zones", json={"zones": list(scene.ZONES)},
                      headers=bearer(keys[Role.OPERATOR]))
        assert put.status_code == 200, put.text
    ingested, _ = broker.clips.ingest(SHELL, camera_id=UUID(camera), start=T0 - timedelta(minutes=35),
                                      end=T0 - timedelta(minutes=34), chunks=[clip.path.read_bytes()])
    portal = bearer(keys[Role.CITIZEN_PORTAL])
    filed = api.post("/v1/citizen-requests", json=citizen_body(reason=reason), headers=portal)
    assert filed.status_code == 201, filed.text
    officer = bearer(keys[Role.PRIVACY_OFFICER])
    body = filed.json()
    approved = api.post(f"/v1/reviews/{body['id']}", headers=officer,
                        json={"decision": "approve", "reason": "the requester's car is in view"})
    assert approved.json()["status"] == "granted", approved.text
    return Filed(request_id=body["id"], token=body["access_token"], camera_id=camera,
                 clip_id=ingested["id"], portal=portal, officer=officer)


def delivered_video(content: bytes, tmp_path: Path, clip_id: str) -> Path:
    out = tmp_path / f"{clip_id}.mp4"
    out.write_bytes(zipfile.ZipFile(io.BytesIO(content)).read(f"clips/{clip_id}.mp4"))
    return out
