"""Signed evidence packages: a zip of clips with a manifest the recipient can verify offline.

Layout: ``manifest.json`` (canonical JSON), ``manifest.sig`` (Ed25519 over the exact manifest
bytes, with the key id), the documents it lists (a police export's chain-of-custody report),
then the clips under ``clips/``. The manifest comes first and already names every file's
SHA-256 (a clip's was recorded at ingest), so the zip streams in constant memory.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from broker.adapters.vault.kek import export_public_key
from broker.adapters.zipstream import ZipStream

FORMAT = "footage-broker-export/2"
"""2: clips under readable names, and documents (the chain-of-custody report) in the manifest."""
REPORT_FILE = "chain-of-custody.pdf"
MAX_CAMERA_CHARS = 60
_UNSAFE = re.compile(r"[^\w\-.()]+")  # \w is Unicode: Hangul, other scripts and digits stay
_SEPARATORS = re.compile(r"[_\s]+")

Opener = Callable[[], Iterable[bytes]]


def canonical(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def clip_path(clip_id: str, suffix: str = ".bin") -> str:
    return f"clips/{clip_id}{suffix}"


def clip_file_name(camera_name: str, start: datetime, clip_id: str, extension: str,
                   id_chars: int = 8) -> str:
    """``clips/<camera name>_<start, UTC>_<clip id prefix><extension>``, safe to unpack anywhere.

    The camera name keeps its letters in any script (NFC), digits and ``-.()``; separators and
    anything else (slashes, colons, control characters) become ``_``. The clip id keeps names
    of clips that start together on one camera apart.
    """
    name = unicodedata.normalize("NFC", camera_name)
    name = _SEPARATORS.sub("_", _UNSAFE.sub("_", name)).strip("._-")[:MAX_CAMERA_CHARS].strip("._-")
    stamp = start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    suffix = extension if re.fullmatch(r"\.[a-z0-9]{1,5}", extension) else ".bin"
    return f"clips/{name or 'camera'}_{stamp}_{clip_id.replace('-', '')[:id_chars]}{suffix}"


def unique_clip_file_names(clips: Sequence[tuple[str, datetime, str, str]]) -> list[str]:
    """:func:`clip_file_name` of each (camera name, start, clip id, extension); a name that
    would be taken twice gets the whole clip id instead."""
    names = [clip_file_name(*clip) for clip in clips]
    taken = {name for name in names if names.count(name) > 1}
    return [clip_file_name(*clip, id_chars=32) if name in taken else name
            for name, clip in zip(names, clips, strict=True)]


def signature_document(manifest_bytes: bytes, key: Ed25519PrivateKey) -> bytes:
    info = export_public_key(key)
    return canonical({"algorithm": "Ed25519", "key_id": info.key_id,
                      "signature": base64.b64encode(key.sign(manifest_bytes)).decode("ascii")})


def stream_package(manifest_bytes: bytes, signature: bytes,
                   clip_bodies: Iterable[tuple[str, Opener]], suffix: str = ".bin") -> Iterator[bytes]:
    """:func:`stream_files` with each clip at ``clips/<clip id><suffix>``."""
    files = ((clip_path(clip_id, suffix), open_body) for clip_id, open_body in clip_bodies)
    return stream_files(manifest_bytes, signature, files)


def stream_files(manifest_bytes: bytes, signature: bytes, files: Iterable[tuple[str, Opener]],
                 documents: Iterable[tuple[str, bytes]] = (), modified: datetime | None = None
                 ) -> Iterator[bytes]:
    """Zip bytes, produced as the clips are decrypted; nothing is held but the chunk at hand.

    ``files`` are (path in the zip, opener of its body); ``documents`` are small files already
    in memory (the report), stored right after the signature. Every member is dated
    ``modified`` (default: now), in UTC.
    """
    archive = ZipStream(modified or datetime.now(UTC))
    head = [archive.file("manifest.json", manifest_bytes), archive.file("manifest.sig", signature)]
    head += [archive.file(name, data) for name, data in documents]
    yield b"".join(head)
    for name, open_body in files:
        yield from archive.stream(name, open_body())
    yield archive.finish()


def package_size(manifest_bytes: bytes, signature: bytes, documents: Iterable[tuple[str, bytes]],
                 files: Iterable[tuple[str, int]]) -> int:
    """The length of :func:`stream_files`' zip, given each file's (path, size): its
    ``Content-Length``, known before the first byte."""
    at_hand = [("manifest.json", len(manifest_bytes)), ("manifest.sig", len(signature)),
               *((name, len(data)) for name, data in documents)]
    return ZipStream.planned_size(at_hand, files)


@dataclass
class PackageCheck:
    ok: bool
    problems: list[str] = field(default_factory=list)
    manifest: dict[str, Any] | None = None


def verify_package(path: Path, public_key: Ed25519PublicKey) -> PackageCheck:
    """Signature over the manifest, then every clip's and document's SHA-256 and size against
    the manifest; a file it does not list is a problem too."""
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
        for entry in [*manifest.get("clips", []), *manifest.get("documents", [])]:
            name = entry["file"]
            expected.add(name)
            if name not in names:
                check.problems.append(f"{name}: missing")
                continue
            digest = hashlib.sha256()
            size = 0
            try:
                with archive.open(name) as member:
                    while chunk := member.read(1 << 20):
                        digest.update(chunk)
                        size += len(chunk)
            except zipfile.BadZipFile as exc:  # e.g. its CRC-32 fails: altered inside the zip
                check.problems.append(f"{name}: unreadable ({exc})")
                continue
            if digest.hexdigest() != entry["sha256"] or size != entry["size"]:
                check.problems.append(f"{name}: content does not match the manifest")
        for extra in sorted(names - expected):
            check.problems.append(f"{extra}: not listed in the manifest")
    check.ok = not check.problems
    return check
