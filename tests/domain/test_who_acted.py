"""Client and camera events say who acted (``by``); those stored before they did (class version
1) still load, upcast to say nobody known, and the stored bytes are never rewritten."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

from broker.domain.camera import Camera, CameraSpec
from broker.domain.client import Client
from tests.conftest import T0

WHO = "person:5f0b7a52-3c1e-5b7e-9f39-1d2c3b4a5e6f"


def changed_client() -> Client:
    client = Client.register(name="Dunsan 112", role="police", agency="대전둔산경찰서",
                             key_hash="ab" * 32, at=T0, by=WHO)
    client.revoke("replaced", at=T0, by=WHO)
    return client


def changed_camera() -> Camera:
    camera = Camera.register(CameraSpec(
        key="k1", name="둔산로 1", agency="서구청", purpose="생활방범",
        purpose_category="crime_prevention", address="", lat=36.35, lon=127.38, coverage_m=50,
        retention_days=30), at=T0, by=WHO)
    later = T0 + timedelta(days=1)
    camera.relocate(36.351, 127.381, 60, at=later, by=WHO)
    camera.change_retention(14, at=later, by=WHO)
    camera.change_details({"name": "둔산로 2"}, at=later, by=WHO)
    camera.decommission("removed", at=later, by=WHO)
    return camera


def test_events_stored_before_they_named_who_acted_load_as_by_nobody(broker):
    mapper = broker.app.mapper
    events = [*changed_client().collect_events(), *changed_camera().collect_events()]
    assert len(events) == 7
    for event in events:
        stored = mapper.to_stored_event(event)
        state = json.loads(stored.state)
        assert state["by"] == WHO and state["class_version"] == 2
        assert mapper.to_domain_event(stored).by == WHO
        del state["by"], state["class_version"]  # as version 1 stored it
        loaded = mapper.to_domain_event(replace(stored, state=json.dumps(state).encode()))
        assert loaded.by is None and type(loaded) is type(event)
