"""The zip writer: what Python's strict reader accepts, Zip64 past 4 GiB, constant memory."""

from __future__ import annotations

import io
import os
import zipfile
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from broker.adapters import zipstream
from broker.adapters.zipstream import ZipStream

WHEN = datetime(2026, 11, 20, 9, 30, 41, tzinfo=UTC)


def planned(members: list[tuple[str, bytes, bool]]) -> int:
    return ZipStream.planned_size([(n, len(d)) for n, d, streamed in members if not streamed],
                                  [(n, len(d)) for n, d, streamed in members if streamed])


def build(members: list[tuple[str, bytes, bool]]) -> bytes:
    archive = ZipStream(WHEN)
    pieces = []
    for name, data, streamed in members:
        if streamed:
            pieces += archive.stream(name, (data[i : i + 1000] for i in range(0, len(data), 1000)))
        else:
            pieces.append(archive.file(name, data))
    pieces.append(archive.finish())
    result = b"".join(pieces)
    assert archive.offset == len(result)
    return result


def test_members_at_hand_and_streamed_read_back_exactly():
    members = [("manifest.json", b'{"a": 1}', False), ("report.pdf", b"%PDF" * 300, False),
               ("clips/둔산동_1.mp4", os.urandom(25_000), True), ("clips/empty.bin", b"", True),
               ("clips/b.bin", b"x" * 999, True)]  # at hand first, as planned_size has them
    data = build(members)
    assert planned(members) == len(data)  # its Content-Length, told before the first byte
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None  # every CRC-32 checks out
        assert archive.namelist() == [name for name, _, _ in members]
        for (name, body, streamed), info in zip(members, archive.infolist(), strict=True):
            assert archive.read(name) == body
            assert (info.file_size, info.compress_size, info.CRC) == (len(body), len(body),
                                                                       zlib.crc32(body))
            assert info.compress_type == zipfile.ZIP_STORED
            assert info.date_time == (2026, 11, 20, 9, 30, 40)
            assert bool(info.flag_bits & 0x08) == streamed
            assert bool(info.flag_bits & 0x800) == (not name.isascii())
            assert info.external_attr >> 16 == 0o100644


def test_the_same_members_give_the_same_bytes():
    members = [("a.txt", b"a", False), ("b.bin", b"bb" * 5000, True)]
    assert build(members) == build(members)


def test_a_name_twice_is_refused():
    archive = ZipStream(WHEN)
    archive.file("a", b"1")
    with pytest.raises(ValueError, match="already"):
        archive.file("a", b"2")


def test_the_crc_is_zlibs():
    data = os.urandom(100_000)
    assert zipstream.crc32(data) == zlib.crc32(data)
    assert zipstream.crc32(data[50:], zipstream.crc32(data[:50])) == zlib.crc32(data)


class Sparse(io.RawIOBase):
    """A read-only file of pieces held as they are, long runs of zeros held as their length."""

    def __init__(self) -> None:
        self.pieces: list[tuple[int, bytes | int]] = []
        self.size = 0
        self.position = 0

    def append(self, piece: bytes | int) -> None:
        self.pieces.append((self.size, piece))
        self.size += piece if isinstance(piece, int) else len(piece)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        self.position = {0: 0, 1: self.position, 2: self.size}[whence] + offset
        return self.position

    def tell(self) -> int:
        return self.position

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        wanted = min(len(buffer), self.size - self.position)
        out = bytearray()
        for start, piece in self.pieces:
            length = piece if isinstance(piece, int) else len(piece)
            lo, hi = max(self.position, start), min(self.position + wanted, start + length)
            if lo < hi:
                out += bytes(hi - lo) if isinstance(piece, int) else piece[lo - start : hi - start]
        buffer[: len(out)] = out
        self.position += len(out)
        return len(out)


def test_past_4_gib_offsets_and_the_directory_go_zip64():
    zeros = bytes(64 << 20)
    count = 70  # 4.375 GiB

    def big() -> Iterator[bytes]:
        for _ in range(count):
            yield zeros

    archive = ZipStream(WHEN)
    target = Sparse()
    target.append(archive.file("manifest.json", b"{}"))
    for piece in archive.stream("clips/big.bin", big()):
        target.append(len(piece) if piece is zeros else piece)
    for piece in archive.stream("after.txt", [b"beyond 4 GiB"]):
        target.append(piece)
    target.append(archive.finish())
    assert target.size == archive.offset > 1 << 32
    assert target.size == ZipStream.planned_size(
        [("manifest.json", 2)], [("clips/big.bin", count * len(zeros)), ("after.txt", 12)])
    with zipfile.ZipFile(target) as opened:
        infos = {info.filename: info for info in opened.infolist()}
        assert infos["clips/big.bin"].file_size == count * len(zeros)
        assert infos["after.txt"].header_offset > 1 << 32
        assert opened.read("after.txt") == b"beyond 4 GiB"
        assert opened.read("manifest.json") == b"{}"
