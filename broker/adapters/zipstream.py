"""A zip archive written front to back in constant memory: stored members, Zip64 throughout.

Only what evidence packages need: small members whose bytes are at hand (manifest, signature,
report) and members streamed from an iterator (clips), whose CRC-32 and size follow their
bytes in a Zip64 data descriptor. The central directory at the end names every member, with
Zip64 fields where sizes or offsets pass 4 GiB; readers (Python's ``zipfile``, ``unzip``,
Windows Explorer) find the members through it. Nothing is compressed: video does not shrink.

CRC-32 is ISA-L's (``isal``, ~30 GB/s with carry-less multiplication) where it is installed,
else zlib's (~1.5 GB/s, which a 1 GB/s download would notice); both compute the same value.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

try:
    from isal.isal_zlib import crc32
except ImportError:  # pragma: no cover - isal ships wheels for the platforms we run on
    from zlib import crc32

_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_DESCRIPTOR = struct.Struct("<IIQQ")
_ZIP64_EXTRA = struct.Struct("<HH")
_ZIP64_END = struct.Struct("<IQHHIIQQQQ")
_ZIP64_LOCATOR = struct.Struct("<IIQI")
_END = struct.Struct("<IHHHHIIH")

_LIMIT = 0xFFFFFFFF
_COUNT_LIMIT = 0xFFFF
_STORED = 0
_DATA_DESCRIPTOR = 0x08
_UTF8 = 0x800
_VERSION, _VERSION_ZIP64 = 20, 45
_MADE_BY_UNIX = 3 << 8
_REGULAR_FILE = 0o100644 << 16


@dataclass(frozen=True, slots=True)
class _Entry:
    name: bytes
    flags: int
    crc: int
    size: int
    offset: int
    version: int


class ZipStream:
    """Produce an archive piece by piece: :meth:`file`, :meth:`stream`, then :meth:`finish`.

    Every member gets the same modification time (the package's creation, in UTC), so the
    same members give the same bytes.
    """

    def __init__(self, modified: datetime) -> None:
        self._time = (modified.hour << 11) | (modified.minute << 5) | (modified.second // 2)
        self._date = ((max(modified.year, 1980) - 1980) << 9) | (modified.month << 5) | modified.day
        self._entries: list[_Entry] = []
        self._names: set[bytes] = set()
        self.offset = 0
        """Bytes produced so far."""

    def file(self, name: str, data: bytes) -> bytes:
        """A member whose bytes are at hand, header and all (smaller than 4 GiB)."""
        encoded, flags = self._name(name)
        if len(data) >= _LIMIT:
            raise ValueError("members at hand are small; stream large ones")
        crc = crc32(data)
        header = _LOCAL.pack(0x04034B50, _VERSION, flags, _STORED, self._time, self._date, crc,
                             len(data), len(data), len(encoded), 0) + encoded
        return self._add(_Entry(encoded, flags, crc, len(data), self.offset, _VERSION), header + data)

    def stream(self, name: str, chunks: Iterable[bytes]) -> Iterator[bytes]:
        """A member streamed from ``chunks``: its header, each chunk as it comes, a descriptor."""
        encoded, flags = self._name(name)
        flags |= _DATA_DESCRIPTOR
        start = self.offset  # header and chunks count as they go; the descriptor in _add
        extra = _ZIP64_EXTRA.pack(1, 16) + bytes(16)  # sizes: in the descriptor
        header = _LOCAL.pack(0x04034B50, _VERSION_ZIP64, flags, _STORED, self._time, self._date, 0,
                             _LIMIT, _LIMIT, len(encoded), len(extra)) + encoded + extra
        self.offset += len(header)
        yield header
        crc, size = 0, 0
        for chunk in chunks:
            if chunk:
                crc = crc32(chunk, crc)
                size += len(chunk)
                self.offset += len(chunk)
                yield chunk
        yield self._add(_Entry(encoded, flags, crc, size, start, _VERSION_ZIP64),
                        _DESCRIPTOR.pack(0x08074B50, crc, size, size))

    def finish(self) -> bytes:
        """The central directory and the end records; nothing may be added after."""
        start = self.offset
        central = b"".join(self._central(entry) for entry in self._entries)
        count, size = len(self._entries), len(central)
        tail = b""
        if count > _COUNT_LIMIT or size > _LIMIT or start > _LIMIT:
            zip64_end = start + size
            tail = (_ZIP64_END.pack(0x06064B50, 44, _MADE_BY_UNIX | _VERSION_ZIP64, _VERSION_ZIP64,
                                    0, 0, count, count, size, start)
                    + _ZIP64_LOCATOR.pack(0x07064B50, 0, zip64_end, 1))
        tail += _END.pack(0x06054B50, 0, 0, min(count, _COUNT_LIMIT), min(count, _COUNT_LIMIT),
                          min(size, _LIMIT), min(start, _LIMIT), 0)
        self.offset += size + len(tail)
        return central + tail

    @staticmethod
    def planned_size(at_hand: Iterable[tuple[str, int]], streamed: Iterable[tuple[str, int]]) -> int:
        """The length of the archive of members at hand (name, size), then streamed ones
        (name, size), in that order, as :meth:`file`, :meth:`stream` and :meth:`finish` will
        produce it: a download can say its ``Content-Length`` before the first byte."""
        offset, central, count = 0, 0, 0
        for name, size in at_hand:
            length = len(name.encode("utf-8"))
            central += _CENTRAL.size + length + (_ZIP64_EXTRA.size + 8 if offset >= _LIMIT else 0)
            offset += _LOCAL.size + length + size
            count += 1
        for name, size in streamed:
            length = len(name.encode("utf-8"))
            central += (_CENTRAL.size + length + _ZIP64_EXTRA.size + 16
                        + (8 if offset >= _LIMIT else 0))
            offset += _LOCAL.size + length + _ZIP64_EXTRA.size + 16 + size + _DESCRIPTOR.size
            count += 1
        zip64 = count > _COUNT_LIMIT or central > _LIMIT or offset > _LIMIT
        return offset + central + (_ZIP64_END.size + _ZIP64_LOCATOR.size if zip64 else 0) + _END.size

    def _name(self, name: str) -> tuple[bytes, int]:
        encoded = name.encode("utf-8")
        if encoded in self._names:
            raise ValueError(f"{name!r} is in the archive already")
        self._names.add(encoded)
        return encoded, 0 if name.isascii() else _UTF8

    def _add(self, entry: _Entry, data: bytes) -> bytes:
        """Record ``entry`` for the central directory; ``data`` is what is produced last for it."""
        self._entries.append(entry)
        self.offset += len(data)
        return data

    def _central(self, entry: _Entry) -> bytes:
        """A central directory record; Zip64 fields for what 32 bits cannot hold (in the
        order the format fixes: size, compressed size, offset)."""
        streamed = entry.version == _VERSION_ZIP64
        wide = []
        size = entry.size
        if streamed or size >= _LIMIT:
            wide += [size, size]
            size = _LIMIT
        offset = entry.offset
        if offset >= _LIMIT:
            wide.append(offset)
            offset = _LIMIT
        extra = (_ZIP64_EXTRA.pack(1, 8 * len(wide)) + struct.pack(f"<{len(wide)}Q", *wide)
                 if wide else b"")
        version = _VERSION_ZIP64 if wide else entry.version
        return _CENTRAL.pack(0x02014B50, _MADE_BY_UNIX | version, version, entry.flags, _STORED,
                             self._time, self._date, entry.crc, size, size, len(entry.name),
                             len(extra), 0, 0, 0, _REGULAR_FILE, offset) + entry.name + extra
