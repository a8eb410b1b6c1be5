"""Key-encryption keys (KEKs) and the signing key, kept in files of mode 0600 in ``keys/``.

``kek.json`` holds every KEK version; the active one wraps new data keys, the others only
unwrap until rotation has moved every data key off them::

    {"format": "footage-broker-kek/1", "active": 2,
     "versions": {"1": {"key": "<base64>", "created": "2025-01-01T00:00:00Z", "retired": true},
                  "2": {"key": "<base64>", "created": "2025-06-01T00:00:00Z", "retired": false}}}

A version is *retired* once no data key uses it; it still unwraps (a keystore backup taken
before the rotation can be restored) until :func:`remove_retired` drops it from the file.
``signing.pem`` holds the Ed25519 key that signs exports and audit checkpoints.

Files are written whole (temp file, fsync, rename) and changed under a lock file, so readers
never see half a key file and concurrent ``broker keys`` commands do not lose versions.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import dataclasses
import hashlib
import json
import os
import secrets
import stat
import threading
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from broker.adapters.durable import write_private
from broker.adapters.locks import exclusive
from broker.adapters.vault.errors import KeyFileError

KEK_FILE = "kek.json"
SIGNING_FILE = "signing.pem"
LOCK_FILE = ".lock"
KEK_FORMAT = "footage-broker-kek/1"
KEK_SIZE = 32

StrPath = str | os.PathLike[str]


@dataclass(frozen=True, slots=True)
class KekVersion:
    """One key-encryption key; its bytes never appear in the repr."""

    version: int
    key: bytes = field(repr=False)
    created: str
    retired: bool = False


class KeyringSource(Protocol):
    """Where a keystore gets the current keyring: a fixed :class:`Keyring` or a :class:`KeyFile`."""

    def current(self) -> Keyring: ...


class Keyring:
    """The KEK versions of a key file, read-only; ``active`` wraps, every version unwraps."""

    __slots__ = ("_active", "_versions")

    def __init__(self, versions: Mapping[int, KekVersion], active: int) -> None:
        if active not in versions:
            raise KeyFileError(f"active KEK version {active} is not in the key file")
        self._versions = dict(versions)
        self._active = active

    @property
    def active(self) -> int:
        return self._active

    @property
    def versions(self) -> tuple[int, ...]:
        return tuple(sorted(self._versions))

    def version(self, version: int) -> KekVersion:
        try:
            return self._versions[version]
        except KeyError:
            raise KeyFileError(
                f"KEK version {version} is not in the key file (was it removed, or is this "
                "the wrong keys directory?)"
            ) from None

    def key(self, version: int) -> bytes:
        return self.version(version).key

    def entries(self) -> dict[int, KekVersion]:
        return dict(self._versions)

    def current(self) -> Keyring:
        return self

    def __repr__(self) -> str:
        retired = [v for v in self.versions if self._versions[v].retired]
        return f"Keyring(active={self._active}, versions={list(self.versions)}, retired={retired})"


class KeyFile:
    """A keyring that follows its file, so a running server sees versions added by a rotation."""

    def __init__(self, keys_dir: StrPath) -> None:
        self._keys_dir = Path(keys_dir)
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._keyring: Keyring | None = None

    def current(self) -> Keyring:
        path = kek_path(self._keys_dir)
        try:
            st = os.stat(path)
        except FileNotFoundError:
            raise KeyFileError(_missing(path)) from None
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        with self._lock:
            if self._keyring is None or stamp != self._stamp:
                self._keyring = load_keyring(self._keys_dir)
                self._stamp = stamp
            return self._keyring

    def __repr__(self) -> str:
        return f"KeyFile({str(self._keys_dir)!r})"


@dataclass(frozen=True, slots=True)
class PublicKeyInfo:
    """What ``GET /v1/keys/public`` publishes about one signing key."""

    key_id: str
    raw: bytes
    pem: str
    algorithm: str = "Ed25519"


def kek_path(keys_dir: StrPath) -> Path:
    return Path(keys_dir) / KEK_FILE


def init_keyfile(keys_dir: StrPath) -> Path:
    """Create ``kek.json`` with a first active version; refuses to overwrite an existing one."""
    keys_dir = _ensure_dir(keys_dir)
    path = kek_path(keys_dir)
    with _locked(keys_dir):
        _write_atomically(path, _encode(1, {1: _new_version(1)}), exclusive=True)
    return path


def load_keyring(keys_dir: StrPath) -> Keyring:
    """Read and check ``kek.json``; KeyFileError if missing, readable by others, or malformed."""
    path = kek_path(keys_dir)
    return _parse(path, _read_private(path))


def add_version(keys_dir: StrPath) -> int:
    """Add a fresh KEK version and make it the active one; returns its number."""
    with _locked(keys_dir):
        keyring = load_keyring(keys_dir)
        number = max(keyring.versions) + 1
        _save(keys_dir, number, {**keyring.entries(), number: _new_version(number)})
    return number


def retire(keys_dir: StrPath, version: int) -> None:
    """Mark a version as no longer used by any data key (it keeps unwrapping until removed)."""
    with _locked(keys_dir):
        keyring = load_keyring(keys_dir)
        if version == keyring.active:
            raise ValueError(f"KEK version {version} is active and cannot be retired")
        old = keyring.version(version)
        if not old.retired:
            retired = dataclasses.replace(old, retired=True)
            _save(keys_dir, keyring.active, {**keyring.entries(), version: retired})


def remove_retired(keys_dir: StrPath, in_use: Collection[int]) -> list[int]:
    """Drop retired versions that no data key uses; returns the removed version numbers.

    After this, keystore backups from before the rotation can no longer be unwrapped: the
    last copies of shredded data keys they hold become unreadable too.
    """
    used = set(in_use)
    with _locked(keys_dir):
        keyring = load_keyring(keys_dir)
        kept = {v: e for v, e in keyring.entries().items() if not e.retired or v in used}
        removed = sorted(set(keyring.versions) - set(kept))
        if removed:
            _save(keys_dir, keyring.active, kept)
    return removed


def load_or_create_signing_key(keys_dir: StrPath) -> Ed25519PrivateKey:
    """The Ed25519 key that signs exports and checkpoints, created (0600) on first use."""
    keys_dir = _ensure_dir(keys_dir)
    path = keys_dir / SIGNING_FILE
    if not path.exists():
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        with contextlib.suppress(KeyFileError):  # lost a race: use the winner's key below
            _write_atomically(path, pem, exclusive=True)
    try:
        loaded = serialization.load_pem_private_key(_read_private(path), password=None)
    except (ValueError, TypeError):
        raise KeyFileError(f"{path}: not an unencrypted PEM private key") from None
    if not isinstance(loaded, Ed25519PrivateKey):
        raise KeyFileError(f"{path}: not an Ed25519 private key")
    return loaded


def export_public_key(key: Ed25519PrivateKey | Ed25519PublicKey) -> PublicKeyInfo:
    """Public half of a signing key with its id: the first 16 hex digits of SHA-256(raw key)."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")
    return PublicKeyInfo(key_id=hashlib.sha256(raw).hexdigest()[:16], raw=raw, pem=pem)


def _missing(path: Path) -> str:
    return f"{path}: key file not found (run `broker init` first, or `broker keys init` for the keys alone)"


def _ensure_dir(keys_dir: StrPath) -> Path:
    path = Path(keys_dir)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


@contextlib.contextmanager
def _locked(keys_dir: StrPath) -> Iterator[None]:
    """Serialise read-modify-write cycles of the key files across processes."""
    if not Path(keys_dir).is_dir():
        raise KeyFileError(_missing(kek_path(keys_dir)))
    with exclusive(Path(keys_dir) / LOCK_FILE):
        yield


def _read_private(path: Path) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise KeyFileError(_missing(path)) from None
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot open key file: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as file:
        st = os.fstat(file.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise KeyFileError(f"{path}: not a regular file")
        mode = stat.S_IMODE(st.st_mode)
        if mode & 0o077:
            raise KeyFileError(
                f"{path}: mode {mode:04o} lets other users read key material; "
                f"run `chmod 600 {path}` (and check who may have copied it)"
            )
        return file.read()


def _write_atomically(path: Path, data: bytes, *, exclusive: bool) -> None:
    """Write a 0600 file whole; with ``exclusive``, KeyFileError if ``path`` already exists."""
    try:
        write_private(path, data, exclusive=exclusive)
    except FileExistsError:
        raise KeyFileError(f"{path}: already exists; refusing to overwrite it") from None


def _new_version(number: int) -> KekVersion:
    created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return KekVersion(number, secrets.token_bytes(KEK_SIZE), created)


def _save(keys_dir: StrPath, active: int, versions: Mapping[int, KekVersion]) -> None:
    _write_atomically(kek_path(keys_dir), _encode(active, versions), exclusive=False)


def _encode(active: int, versions: Mapping[int, KekVersion]) -> bytes:
    document = {
        "format": KEK_FORMAT,
        "active": active,
        "versions": {
            str(v.version): {
                "key": base64.b64encode(v.key).decode("ascii"),
                "created": v.created,
                "retired": v.retired,
            }
            for v in sorted(versions.values(), key=lambda v: v.version)
        },
    }
    return (json.dumps(document, indent=2) + "\n").encode("utf-8")


def _parse(path: Path, data: bytes) -> Keyring:
    def bad(reason: str) -> KeyFileError:
        return KeyFileError(f"{path}: malformed key file: {reason}")

    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise bad("not JSON") from None
    if not isinstance(document, dict) or document.get("format") != KEK_FORMAT:
        raise bad(f'expected an object with "format": "{KEK_FORMAT}"')
    active, entries = document.get("active"), document.get("versions")
    if not isinstance(active, int) or not isinstance(entries, dict) or not entries:
        raise bad('"active" must be a version number and "versions" a non-empty object')
    versions: dict[int, KekVersion] = {}
    for name, entry in entries.items():
        if not (isinstance(name, str) and name.isascii() and name.isdigit() and int(name) > 0):
            raise bad("version numbers must be positive integers")
        number = int(name)
        if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
            raise bad(f"version {number} has no key")
        try:
            key = base64.b64decode(entry["key"], validate=True)
        except (binascii.Error, ValueError):
            raise bad(f"version {number} key is not base64") from None
        if len(key) != KEK_SIZE:
            raise bad(f"version {number} key is not {KEK_SIZE} bytes")
        retired, created = entry.get("retired", False), entry.get("created", "")
        if not isinstance(retired, bool) or not isinstance(created, str):
            raise bad(f"version {number} has a malformed 'retired' or 'created'")
        versions[number] = KekVersion(number, key, created, retired)
    if active not in versions:
        raise bad(f"active version {active} is not among the versions")
    if versions[active].retired:
        raise bad(f"active version {active} is marked retired")
    return Keyring(versions, active)
