"""Aggregates are cached per process and fast-forwarded: loads stay cheap and never stale."""

from __future__ import annotations

from pathlib import Path

from broker.bootstrap import build
from broker.config import Settings
from broker.domain.client import Client
from tests.conftest import SHELL


def test_the_cache_is_on_by_default_and_can_be_turned_off(tmp_path: Path):
    on = Settings(data_dir=tmp_path).eventsourcing_env()
    assert on["AGGREGATE_CACHE_MAXSIZE"] == "1000" and on["AGGREGATE_CACHE_FASTFORWARD"] == "y"
    off = Settings(data_dir=tmp_path, aggregate_cache_size=0).eventsourcing_env()
    assert "AGGREGATE_CACHE_MAXSIZE" not in off
    assert off["PERSISTENCE_MODULE"] == on["PERSISTENCE_MODULE"] == "eventsourcing.sqlite"


def test_a_cached_aggregate_sees_what_another_process_recorded(sqlite_settings, clock):
    first, second = build(sqlite_settings, clock), build(sqlite_settings, clock)
    try:
        assert first.app.repository.cache is not None
        client_id, _ = first.clients.register(SHELL, name="112", role="police", agency="대전경찰청")
        cached = first.app.load(client_id, Client, "client")  # now in first's cache
        assert cached.revoked_at is None
        second.clients.revoke(SHELL, str(client_id), "key leaked")
        seen = first.app.load(client_id, Client, "client")
        assert seen.revoked_at is not None and seen.version == cached.version + 1
        seen.name = "changed"  # a copy: changing it leaves the cached one alone
        assert first.app.load(client_id, Client, "client").name == "112"
    finally:
        first.close()
        second.close()
