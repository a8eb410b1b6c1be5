"""Masked delivery to a data subject: every clip in scope, faces and plates blurred, signed.

Each clip is decrypted into a private scratch directory (mode 0700, inside the data dir),
masked frame by frame, and the plaintext source removed at once; the masked copies are zipped
with a signed manifest saying they are masked and by which detector, then removed too. If any
clip cannot be masked, nothing is delivered: masking failures refuse, they never degrade.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from broker.adapters import evidence
from broker.adapters.masking import Detector, MaskingError, manifest_entry, mask_video

READ_SIZE = 1 << 20


@dataclass
class MaskedClip:
    clip_id: str
    camera_id: str
    start: str
    end: str
    source_sha256: str
    path: Path
    size: int
    sha256: str
    masking: dict[str, Any]


class MaskedDelivery:
    """Owns its scratch directory; ``close`` (or the end of streaming) removes it."""

    def __init__(self, scratch_root: Path) -> None:
        scratch_root.mkdir(parents=True, exist_ok=True)
        self.scratch = Path(tempfile.mkdtemp(prefix="delivery-", dir=scratch_root))
        os.chmod(self.scratch, 0o700)
        self.clips: list[MaskedClip] = []

    def add(self, clip: Any, plaintext: Iterable[bytes], detector: Detector) -> None:
        source = self.scratch / f"{clip['id']}.src"
        masked = self.scratch / f"{clip['id']}.mp4"
        try:
            fd = os.open(source, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                for chunk in plaintext:
                    handle.write(chunk)
            report = mask_video(source, masked, detector=detector)
        finally:
            source.unlink(missing_ok=True)
        digest = hashlib.sha256()
        with masked.open("rb") as handle:
            while chunk := handle.read(READ_SIZE):
                digest.update(chunk)
        self.clips.append(MaskedClip(
            clip_id=clip["id"], camera_id=clip["camera_id"], start=clip["start"], end=clip["end"],
            source_sha256=clip["sha256"], path=masked, size=masked.stat().st_size,
            sha256=digest.hexdigest(), masking=manifest_entry(report)))

    def manifest_clips(self) -> list[dict[str, Any]]:
        return [{"file": evidence.clip_path(c.clip_id, ".mp4"), "clip_id": c.clip_id,
                 "camera_id": c.camera_id, "start": c.start, "end": c.end, "size": c.size,
                 "sha256": c.sha256, "source_sha256": c.source_sha256, "masking": c.masking}
                for c in self.clips]

    def stream(self, manifest: bytes, signature: bytes) -> Iterator[bytes]:
        """The zip; the scratch directory is removed when streaming ends, however it ends."""
        try:
            bodies = [(c.clip_id, _reader(c.path)) for c in self.clips]
            yield from evidence.stream_package(manifest, signature, bodies, suffix=".mp4")
        finally:
            self.close()

    def close(self) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)


def _reader(path: Path) -> Callable[[], Iterator[bytes]]:
    def read() -> Iterator[bytes]:
        with path.open("rb") as handle:
            while chunk := handle.read(READ_SIZE):
                yield chunk

    return read


__all__ = ["MaskedDelivery", "MaskingError"]
