"""The keystore contract, run on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
import stat
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

import pytest

from broker.adapters.vault import kek
from broker.adapters.vault.errors import (
    IntegrityError,
    KeyExistsError,
    KeyFileError,
    KeyShreddedError,
)
from broker.adapters.vault.keystore import Keystore, SQLiteKeystore
from tests.vault.conftest import KeystoreBackend


def new_id() -> str:
    return str(uuid.uuid4())


def test_create_then_get_returns_the_same_random_key(keystore: Keystore) -> None:
    first, second = new_id(), new_id()
    key = keystore.create_key(first)
    assert len(key) == 32 and keystore.get_key(first) == key
    assert keystore.create_key(second) != key
    assert keystore.exists(first) and not keystore.exists(new_id())


def test_an_id_is_used_once(keystore: Keystore) -> None:
    key_id = new_id()
    key = keystore.create_key(key_id)
    with pytest.raises(KeyExistsError):
        keystore.create_key(key_id)
    assert keystore.get_key(key_id) == key


def test_shredding_is_final_and_idempotent(keystore: Keystore) -> None:
    key_id, kept = new_id(), new_id()
    keystore.create_key(key_id)
    kept_key = keystore.create_key(kept)
    assert keystore.shred(key_id) is True
    with pytest.raises(KeyShreddedError):
        keystore.get_key(key_id)
    assert not keystore.exists(key_id)
    assert keystore.shred(key_id) is False
    assert keystore.get_key(kept) == kept_key


def test_unknown_keys_count_as_shredded(keystore: Keystore) -> None:
    with pytest.raises(KeyShreddedError):
        keystore.get_key(new_id())


@pytest.mark.parametrize("bad_id", ["", "k" * 256])
def test_malformed_ids_are_refused(keystore: Keystore, bad_id: str) -> None:
    with pytest.raises(ValueError):
        keystore.create_key(bad_id)


def test_keys_survive_reopening(
    keystore_backend: KeystoreBackend, keystore: Keystore, keys_dir: Path
) -> None:
    key_id = new_id()
    key = keystore.create_key(key_id)
    keystore.close()
    reopened = keystore_backend.open(kek.KeyFile(keys_dir))
    assert reopened.get_key(key_id) == key


def test_counts_by_kek_version_and_rewraps_in_batches(
    keystore: Keystore, keys_dir: Path
) -> None:
    keys = {key_id: keystore.create_key(key_id) for key_id in (new_id() for _ in range(7))}
    assert keystore.count_by_kek_version() == {1: 7}
    kek.add_version(keys_dir)
    keyring = kek.load_keyring(keys_dir)
    assert keystore.rewrap_batch(keyring, 5) == 5
    assert keystore.count_by_kek_version() == {1: 2, 2: 5}
    assert keystore.rewrap_batch(keyring, 5) == 2
    assert keystore.rewrap_batch(keyring, 5) == 0
    assert keystore.count_by_kek_version() == {2: 7}
    assert {key_id: keystore.get_key(key_id) for key_id in keys} == keys


def test_a_running_keystore_sees_a_rotation_made_elsewhere(
    keystore_backend: KeystoreBackend, keys_dir: Path
) -> None:
    server = keystore_backend.open(kek.KeyFile(keys_dir))
    key_id = new_id()
    key = server.create_key(key_id)
    operator = keystore_backend.open(kek.KeyFile(keys_dir))
    kek.add_version(keys_dir)
    operator.rewrap_batch(kek.load_keyring(keys_dir), 10)
    assert server.get_key(key_id) == key
    server.create_key(new_id())
    assert server.count_by_kek_version() == {2: 2}


def test_a_different_kek_cannot_unwrap(
    keystore_backend: KeystoreBackend, keystore: Keystore, tmp_path: Path
) -> None:
    key_id = new_id()
    keystore.create_key(key_id)
    kek.init_keyfile(tmp_path / "other")
    stranger = keystore_backend.open(kek.KeyFile(tmp_path / "other"))
    with pytest.raises(IntegrityError):
        stranger.get_key(key_id)


def test_a_removed_kek_version_is_a_key_file_error(keystore: Keystore, keys_dir: Path) -> None:
    key_id = new_id()
    keystore.create_key(key_id)
    kek.add_version(keys_dir)
    kek.retire(keys_dir, 1)
    kek.remove_retired(keys_dir, in_use=())
    with pytest.raises(KeyFileError, match="KEK version 1"):
        keystore.get_key(key_id)


def test_wrapped_keys_are_bound_to_their_id_and_version(
    keystore_backend: KeystoreBackend, keystore: Keystore, keys_dir: Path
) -> None:
    first, second, flipped = new_id(), new_id(), new_id()
    for key_id in (first, second, flipped):
        keystore.create_key(key_id)
    wrapped = keystore_backend.sql("SELECT wrapped FROM broker_data_keys WHERE key_id = ?", first)
    keystore_backend.sql(
        "UPDATE broker_data_keys SET wrapped = ? WHERE key_id = ?", bytes(wrapped[0][0]), second
    )
    kek.add_version(keys_dir)
    keystore_backend.sql("UPDATE broker_data_keys SET kek_version = 2 WHERE key_id = ?", first)
    row = keystore_backend.sql("SELECT wrapped FROM broker_data_keys WHERE key_id = ?", flipped)
    damaged = bytearray(row[0][0])
    damaged[-1] ^= 1
    keystore_backend.sql(
        "UPDATE broker_data_keys SET wrapped = ? WHERE key_id = ?", bytes(damaged), flipped
    )
    for key_id in (first, second, flipped):
        with pytest.raises(IntegrityError):
            keystore.get_key(key_id)


def test_safe_to_share_between_threads(keystore: Keystore) -> None:
    def work(_: int) -> bool:
        key_id = new_id()
        key = keystore.create_key(key_id)
        same = keystore.get_key(key_id) == key
        return same and keystore.shred(key_id) and not keystore.exists(key_id)

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(work, range(64)))
    assert keystore.count_by_kek_version() == {}


def test_repr_shows_no_secrets(keystore: Keystore, keys_dir: Path) -> None:
    key = keystore.create_key(new_id())
    assert key.hex() not in repr(keystore) and "password" not in repr(keystore)


class TestSQLiteFile:
    """What stays on disk: a private file, no plaintext keys, nothing left after shredding."""

    @pytest.fixture
    def store(self, tmp_path: Path, keys_dir: Path) -> Iterator[SQLiteKeystore]:
        store = SQLiteKeystore(tmp_path / "var" / "keystore.db", kek.KeyFile(keys_dir))
        yield store
        store.close()

    def on_disk(self, store: SQLiteKeystore) -> bytes:
        files = [store.path, *store.path.parent.glob(store.path.name + "-*")]
        return b"".join(path.read_bytes() for path in files if path.exists())

    def test_the_file_is_private(self, store: SQLiteKeystore) -> None:
        assert stat.S_IMODE(store.path.stat().st_mode) == 0o600

    def test_keys_are_stored_wrapped_and_shredding_erases_them(
        self, store: SQLiteKeystore
    ) -> None:
        key_id = new_id()
        key = store.create_key(key_id)
        store.create_key(new_id())
        with closing(sqlite3.connect(store.path)) as conn:
            query = "SELECT wrapped FROM data_keys WHERE key_id = ?"
            wrapped = conn.execute(query, (key_id,)).fetchone()[0]
        assert key not in self.on_disk(store) and wrapped in self.on_disk(store)
        store.shred(key_id)
        assert wrapped not in self.on_disk(store)


def test_shred_many_is_one_batch_and_idempotent(keystore: Keystore) -> None:
    ids = [f"clip-{i}" for i in range(6)]
    for key_id in ids[:5]:
        keystore.create_key(key_id)
    assert keystore.shred_many(ids) == 5
    assert not any(keystore.exists(key_id) for key_id in ids)
    assert keystore.shred_many(ids) == 0


def test_get_keys_reads_a_batch_and_leaves_out_shredded_and_unknown_ones(keystore: Keystore) -> None:
    ids = [f"subject:{i}" for i in range(1200)]  # more than one statement's worth
    keys = {key_id: keystore.create_key(key_id) for key_id in ids}
    keystore.shred(ids[7])
    found = keystore.get_keys([*ids, ids[3], "never-created"])
    assert found == {key_id: key for key_id, key in keys.items() if key_id != ids[7]}
    assert keystore.get_keys([]) == {}
