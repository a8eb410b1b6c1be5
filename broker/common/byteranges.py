"""HTTP Range (RFC 9110 §14) for one byte range; several ranges are not offered."""

from __future__ import annotations

import re
from dataclasses import dataclass

from broker.errors import BrokerError

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeNotSatisfiable(BrokerError):
    status = 416
    title = "Range not satisfiable"


@dataclass(frozen=True, slots=True)
class ByteRange:
    start: int
    end: int  # exclusive

    def header(self, size: int) -> str:
        return f"bytes {self.start}-{self.end - 1}/{size}"

    def label(self) -> str:
        return f"{self.start}-{self.end - 1}"


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """None means "the whole representation" (no header, or one we do not understand)."""
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if match is None:
        return None  # e.g. multiple ranges: RFC 9110 lets us ignore the header
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # suffix: the last N bytes
        length = int(last)
        if length == 0:
            raise RangeNotSatisfiable(f"empty suffix range; clip has {size} bytes")
        return ByteRange(max(0, size - length), size)
    start = int(first)
    end = min(int(last) + 1, size) if last else size
    if start >= size or (last and int(last) < start):
        raise RangeNotSatisfiable(f"range starts beyond the clip's {size} bytes")
    return ByteRange(start, end)
