"""Camera CSV import: Korea's public CCTV standard data or a plain English-header CSV.

Pure parsing: bytes in, records and per-row errors out, so that an operator sees every bad
row with its physical line number instead of a half-imported file.

Site keys: when the file has a ``번호``/``key`` column with a value, the key is derived from
(agency, that value); otherwise from (agency, address, purpose, lat and lon rounded to 6
decimals), all whitespace-collapsed and case-folded. Either way it is the first 32 hex digits
of a SHA-256, so re-importing the same file gives the same keys. Two rows of one file with the
same key are the same site: the later one is reported as a duplicate, not imported twice.
Note that ``번호`` in portal files is often a running row number, stable only within a release.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Final, Literal

__all__ = [
    "DEFAULT_COVERAGE_M",
    "DRONE_COVERAGE_M",
    "CameraRecord",
    "CsvFormatError",
    "Dialect",
    "ImportResult",
    "RowError",
    "categorize_purpose",
    "parse_camera_csv",
]

DEFAULT_COVERAGE_M: Final = 50.0
DRONE_COVERAGE_M: Final = 2000.0
MAX_COVERAGE_M: Final = 50_000.0
CAMERA_COUNT_RANGE: Final = (1, 1000)
RETENTION_DAYS_RANGE: Final = (1, 3650)

Dialect = Literal["korea_standard", "english"]


class CsvFormatError(ValueError):
    """The file as a whole cannot be read (encoding, header, CSV syntax): nothing is imported."""


@dataclass(frozen=True, slots=True)
class RowError:
    """One rejected row, pointing at the physical line where it starts (header is line 1)."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True, slots=True)
class CameraRecord:
    """A camera site as read from one row; plain values, ready for the domain to register."""

    site_key: str
    agency: str
    address: str
    purpose: str
    purpose_category: str
    camera_count: int
    retention_days: int
    installed: str | None
    lat: float
    lon: float
    coverage_m: float
    line: int
    name: str | None = None


@dataclass(frozen=True, slots=True)
class ImportResult:
    """Everything a file yielded, good and bad, so the caller decides whether to commit."""

    records: list[CameraRecord]
    errors: list[RowError]
    encoding: str
    dialect: Dialect


# --- encoding -------------------------------------------------------------------------------


def _decode(data: bytes) -> tuple[str, str]:
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
    "번호": "key",
    "관리기관명": "agency",
    "소재지도로명주소": "address",
    "소재지지번주소": "lot_address",
    "설치목적구분": "purpose",
    "카메라대수": "camera_count",
    "보관일수": "retention_days",
    "설치연월": "installed",
    "설치년월": "installed",
    "위도": "lat",
    "wgs84위도": "lat",
    "경도": "lon",
    "wgs84경도": "lon",
    "coveragem": "coverage_m",
}
_ENGLISH_COLUMNS: Final[dict[str, str]] = {
    "key": "key",
    "name": "name",
    "agency": "agency",
    "address": "address",
    "purpose": "purpose",
    "cameracount": "camera_count",
    "retentiondays": "retention_days",
    "installed": "installed",
    "lat": "lat",
    "lon": "lon",
    "coveragem": "coverage_m",
}
_REQUIRED: Final = ("agency", "lat", "lon")
_KOREAN_REQUIRED_NAMES: Final = {"agency": "관리기관명", "lat": "위도", "lon": "경도"}
_DEFAULT_PURPOSE: Final[dict[Dialect, str]] = {"korea_standard": "기타", "english": "other"}
_HEADER_NOISE = re.compile(r"[\s_\-\ufeff]+")


def _normalize_header(cell: str) -> str:
    return _HEADER_NOISE.sub("", unicodedata.normalize("NFC", cell)).lower()


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where each known column sits, and how to name it in an error message."""

    dialect: Dialect
    width: int
    index: dict[str, int]
    label: dict[str, str]
    conflicts: tuple[str, ...]

    def checked(self) -> _Layout:
        """The layout, once the file is known to use it: two columns for one field is fatal."""
        if self.conflicts:
            raise CsvFormatError("header: " + "; ".join(self.conflicts))
        return self


def _map_columns(header: list[str], columns: dict[str, str], dialect: Dialect) -> _Layout:
    index: dict[str, int] = {}
    label: dict[str, str] = {}
    conflicts: list[str] = []
    for i, cell in enumerate(header):
        canonical = columns.get(_normalize_header(cell))
        if canonical is None:
            continue
        shown = cell.strip().lstrip("\ufeff").strip()
        if canonical in index:
            first = header[index[canonical]].strip().lstrip("\ufeff").strip()
            conflicts.append(f"columns {first!r} and {shown!r} both give {canonical}")
            continue
        index[canonical] = i
        label[canonical] = shown if shown == canonical else f"{shown} ({canonical})"
    return _Layout(dialect, len(header), index, label, tuple(conflicts))


def _detect_layout(header: list[str]) -> _Layout:
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


# --- values ---------------------------------------------------------------------------------

_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INTEGER = re.compile(r"\+?[0-9]+")
_COMPACT_DATE = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})?")
_SEPARATED_DATE = re.compile(
    r"([0-9]{4})\s*[-./년]\s*([0-9]{1,2})\s*월?"
    r"(?:\s*[-./]?\s*([0-9]{1,2})\s*일?)?\.?"
    r"(?:\s+[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?)?"
)

_PURPOSE_RULES: Final[tuple[tuple[tuple[str, ...], str], ...]] = (
    (("드론", "drone"), "drone"),
    (("어린이", "child"), "child_protection"),
    (("쓰레기", "무단투기", "dumping"), "illegal_dumping"),
    (("교통정보", "trafficinfo"), "traffic_info"),
    (("교통단속", "주정차", "불법주차", "과속", "신호위반", "trafficenforcement", "parking"),
     "traffic_enforcement"),
    (("방범", "crime"), "crime_prevention"),
    (("시설물", "facility"), "facility"),
    (("재난", "재해", "disaster"), "disaster"),
)


def categorize_purpose(purpose: str) -> str:
    """Map the free-text 설치목적구분 (or an English purpose) to one stable English slug."""
    folded = _HEADER_NOISE.sub("", unicodedata.normalize("NFC", purpose)).lower()
    for needles, category in _PURPOSE_RULES:
        if any(needle in folded for needle in needles):
            return category
    return "other"


def _clean(value: str) -> str:
    return unicodedata.normalize("NFC", value.strip())


def _fold(value: str) -> str:
    return " ".join(value.split()).casefold()


def _coordinate_text(value: float) -> str:
    text = f"{value:.6f}"
    return "0.000000" if text == "-0.000000" else text


def _site_key(
    agency: str, key: str, address: str, purpose: str, lat: float, lon: float
) -> str:
    """Deterministic site identity; see the module docstring for the rule."""
    # _fold splits on whitespace, which includes U+001F, so the separator cannot be forged.
    parts = (
        ("key", _fold(agency), _fold(key))
        if key
        else ("site", _fold(agency), _fold(address), _fold(purpose),
              _coordinate_text(lat), _coordinate_text(lon))
    )
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


def _parse_installed(text: str) -> str | None:
    """Year-month as ``YYYY-MM`` from the many shapes portal files use; None if unparseable."""
    match = _COMPACT_DATE.fullmatch(text) or _SEPARATED_DATE.fullmatch(text)
    if match is None:
        return None
    year, month = int(match[1]), int(match[2])
    day = int(match[3]) if match[3] else 1
    if not 1900 <= year <= 2100:
        return None
    try:
        date(year, month, day)
    except ValueError:
        return None
    return f"{year:04d}-{month:02d}"


class _RowParser:
    """Turns one row of a known layout into a record, or into the list of its problems."""

    def __init__(self, layout: _Layout, default_retention_days: int) -> None:
        self.layout = layout
        self.default_retention_days = default_retention_days
        self.default_purpose = _DEFAULT_PURPOSE[layout.dialect]
        index = layout.index
        self.i_agency = index["agency"]
        self.i_lat = index["lat"]
        self.i_lon = index["lon"]
        self.i_key = index.get("key", -1)
        self.i_name = index.get("name", -1)
        self.i_address = index.get("address", -1)
        self.i_lot_address = index.get("lot_address", -1)
        self.i_purpose = index.get("purpose", -1)
        self.i_camera_count = index.get("camera_count", -1)
        self.i_retention_days = index.get("retention_days", -1)
        self.i_installed = index.get("installed", -1)
        self.i_coverage_m = index.get("coverage_m", -1)
        # Portal files repeat a handful of purposes and dates across thousands of rows.
        self.categories: dict[str, str] = {}
        self.installed: dict[str, str | None] = {}

    def _label(self, name: str) -> str:
        return self.layout.label.get(name, name)

    def _number(self, name: str, text: str, low: float, high: float, problems: list[str]) -> float:
        if not text:
            problems.append(f"{self._label(name)} is empty")
            return math.nan
        if not _DECIMAL.fullmatch(text):
            problems.append(f"{self._label(name)} {text!r} is not a number")
            return math.nan
        value = float(text)
        if not low <= value <= high:
            problems.append(f"{self._label(name)} {text!r} is out of range [{low:g}, {high:g}]")
            return math.nan
        return value

    def _integer(
        self, name: str, text: str, default: int, bounds: tuple[int, int], problems: list[str]
    ) -> int:
        if not text:
            return default
        if not _INTEGER.fullmatch(text):
            problems.append(f"{self._label(name)} {text!r} is not an integer")
            return default
        value = int(text)
        if not bounds[0] <= value <= bounds[1]:
            problems.append(
                f"{self._label(name)} {text!r} is out of range {bounds[0]}..{bounds[1]}"
            )
        return value

    def parse(self, row: list[str], line: int) -> CameraRecord | list[str]:
        problems: list[str] = []
        agency = _clean(row[self.i_agency])
        if not agency:
            problems.append(f"{self._label('agency')} is empty")
        lat = self._number("lat", row[self.i_lat].strip(), -90.0, 90.0, problems)
        lon = self._number("lon", row[self.i_lon].strip(), -180.0, 180.0, problems)
        if lat == 0.0 and lon == 0.0:
            problems.append(
                f"{self._label('lat')} and {self._label('lon')} are both 0: position missing"
            )
        camera_count = (
            self._integer("camera_count", row[self.i_camera_count].strip(), 1,
                          CAMERA_COUNT_RANGE, problems)
            if self.i_camera_count >= 0
            else 1
        )
        retention_days = (
            self._integer("retention_days", row[self.i_retention_days].strip(),
                          self.default_retention_days, RETENTION_DAYS_RANGE, problems)
            if self.i_retention_days >= 0
            else self.default_retention_days
        )
        installed: str | None = None
        if self.i_installed >= 0 and (installed_text := row[self.i_installed].strip()):
            if installed_text in self.installed:
                installed = self.installed[installed_text]
            else:
                installed = self.installed[installed_text] = _parse_installed(installed_text)
            if installed is None:
                problems.append(
                    f"{self._label('installed')} {installed_text!r} is not a year-month (YYYY-MM)"
                )
        purpose = (_clean(row[self.i_purpose]) if self.i_purpose >= 0 else "")
        purpose = purpose or self.default_purpose
        category = self.categories.get(purpose)
        if category is None:
            category = self.categories[purpose] = categorize_purpose(purpose)
        coverage_text = row[self.i_coverage_m].strip() if self.i_coverage_m >= 0 else ""
        if coverage_text:
            coverage_m = self._number("coverage_m", coverage_text, 0.0, MAX_COVERAGE_M, problems)
            if coverage_m == 0.0:
                problems.append(f"{self._label('coverage_m')} {coverage_text!r} must be positive")
        else:
            coverage_m = DRONE_COVERAGE_M if category == "drone" else DEFAULT_COVERAGE_M
        if problems:
            return problems
        address = _clean(row[self.i_address]) if self.i_address >= 0 else ""
        if not address and self.i_lot_address >= 0:
            address = _clean(row[self.i_lot_address])
        key = _clean(row[self.i_key]) if self.i_key >= 0 else ""
        name = _clean(row[self.i_name]) if self.i_name >= 0 else ""
        return CameraRecord(
            site_key=_site_key(agency, key, address, purpose, lat, lon),
            agency=agency,
            address=address,
            purpose=purpose,
            purpose_category=category,
            camera_count=camera_count,
            retention_days=retention_days,
            installed=installed,
            lat=lat,
            lon=lon,
            coverage_m=coverage_m,
            line=line,
            name=name or None,
        )


# --- file -----------------------------------------------------------------------------------


def _is_blank(row: list[str]) -> bool:
    return not any(cell.strip() for cell in row)


def parse_camera_csv(data: bytes, *, default_retention_days: int = 30) -> ImportResult:
    """Parse a camera CSV; bad rows become RowErrors, an unreadable file a CsvFormatError."""
    low, high = RETENTION_DAYS_RANGE
    if not low <= default_retention_days <= high:
        raise ValueError(f"default_retention_days must be in {low}..{high}")
    text, encoding = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[CameraRecord] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    parser: _RowParser | None = None
    end = 0
    try:
        for row in reader:
            line, end = end + 1, reader.line_num
            if parser is None:
                if _is_blank(row):
                    continue
                parser = _RowParser(_detect_layout(row), default_retention_days)
                continue
            if len(row) != parser.layout.width:
                if _is_blank(row):
                    continue
                reason = f"expected {parser.layout.width} fields, found {len(row)}"
                if end > line:
                    reason += f" (row spans lines {line}-{end}; unbalanced quote?)"
                errors.append(RowError(line, reason))
                continue
            parsed = parser.parse(row, line)
            if isinstance(parsed, CameraRecord):
                first = seen.setdefault(parsed.site_key, line)
                if first == line:
                    records.append(parsed)
                else:
                    errors.append(RowError(line, f"duplicate of the site on line {first}"))
            elif not _is_blank(row):
                errors.append(RowError(line, "; ".join(parsed)))
    except csv.Error as exc:
        raise CsvFormatError(f"line {end + 1}: malformed CSV: {exc}") from exc
    if parser is None:
        raise CsvFormatError("empty file: no header row")
    return ImportResult(records, errors, encoding, parser.layout.dialect)
