"""HTTP Range (RFC 9110 §14) for one byte range, with ``If-Range``; several ranges are not
offered (RFC 9110 lets a server answer those with the whole representation)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime

from broker.errors import BrokerError

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$", re.IGNORECASE)  # the unit is case-insensitive


class RangeNotSatisfiable(BrokerError):
    status = 416
    title = "Range not satisfiable"

    def __init__(self, detail: str, size: int) -> None:
        super().__init__(detail, headers={"Content-Range": f"bytes */{size}"})


@dataclass(frozen=True, slots=True)
class ByteRange:
    start: int
    end: int  # exclusive

    def header(self, size: int) -> str:
        return f"bytes {self.start}-{self.end - 1}/{size}"

    def label(self) -> str:
        return f"{self.start}-{self.end - 1}"


def http_date(moment: datetime) -> str:
    """An IMF-fixdate (``Last-Modified``), whole seconds in GMT."""
    return format_datetime(moment.replace(microsecond=0), usegmt=True)


def if_range_holds(if_range: str | None, etag: str, last_modified: datetime) -> bool:
    """Whether a Range may be honoured: no ``If-Range``, or one naming this representation
    (the same strong entity tag, or exactly its Last-Modified date)."""
    if if_range is None:
        return True
    value = if_range.strip()
    if value.startswith(('"', "W/")):
        return value == etag  # weak tags never match: If-Range needs a strong comparison
    try:
        return parsedate_to_datetime(value) == last_modified.replace(microsecond=0)
    except (TypeError, ValueError, IndexError):
        return False


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
            raise RangeNotSatisfiable(f"empty suffix range; clip has {size} bytes", size)
        return ByteRange(max(0, size - length), size)
    start = int(first)
    end = min(int(last) + 1, size) if last else size
    if start >= size or (last and int(last) < start):
        raise RangeNotSatisfiable(f"range starts beyond the clip's {size} bytes", size)
    return ByteRange(start, end)
