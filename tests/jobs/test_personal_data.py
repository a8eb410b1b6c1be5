"""Personal data in events is sealed, readable while its key lives, and erased for real."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from uuid import UUID

from broker.bootstrap import build
from broker.domain.roles import Role
from tests.api.conftest import bearer
from tests.api.helpers import add_cameras, crime_request

MARKER = "man in a red jacket, about 180 cm"


def files_containing(root: Path, needle: bytes) -> list[str]:
    return [str(p) for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_sealed_in_events_readable_until_record_retention_then_gone(api, broker, keys, clock,
                                                                    sqlite_settings, tmp_path):
    add_cameras(broker)
    police = bearer(keys[Role.POLICE])
    created = api.post("/v1/requests", json=crime_request(purpose=MARKER), headers=police).json()
    assert created["purpose"] == MARKER
    assert created["incident"]["location"] == {"lat": 36.3504, "lon": 127.3845}
    assert created["personal_data"] == "present"
    events_db = sqlite_settings.events_db_path.read_bytes()
    assert MARKER.encode() not in events_db
    assert b"36.3504" not in events_db  # the caller's location is sealed too
    # Not in the read model either: it keeps the seal and opens it on read.
    assert files_containing(tmp_path, MARKER.encode()) == []

    clock.advance(timedelta(days=broker.policy.record_retention_days - 1))
    assert broker.sweeps.erase_personal_data() == 0
    clock.advance(timedelta(days=1))
    assert broker.sweeps.erase_personal_data() == 1
    assert broker.sweeps.erase_personal_data() == 0

    seen = api.get(f"/v1/requests/{created['id']}", headers=bearer(keys[Role.PRIVACY_OFFICER]))
    body = seen.json()
    assert body["purpose"] is None and body["incident"]["location"] is None
    assert body["personal_data"] == "erased"
    assert body["decision"]["outcome"] == "granted"  # the record itself remains
    topics = [e.topic for e in broker.app.recorder.select_events(UUID(created["id"]))]
    assert topics[-1] == "footage-broker:FootageRequest.PersonalDataErased"
    assert files_containing(tmp_path, MARKER.encode()) == []

    # A read model rebuilt from the log cannot bring it back either.
    rebuilt_settings = sqlite_settings.model_copy(
        update={"readmodel_url": f"sqlite:///{tmp_path / 'rebuilt.db'}"})
    rebuilt = build(rebuilt_settings, clock)
    try:
        from broker.readmodel.request_view import get_request_row

        with rebuilt.readmodel.reader.connect() as conn:
            row = get_request_row(conn, created["id"])
        assert MARKER not in row["details"] and row["sealed_personal_data"] is None
        assert row["personal_erased_at"] is not None
    finally:
        rebuilt.close()
