"""Signed evidence packages: a zip of clips with a manifest the recipient can verify offline.

Layout: ``manifest.json`` (canonical JSON), ``manifest.sig`` (Ed25519 over the exact manifest
bytes, with the key id), then ``clips/<clip id>.bin``. The manifest comes first and already
names every clip's SHA-256 (recorded at ingest), so the zip streams in constant memory.
"""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from broker.adapters.vault.kek import export_public_key

FORMAT = "footage-broker-export/1"


def canonical(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def clip_path(clip_id: str, suffix: str = ".bin") -> str:
    return f"clips/{clip_id}{suffix}"


def signature_document(manifest_bytes: bytes, key: Ed25519PrivateKey) -> bytes:
    info = export_public_key(key)
    return canonical({"algorithm": "Ed25519", "key_id": info.key_id,
                      "signature": base64.b64encode(key.sign(manifest_bytes)).decode("ascii")})


class _Sink:
    """A write-only file for zipfile; what is written is drained by the generator."""

    def __init__(self) -> None:
        self.parts: deque[bytes] = deque()

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def drain(self) -> Iterator[bytes]:
        while self.parts:
            yield self.parts.popleft()


def stream_package(manifest_bytes: bytes, signature: bytes,
                   clip_bodies: Iterable[tuple[str, Callable[[], Iterable[bytes]]]],
                   suffix: str = ".bin") -> Iterator[bytes]:
    """Zip bytes, produced as the clips are decrypted; nothing is buffered beyond one chunk."""
    sink = _Sink()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("manifest.json", manifest_bytes)
        archive.writestr("manifest.sig", signature)
        yield from sink.drain()
        for clip_id, open_body in clip_bodies:
            with archive.open(clip_path(clip_id, suffix), mode="w", force_zip64=True) as member:
                for chunk in open_body():
                    member.write(chunk)
                    yield from sink.drain()
            yield from sink.drain()
    yield from sink.drain()


@dataclass
class PackageCheck:
    ok: bool
    problems: list[str] = field(default_factory=list)
    manifest: dict[str, Any] | None = None


def verify_package(path: Path, public_key: Ed25519PublicKey) -> PackageCheck:
    """Signature over the manifest, then every clip's SHA-256 and size against the manifest."""
    check = PackageCheck(ok=False)
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        check.problems.append(f"not a readable zip: {exc}")
        return check
    with archive:
        names = set(archive.namelist())
        if not {"manifest.json", "manifest.sig"} <= names:
            check.problems.append("manifest.json or manifest.sig is missing")
            return check
        manifest_bytes = archive.read("manifest.json")
        try:
            signature = json.loads(archive.read("manifest.sig"))
            public_key.verify(base64.b64decode(signature["signature"]), manifest_bytes)
        except InvalidSignature:
            check.problems.append("manifest signature does not verify with this public key")
            return check
        except (ValueError, KeyError, TypeError):
            check.problems.append("manifest.sig is malformed")
            return check
        manifest = json.loads(manifest_bytes)
        check.manifest = manifest
        expected = {"manifest.json", "manifest.sig"}
        for clip in manifest.get("clips", []):
            name = clip["file"]
            expected.add(name)
            if name not in names:
                check.problems.append(f"{name}: missing")
                continue
            digest = hashlib.sha256()
            size = 0
            with archive.open(name) as member:
                while chunk := member.read(1 << 20):
                    digest.update(chunk)
                    size += len(chunk)
            if digest.hexdigest() != clip["sha256"] or size != clip["size"]:
                check.problems.append(f"{name}: content does not match the manifest")
        for extra in sorted(names - expected):
            check.problems.append(f"{extra}: not listed in the manifest")
    check.ok = not check.problems
    return check
