"""MP4 top-level box walking, on hand-made byte strings and on real files."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from broker.adapters.video import Box, is_faststart, top_level_boxes
from tests.video import samples


def box(kind: bytes, payload: bytes = b"") -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def test_plain_boxes(tmp_path: Path) -> None:
    path = tmp_path / "a.mp4"
    path.write_bytes(box(b"ftyp", b"isom0000") + box(b"moov", b"x" * 10) + box(b"mdat", b"y" * 5))
    assert top_level_boxes(path) == [Box("ftyp", 0, 16), Box("moov", 16, 18), Box("mdat", 34, 13)]
    assert is_faststart(path)


def test_64_bit_size_and_box_to_end_of_file(tmp_path: Path) -> None:
    path = tmp_path / "b.mp4"
    large = struct.pack(">I4sQ", 1, b"mdat", 16 + 4) + b"data"
    path.write_bytes(box(b"ftyp", b"isom") + large + struct.pack(">I4s", 0, b"moov") + b"rest")
    assert [(b.type, b.size) for b in top_level_boxes(path)] == [("ftyp", 12), ("mdat", 20), ("moov", 12)]
    assert not is_faststart(path)


@pytest.mark.parametrize(
    "content",
    [box(b"ftyp") + b"\x00\x00", struct.pack(">I4s", 4, b"moov"), struct.pack(">I4s", 99, b"moov")],
    ids=["short-header", "size-below-header", "past-end"],
)
def test_broken_structure_is_an_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "c.mp4"
    path.write_bytes(content)
    with pytest.raises(ValueError):
        top_level_boxes(path)


def test_no_moov_is_not_faststart(tmp_path: Path) -> None:
    path = tmp_path / "d.mp4"
    path.write_bytes(box(b"ftyp") + box(b"mdat"))
    assert not is_faststart(path)


def test_pyav_default_mp4_puts_moov_last(tmp_path: Path) -> None:
    # Why the writer asks for +faststart: without it the index is written after the media.
    sample = samples.h264_mp4(tmp_path, frames=5)
    kinds = [b.type for b in top_level_boxes(sample.path)]
    assert kinds.index("mdat") < kinds.index("moov")
    assert not is_faststart(sample.path)
