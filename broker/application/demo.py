"""Demo data shaped like Daejeon's network (KDI case study): five districts, schools with eight
cameras each, traffic cameras, a drone station, and a dense cluster around City Hall."""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from pathlib import Path

from broker.application.actors import Actor
from broker.application.cameras import Cameras
from broker.application.clients import Clients
from broker.application.clips import Clips
from broker.clock import Clock
from broker.domain.camera import CameraSpec
from broker.domain.roles import Role

CITY_HALL = (36.3504, 127.3845)
DUNSAN_CENTRE = (36.3500, 127.3800)


@dataclass(frozen=True)
class District:
    slug: str
    name: str
    office: str
    centre: tuple[float, float]


DISTRICTS = (
    District("dong", "동구", "대전광역시 동구청", (36.3120, 127.4548)),
    District("jung", "중구", "대전광역시 중구청", (36.3255, 127.4213)),
    District("seo", "서구", "대전광역시 서구청", (36.3554, 127.3838)),
    District("yuseong", "유성구", "대전광역시 유성구청", (36.3624, 127.3563)),
    District("daedeok", "대덕구", "대전광역시 대덕구청", (36.3467, 127.4156)),
)

DEMO_CLIENTS = (
    ("112 dispatch", Role.POLICE, "대전경찰청 112치안종합상황실"),
    ("119 dispatch", Role.FIRE, "대전소방본부 119종합상황실"),
    ("disaster HQ", Role.DISASTER, "대전광역시 재난안전대책본부"),
    ("control centre", Role.OPERATOR, "대전광역시 스마트시티통합운영센터"),
    ("privacy officer", Role.PRIVACY_OFFICER, "대전광역시 개인정보보호책임자"),
    ("auditor", Role.AUDITOR, "대전광역시 감사위원회"),
    ("citizen portal", Role.CITIZEN_PORTAL, "대전광역시 CCTV 열람청구 포털"),
)


def _offset(origin: tuple[float, float], north_m: float, east_m: float) -> tuple[float, float]:
    lat, lon = origin
    return (
        round(lat + north_m / 111_195.0, 6),
        round(lon + east_m / (111_195.0 * math.cos(math.radians(lat))), 6),
    )


def demo_cameras() -> list[CameraSpec]:
    """Deterministic: the same list every time, so loading it twice changes nothing."""
    rng = random.Random(4288)  # noqa: S311 - layout, not security
    specs: list[CameraSpec] = []

    def add(key: str, name: str, agency: str, purpose: str, category: str,
            position: tuple[float, float], coverage_m: float = 50.0) -> None:
        specs.append(CameraSpec(
            key=f"demo:{key}", name=name, agency=agency, purpose=purpose,
            purpose_category=category, address=f"대전광역시 {name}", lat=position[0],
            lon=position[1], coverage_m=coverage_m, retention_days=30, installed="2017-06",
        ))

    for i in range(12):
        angle = 2 * math.pi * i / 12
        distance = 40.0 + 20.0 * i
        add(f"dunsan-{i}", f"서구 둔산동 방범 {i + 1}", "대전광역시 서구청", "생활방범",
            "crime_prevention",
            _offset(DUNSAN_CENTRE, distance * math.sin(angle), distance * math.cos(angle)))
    add("city-hall", "서구 둔산동 시청 앞", "대전광역시청", "생활방범", "crime_prevention",
        CITY_HALL)
    for district in DISTRICTS:
        for i in range(30):
            add(f"{district.slug}-crime-{i}", f"{district.name} 방범 {i + 1}", district.office,
                "생활방범", "crime_prevention",
                _offset(district.centre, rng.uniform(-2000, 2000), rng.uniform(-2000, 2000)))
        for school in range(3):
            site = _offset(district.centre, rng.uniform(-1500, 1500), rng.uniform(-1500, 1500))
            for cam in range(8):
                add(f"{district.slug}-school-{school}-{cam}",
                    f"{district.name} 초등학교 {school + 1} 카메라 {cam + 1}", "대전광역시교육청",
                    "어린이보호", "child_protection",
                    _offset(site, 15 * math.sin(cam), 15 * math.cos(cam)))
        for i in range(10):
            add(f"{district.slug}-traffic-{i}", f"{district.name} 교차로 {i + 1}",
                "대전광역시 교통정책과", "교통정보수집", "traffic_info",
                _offset(district.centre, rng.uniform(-2500, 2500), rng.uniform(-2500, 2500)))
    add("drone-yuseong", "유성구 드론 스테이션", "대전광역시 스마트시티통합운영센터", "드론",
        "drone", _offset(DISTRICTS[3].centre, 500, -500), coverage_m=2000.0)
    return specs


@dataclass(frozen=True)
class Demo:
    """Loads the demo through the same use cases an operator would use."""

    cameras: Cameras
    clients: Clients
    clips: Clips
    clock: Clock

    def load(self, actor: Actor, clients_file: Path) -> dict[str, int]:
        """Cameras are upserted (idempotent); clients are created only if the file is missing or
        names clients this store does not know (a wiped data dir)."""
        outcomes = self.cameras.upsert(actor, demo_cameras())
        created_cameras = sum(1 for _, outcome in outcomes if outcome == "created")
        self.load_clips(actor)
        known = {client["id"] for client in self.clients.list(actor)}
        if clients_file.exists():
            existing = json.loads(clients_file.read_text(encoding="utf-8")).get("clients", [])
            if existing and all(c.get("id") in known for c in existing):
                return {"cameras": len(outcomes), "cameras_created": created_cameras,
                        "clients_created": 0}
        clients = []
        for name, role, agency in DEMO_CLIENTS:
            client_id, api_key = self.clients.register(actor, name=name, role=role, agency=agency)
            clients.append({"id": str(client_id), "name": name, "role": role.value,
                            "agency": agency, "api_key": api_key})
        write_private_json(clients_file, {"clients": clients})
        return {"cameras": len(outcomes), "cameras_created": created_cameras,
                "clients_created": len(clients)}

    def load_clips(self, actor: Actor, count: int = 3) -> int:
        """A few recent clips on the City Hall cameras, so the tour can request and stream them.

        Idempotent per clip (Idempotency-Key); windows end 30, 60, 90... minutes before now.
        """
        from datetime import timedelta

        from broker.domain.camera import camera_id_for

        now = self.clock.now().replace(second=0, microsecond=0)
        body = demo_video()
        created = 0
        for i in range(count):
            end = now - timedelta(minutes=30 * (i + 1))
            _, replayed = self.clips.ingest(
                actor, camera_id=camera_id_for("demo:city-hall"), start=end - timedelta(minutes=1),
                end=end, chunks=[body], idempotency_key=f"demo-clip-{end.isoformat()}")
            created += 0 if replayed else 1
        return created


def demo_video(seconds: int = 2, fps: int = 12) -> bytes:
    """A small MJPG clip (a street-like gradient and a moving box), made here: no downloads."""
    import tempfile

    import cv2
    import numpy as np

    width, height = 320, 240
    with tempfile.TemporaryDirectory(prefix="demo-clip-") as tmp:
        path = Path(tmp) / "clip.avi"
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, (width, height))
        yy, xx = np.mgrid[0:height, 0:width]
        street = np.stack([40 + xx * 0.3, 60 + yy * 0.4, 80 + (xx + yy) * 0.1], axis=-1).astype(np.uint8)
        for i in range(seconds * fps):
            frame = street.copy()
            x = 10 + 8 * i
            cv2.rectangle(frame, (x, 150), (x + 40, 190), (30, 30, 200), -1)
            writer.write(frame)
        writer.release()
        return path.read_bytes()


def write_private_json(path: Path, payload: object) -> None:
    """Mode 0600 from the first byte: the file holds API keys."""
    from broker.adapters.durable import write_private

    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(payload, ensure_ascii=False, indent=2).encode("utf-8")
    write_private(path, data, exclusive=False)
