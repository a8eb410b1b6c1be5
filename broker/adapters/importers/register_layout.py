"""Reading a camera register's bytes and header: which encoding, which of the accepted layouts
(the Korean standard, the newer layout with 개방자치단체코드/관리번호, or English headers) and
where each known column sits. The rows themselves are read in ``camera_csv``."""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass
from typing import Final, Literal

Dialect = Literal["korea_standard", "korea_localdata", "english"]


class CsvFormatError(ValueError):
    """The file as a whole cannot be read (encoding, header, CSV syntax): nothing is imported."""


# --- encoding -------------------------------------------------------------------------------


def decode(data: bytes) -> tuple[str, str]:
    """Portal files come as UTF-8 (with or without BOM) or CP949; anything else is refused."""
    if not data:
        raise CsvFormatError("empty file: no header row")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise CsvFormatError("file is UTF-16; save it as UTF-8 or CP949")
    if b"\x00" in data:
        raise CsvFormatError("file contains NUL bytes (UTF-16 or binary?); expected UTF-8 or CP949")
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise CsvFormatError(
                f"file starts with a UTF-8 BOM but is not valid UTF-8 at byte {exc.start}"
            ) from exc
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp949"), "cp949"
    except UnicodeDecodeError as exc:
        raise CsvFormatError(
            f"file is neither UTF-8 nor CP949 (EUC-KR): undecodable byte at offset {exc.start}"
        ) from exc


# --- header ---------------------------------------------------------------------------------

_KOREAN_COLUMNS: Final[dict[str, str]] = {
    "번호": "row_number",
    "관리번호": "management_number",
    "개방자치단체코드": "local_gov_code",
    "제공기관코드": "provider_code",
    "제공기관명": "provider_name",
    "관리기관명": "agency",
    "소재지도로명주소": "address",
    "소재지지번주소": "lot_address",
    "설치목적구분": "purpose",
    "카메라대수": "camera_count",
    "카메라화소수": "pixels",
    "화소수": "pixels",
    "촬영방면정보": "direction",
    "촬영방면": "direction",
    "보관일수": "retention_days",
    "설치연월": "installed",
    "설치년월": "installed",
    "관리기관전화번호": "phone",
    "전화번호": "phone",
    "위도": "lat",
    "wgs84위도": "lat",
    "경도": "lon",
    "wgs84경도": "lon",
    "데이터기준일자": "data_date",
    "coveragem": "coverage_m",
}
_ENGLISH_COLUMNS: Final[dict[str, str]] = {
    "key": "key",
    "name": "name",
    "managementnumber": "management_number",
    "agencycode": "local_gov_code",
    "agency": "agency",
    "address": "address",
    "lotaddress": "lot_address",
    "purpose": "purpose",
    "cameracount": "camera_count",
    "pixels": "pixels",
    "direction": "direction",
    "retentiondays": "retention_days",
    "installed": "installed",
    "phone": "phone",
    "lat": "lat",
    "lon": "lon",
    "datadate": "data_date",
    "coveragem": "coverage_m",
}
KOREAN_HEADERS: Final = tuple(_KOREAN_COLUMNS)
ENGLISH_HEADERS: Final = tuple(_ENGLISH_COLUMNS)
_REQUIRED: Final = ("agency", "lat", "lon")
_KOREAN_REQUIRED_NAMES: Final = {"agency": "관리기관명", "lat": "위도", "lon": "경도"}
DEFAULT_PURPOSE: Final[dict[Dialect, str]] = {
    "korea_standard": "기타", "korea_localdata": "기타", "english": "other"}
_HEADER_NOISE = re.compile(r"[\s_\-\ufeff]+")


def normalize_header(cell: str) -> str:
    return _HEADER_NOISE.sub("", unicodedata.normalize("NFC", cell)).lower()


@dataclass(frozen=True, slots=True)
class Layout:
    """Where each known column sits, and how to name it in an error message."""

    dialect: Dialect
    width: int
    index: dict[str, int]
    label: dict[str, str]
    conflicts: tuple[str, ...]

    def checked(self) -> Layout:
        """The layout, once the file is known to use it: two columns for one field is fatal."""
        if self.conflicts:
            raise CsvFormatError("header: " + "; ".join(self.conflicts))
        return self


def _map_columns(header: list[str], columns: dict[str, str], dialect: Dialect) -> Layout:
    index: dict[str, int] = {}
    label: dict[str, str] = {}
    conflicts: list[str] = []
    for i, cell in enumerate(header):
        canonical = columns.get(normalize_header(cell))
        if canonical is None:
            continue
        shown = cell.strip().lstrip("\ufeff").strip()
        if canonical in index:
            first = header[index[canonical]].strip().lstrip("\ufeff").strip()
            conflicts.append(f"columns {first!r} and {shown!r} both give {canonical}")
            continue
        index[canonical] = i
        label[canonical] = shown if shown == canonical else f"{shown} ({canonical})"
    if dialect == "korea_standard" and ("management_number" in index or "local_gov_code" in index):
        dialect = "korea_localdata"
    return Layout(dialect, len(header), index, label, tuple(conflicts))


def detect_layout(header: list[str]) -> Layout:
    """Pick the dialect whose required columns are all present; else say what is missing."""
    korean = _map_columns(header, _KOREAN_COLUMNS, "korea_standard")
    if all(name in korean.index for name in _REQUIRED):
        return korean.checked()
    english = _map_columns(header, _ENGLISH_COLUMNS, "english")
    if all(name in english.index for name in _REQUIRED):
        return english.checked()
    korean_missing = [_KOREAN_REQUIRED_NAMES[n] for n in _REQUIRED if n not in korean.index]
    english_missing = [n for n in _REQUIRED if n not in english.index]
    shown = ", ".join(repr(c.strip()) for c in header)
    if len(korean.index) > len(english.index):
        detail = f"missing Korean standard columns: {', '.join(korean_missing)}"
    elif len(english.index) > len(korean.index):
        detail = f"missing columns: {', '.join(english_missing)}"
    else:
        detail = (
            f"missing Korean standard columns {', '.join(korean_missing)} "
            f"or English columns {', '.join(english_missing)}"
        )
    raise CsvFormatError(f"unknown header ({detail}); header was: {shown}")
