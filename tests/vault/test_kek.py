from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from broker.adapters.vault import kek
from broker.adapters.vault.errors import KeyFileError


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def key_texts(keys_dir: Path) -> list[str]:
    document = json.loads(kek.kek_path(keys_dir).read_text())
    return [entry["key"] for entry in document["versions"].values()]


def test_init_creates_a_private_file_with_one_active_version(tmp_path: Path) -> None:
    keys_dir = tmp_path / "keys"
    path = kek.init_keyfile(keys_dir)
    assert path == keys_dir / "kek.json"
    assert (mode(path), mode(keys_dir)) == (0o600, 0o700)
    keyring = kek.load_keyring(keys_dir)
    assert (keyring.active, keyring.versions) == (1, (1,))
    assert len(keyring.key(1)) == 32
    assert [p.name for p in keys_dir.iterdir() if p.name.endswith(".tmp")] == []


def test_init_refuses_to_overwrite(keys_dir: Path) -> None:
    before = kek.kek_path(keys_dir).read_bytes()
    with pytest.raises(KeyFileError, match="refusing to overwrite"):
        kek.init_keyfile(keys_dir)
    assert kek.kek_path(keys_dir).read_bytes() == before


@pytest.mark.parametrize("insecure", [0o644, 0o640, 0o604, 0o660, 0o666])
def test_a_key_file_others_can_read_is_refused(keys_dir: Path, insecure: int) -> None:
    path = kek.kek_path(keys_dir)
    path.chmod(insecure)
    with pytest.raises(KeyFileError) as caught:
        kek.load_keyring(keys_dir)
    assert str(path) in str(caught.value) and f"chmod 600 {path}" in str(caught.value)


@pytest.mark.parametrize("private", [0o600, 0o400])
def test_a_private_key_file_is_accepted(keys_dir: Path, private: int) -> None:
    kek.kek_path(keys_dir).chmod(private)
    assert kek.load_keyring(keys_dir).active == 1


def test_missing_key_file_says_how_to_create_it(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="broker keys init"):
        kek.load_keyring(tmp_path)
    with pytest.raises(KeyFileError, match="broker keys init"):
        kek.add_version(tmp_path / "absent")


GOOD_KEY = base64.b64encode(b"k" * 32).decode()


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        "[]",
        json.dumps({"format": "other", "active": 1, "versions": {}}),
        json.dumps({"format": kek.KEK_FORMAT, "active": 1, "versions": {}}),
        json.dumps({"format": kek.KEK_FORMAT, "active": 2, "versions": {"1": {"key": GOOD_KEY}}}),
        json.dumps({"format": kek.KEK_FORMAT, "active": 1, "versions": {"x": {"key": GOOD_KEY}}}),
        json.dumps({"format": kek.KEK_FORMAT, "active": 1, "versions": {"1": {"key": "!!"}}}),
        json.dumps(
            {"format": kek.KEK_FORMAT, "active": 1, "versions": {"1": {"key": GOOD_KEY[:-8]}}}
        ),
        json.dumps(
            {
                "format": kek.KEK_FORMAT,
                "active": 1,
                "versions": {"1": {"key": GOOD_KEY, "retired": True}},
            }
        ),
    ],
)
def test_malformed_key_files_are_refused_without_echoing_keys(
    keys_dir: Path, content: str
) -> None:
    path = kek.kek_path(keys_dir)
    path.write_text(content)
    with pytest.raises(KeyFileError) as caught:
        kek.load_keyring(keys_dir)
    assert str(path) in str(caught.value)
    assert GOOD_KEY not in str(caught.value) and GOOD_KEY[:-8] not in str(caught.value)


def test_versions_are_added_retired_and_removed(keys_dir: Path) -> None:
    first = kek.load_keyring(keys_dir).key(1)
    assert kek.add_version(keys_dir) == 2
    keyring = kek.load_keyring(keys_dir)
    assert (keyring.active, keyring.versions, keyring.key(1)) == (2, (1, 2), first)
    with pytest.raises(ValueError, match="active"):
        kek.retire(keys_dir, 2)
    kek.retire(keys_dir, 1)
    kek.retire(keys_dir, 1)
    keyring = kek.load_keyring(keys_dir)
    assert keyring.version(1).retired and keyring.key(1) == first
    assert kek.remove_retired(keys_dir, in_use={1}) == []
    assert kek.remove_retired(keys_dir, in_use={2}) == [1]
    assert kek.load_keyring(keys_dir).versions == (2,)
    with pytest.raises(KeyFileError, match="version 1 is not in the key file"):
        kek.load_keyring(keys_dir).key(1)
    assert mode(kek.kek_path(keys_dir)) == 0o600


def test_concurrent_changes_lose_no_version(keys_dir: Path) -> None:
    with ThreadPoolExecutor(8) as pool:
        added = sorted(pool.map(lambda _: kek.add_version(keys_dir), range(16)))
    assert added == list(range(2, 18))
    assert kek.load_keyring(keys_dir).versions == tuple(range(1, 18))


def test_no_repr_shows_key_material(keys_dir: Path) -> None:
    kek.add_version(keys_dir)
    keyring = kek.load_keyring(keys_dir)
    shown = repr(keyring) + repr(keyring.version(1)) + repr(kek.KeyFile(keys_dir))
    for text in key_texts(keys_dir):
        key = base64.b64decode(text)
        assert text not in shown and key.hex() not in shown and repr(key) not in shown
    assert repr(keyring) == "Keyring(active=2, versions=[1, 2], retired=[])"


def test_key_file_source_follows_changes_on_disk(keys_dir: Path) -> None:
    source = kek.KeyFile(keys_dir)
    assert source.current().active == 1
    assert source.current() is source.current()
    kek.add_version(keys_dir)
    assert source.current().active == 2


def test_signing_key_is_created_private_and_stable(tmp_path: Path) -> None:
    keys_dir = tmp_path / "keys"
    key = kek.load_or_create_signing_key(keys_dir)
    path = keys_dir / kek.SIGNING_FILE
    assert mode(path) == 0o600
    again = kek.load_or_create_signing_key(keys_dir)
    info = kek.export_public_key(key)
    assert kek.export_public_key(again) == info
    assert info.key_id == hashlib.sha256(info.raw).hexdigest()[:16] and len(info.raw) == 32
    public = serialization.load_pem_public_key(info.pem.encode())
    assert isinstance(public, Ed25519PublicKey)
    public.verify(key.sign(b"manifest"), b"manifest")
    assert kek.export_public_key(public) == info


def test_signing_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    kek.load_or_create_signing_key(tmp_path)
    os.chmod(tmp_path / kek.SIGNING_FILE, 0o644)
    with pytest.raises(KeyFileError, match="chmod 600"):
        kek.load_or_create_signing_key(tmp_path)


def test_signing_file_that_is_not_an_ed25519_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / kek.SIGNING_FILE
    path.write_text("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n")
    path.chmod(0o600)
    with pytest.raises(KeyFileError, match="PEM"):
        kek.load_or_create_signing_key(tmp_path)
