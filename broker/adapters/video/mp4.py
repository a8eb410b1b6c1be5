"""Read an MP4's top-level boxes (ISO/IEC 14496-12 §4.2): enough to tell whether it streams.

A browser can start playing a progressive MP4 only once it has the `moov` box (the index); with
`moov` after `mdat` (the media data) it must fetch the whole file first, or range-request its end.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from typing import BinaryIO

MAX_BOXES = 10_000  # a real MP4 has a handful at the top level; this bounds hostile input


@dataclass(frozen=True, slots=True)
class Box:
    """One top-level box: its four-character type, byte offset and total size (header included)."""

    type: str
    offset: int
    size: int


def top_level_boxes(path: str | os.PathLike[str]) -> list[Box]:
    """The boxes at the top of the file, in file order; `ValueError` if the structure is broken."""
    with open(path, "rb") as fh:
        end = os.fstat(fh.fileno()).st_size
        return _walk(fh, end)


def is_faststart(path: str | os.PathLike[str]) -> bool:
    """True if the file has a `moov` box and it comes before the first `mdat`."""
    kinds = [box.type for box in top_level_boxes(path)]
    if "moov" not in kinds:
        return False
    return "mdat" not in kinds or kinds.index("moov") < kinds.index("mdat")


def _walk(fh: BinaryIO, end: int) -> list[Box]:
    boxes: list[Box] = []
    offset = 0
    while offset < end:
        if len(boxes) >= MAX_BOXES:
            raise ValueError(f"more than {MAX_BOXES} top-level boxes")
        fh.seek(offset)
        header = fh.read(8)
        if len(header) < 8:
            raise ValueError(f"truncated box header at byte {offset}")
        size, raw_type = struct.unpack(">I4s", header)
        header_size = 8
        if size == 1:  # a 64-bit size follows the type
            large = fh.read(8)
            if len(large) < 8:
                raise ValueError(f"truncated 64-bit box size at byte {offset}")
            (size,) = struct.unpack(">Q", large)
            header_size = 16
        elif size == 0:  # the box runs to the end of the file
            size = end - offset
        if size < header_size or offset + size > end:
            raise ValueError(f"box at byte {offset} has impossible size {size}")
        boxes.append(Box(raw_type.decode("latin-1"), offset, size))
        offset += size
    return boxes
