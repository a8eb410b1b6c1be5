"""Client events say who registered or revoked a client; those stored before they did (class
version 1) still load, upcast to say nobody known."""

from __future__ import annotations

import json
from dataclasses import replace

from broker.domain.client import Client
from tests.conftest import T0


def test_events_stored_before_they_named_who_acted_load_as_by_nobody(broker):
    client = Client.register(name="Dunsan 112", role="police", agency="대전둔산경찰서",
                             key_hash="ab" * 32, at=T0, by="person:someone")
    client.revoke("replaced", at=T0, by="person:someone")
    mapper = broker.app.mapper
    for event in client.collect_events():
        stored = mapper.to_stored_event(event)
        state = json.loads(stored.state)
        assert state["by"] == "person:someone" and state["class_version"] == 2
        del state["by"], state["class_version"]  # as version 1 stored it
        old = replace(stored, state=json.dumps(state).encode())
        loaded = mapper.to_domain_event(old)
        assert loaded.by is None and type(loaded) is type(event)
