"""What container a clip's bytes are in, from their first bytes alone: a file extension.

Only for naming exported files. The magic numbers are the containers' own (ISO BMFF ``ftyp``,
EBML, RIFF, MPEG-TS sync bytes, ...); anything else is ``.bin``. Nothing is parsed further.
"""

from __future__ import annotations

SNIFF_BYTES = 1024
"""Enough for every signature below (three 192-byte M2TS packets)."""

_TS_PACKET, _M2TS_PACKET, _TS_SYNC = 188, 192, 0x47
_ISO_BOXES = (b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot")
_QUICKTIME_BRANDS = (b"qt  ",)
_3GP_BRANDS = (b"3gp", b"3g2")


def sniff_extension(head: bytes | bytearray | memoryview) -> str:
    """``.mp4``, ``.mov``, ``.3gp``, ``.mkv``, ``.webm``, ``.avi``, ``.ts``, ``.m2ts``,
    ``.mpg``, ``.flv``, ``.wmv`` or ``.bin``, from the first :data:`SNIFF_BYTES` of a clip."""
    data = bytes(head[:SNIFF_BYTES])
    if data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand in _QUICKTIME_BRANDS:
            return ".mov"
        return ".3gp" if brand[:3] in _3GP_BRANDS else ".mp4"
    if data[4:8] in _ISO_BOXES and int.from_bytes(data[:4], "big") >= 8:
        return ".mov"  # an ISO/QuickTime file without ftyp: old QuickTime writes these
    if data.startswith(b"\x1a\x45\xdf\xa3"):
        return ".webm" if b"\x42\x82\x84webm" in data[:64] else ".mkv"
    if data.startswith(b"RIFF") and data[8:12] == b"AVI ":
        return ".avi"
    if _packets(data, 0, _TS_PACKET):
        return ".ts"
    if _packets(data, 4, _M2TS_PACKET):
        return ".m2ts"
    if data.startswith(b"\x00\x00\x01\xba"):
        return ".mpg"
    if data.startswith(b"FLV\x01"):
        return ".flv"
    if data.startswith(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11"):
        return ".wmv"
    return ".bin"


def _packets(data: bytes, offset: int, size: int, count: int = 3) -> bool:
    """Sync bytes at the start of ``count`` packets in a row (one alone is too common)."""
    positions = [offset + i * size for i in range(count)]
    return len(data) > positions[-1] and all(data[p] == _TS_SYNC for p in positions)
