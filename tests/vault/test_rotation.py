"""KEK rotation on SQLite and PostgreSQL: every key stays readable, crashes are resumable."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from broker.adapters.vault import kek
from broker.adapters.vault.keystore import Keystore
from broker.adapters.vault.rotation import rotate
from tests.vault.conftest import KeystoreBackend


class Crash(Exception):
    """Stands in for the process dying in the middle of a rotation batch."""


class CrashAfter:
    """Mixin for a real keystore class: dies after re-wrapping ``budget`` keys."""

    budget = 0

    def _rewrap(self, *args: Any) -> bytes:
        if self.budget == 0:
            raise Crash
        self.budget -= 1
        return super()._rewrap(*args)  # type: ignore[misc]


def crashing(backend: KeystoreBackend, keys_dir: Path, budget: int) -> Keystore:
    cls = type(f"Crashing{backend.cls.__name__}", (CrashAfter, backend.cls), {"budget": budget})
    return backend.open(kek.KeyFile(keys_dir), cls=cls)


def fill(keystore: Keystore, count: int) -> dict[str, bytes]:
    return {key_id: keystore.create_key(key_id) for key_id in (str(uuid.uuid4()) for _ in range(count))}


def readable(keystore: Keystore, keys: dict[str, bytes]) -> bool:
    return {key_id: keystore.get_key(key_id) for key_id in keys} == keys


def test_rotation_rewraps_every_key_and_retires_the_old_version(
    keystore: Keystore, keys_dir: Path
) -> None:
    keys = fill(keystore, 23)
    report = rotate(keystore, keys_dir, batch_size=5)
    assert (report.active, report.resumed, report.rewrapped) == (2, False, 23)
    assert (report.retired, report.removed, report.remaining) == ((1,), (), {})
    assert keystore.count_by_kek_version() == {2: 23}
    assert readable(keystore, keys)
    keyring = kek.load_keyring(keys_dir)
    assert keyring.version(1).retired and keyring.versions == (1, 2)


def test_a_later_rotation_can_remove_unused_versions(keystore: Keystore, keys_dir: Path) -> None:
    keys = fill(keystore, 4)
    rotate(keystore, keys_dir)
    report = rotate(keystore, keys_dir, remove_unused=True)
    assert (report.active, report.retired, report.removed) == (3, (2,), (1, 2))
    assert kek.load_keyring(keys_dir).versions == (3,)
    assert readable(keystore, keys)


def test_an_empty_keystore_rotates_at_once(keystore: Keystore, keys_dir: Path) -> None:
    report = rotate(keystore, keys_dir)
    assert (report.active, report.rewrapped, report.retired) == (2, 0, (1,))


@pytest.mark.parametrize("budget", [0, 12])
def test_a_crash_mid_rotation_keeps_keys_readable_and_a_rerun_converges(
    keystore_backend: KeystoreBackend, keystore: Keystore, keys_dir: Path, budget: int
) -> None:
    keys = fill(keystore, 23)
    with pytest.raises(Crash):
        rotate(crashing(keystore_backend, keys_dir, budget), keys_dir, batch_size=5)
    committed = budget // 5 * 5  # whole batches; the crashed one rolled back with its transaction
    expected = {1: 23 - committed, 2: committed}
    assert keystore.count_by_kek_version() == {v: n for v, n in expected.items() if n}
    assert readable(keystore, keys)
    assert not kek.load_keyring(keys_dir).version(1).retired

    report = rotate(keystore, keys_dir, batch_size=5)
    assert (report.active, report.resumed, report.rewrapped) == (2, True, 23 - committed)
    assert report.retired == (1,)
    assert keystore.count_by_kek_version() == {2: 23}
    assert kek.load_keyring(keys_dir).versions == (1, 2)
    assert readable(keystore, keys)


def test_keys_restored_under_a_retired_version_are_moved_by_the_next_rotation(
    keystore_backend: KeystoreBackend, keystore: Keystore, keys_dir: Path
) -> None:
    old_ring = kek.load_keyring(keys_dir)
    rotate(keystore, keys_dir)
    stale = keystore_backend.open(old_ring)  # a writer that never reloaded its key file
    late = fill(stale, 2)
    report = rotate(keystore, keys_dir, remove_unused=True)
    assert report.active == 3 and report.rewrapped == 2
    assert keystore.count_by_kek_version() == {3: 2}
    assert readable(keystore, late)


def test_batch_size_must_be_positive(keystore: Keystore, keys_dir: Path) -> None:
    with pytest.raises(ValueError):
        rotate(keystore, keys_dir, batch_size=0)
