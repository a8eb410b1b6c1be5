"""Camera CSV import: Korea's public CCTV registers (both layouts) or a plain English-header CSV.

Pure parsing: bytes in, records, per-row warnings and per-row rejections out, so that an
operator sees every problem with its physical line number (the header is line 1).

What is kept, defaulted or rejected
    A row becomes a site (``카메라대수`` cameras) whenever it has an agency, a usable position
    and no number outside its range. A blank optional column takes its default: 보관일수 -> the
    policy pack's default retention (with a warning; ``0``, how the portal files write "not
    recorded", too), 카메라대수 -> 1, 화소수 -> unknown, coverage -> 50 m (2 km for a drone). A
    written number is never replaced by a default: 보관일수 outside 1..3650, 카메라대수 outside
    1..1000, 화소수 not 1..9999999, coverage not in (0, 5000] m, or any of them not a number
    (``nan``, ``1e400``, ``2.5`` cameras) *rejects* the row, as does a position that cannot be
    placed (latitude or longitude missing, not a number, out of range, or both 0), no agency, or
    not the header's number of fields; every problem of the row is named on its line. A date
    that cannot be read is a *warning* and unknown: 설치연월 partial (``2017-  ``, ``2017``) or
    malformed, 데이터기준일자 malformed.
    Latitude and longitude given the wrong way round (a latitude above 90 that is a valid
    longitude, and the reverse) are swapped back, with a warning.

Identity (which camera a row is, across releases of the same register)
    1. ``관리번호`` (management number, the newer layout with ``개방자치단체코드``), when the
       row has one: the site key is ``mn-<관리번호>``; position, address and every other
       column may change from one release to the next and the cameras follow (moves are
       reported).
    2. An English file's ``key`` column: the key as given (the same key ``POST /v1/cameras``
       takes), so an import updates cameras registered by hand and the reverse.
    3. Otherwise a *site fingerprint*: agency, normalised address (road address, else lot
       address; NFKC, case-folded, punctuation and ``(참고항목)`` dropped, spaces collapsed),
       purpose category, and the position snapped to a grid of ``GRID_DEG`` (about 5.6 m
       north-south, 4.4 m east-west in Korea). The row number ``번호`` is never used: it is a
       running number and names another site in the next release. Rows of one file that share
       a fingerprint (two poles at one geocoded point) are told apart by their order among
       themselves (``/2``, ``/3``), with a warning. Re-importing, the application also accepts
       a fingerprint in one of the eight neighbouring grid cells (nearest first) for a camera
       no other row of the file claims, so a position corrected by a metre or two across a
       cell edge stays the same camera; a site that moved further, or whose address or agency
       changed, is a new camera (the old one is reported as no longer in the file).
    A repeated management number or key within one file falls back to the fingerprint, with
    a warning. A site of N cameras gives the keys ``<site key>#1`` .. ``#N``; a keyed English
    row of one camera is the key itself.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from dataclasses import dataclass, field
from typing import Final, Literal

from broker.adapters.importers.register_layout import (
    DEFAULT_PURPOSE,
    CsvFormatError,
    Dialect,
    Layout,
    decode,
    detect_layout,
)
from broker.adapters.importers.register_values import (
    DECIMAL,
    MAX_PIXELS,
    PIXELS,
    SIGNED_INTEGER,
    categorize_purpose,
    clean,
    fold,
    normalize_address,
    parse_date,
    parse_installed,
)

__all__ = [
    "DEFAULT_COVERAGE_M",
    "DRONE_COVERAGE_M",
    "GRID_DEG",
    "CameraRecord",
    "CsvFormatError",
    "Dialect",
    "Fingerprint",
    "ImportResult",
    "KeySource",
    "RowError",
    "RowWarning",
    "categorize_purpose",
    "normalize_address",
    "parse_camera_csv",
]

DEFAULT_COVERAGE_M: Final = 50.0
DRONE_COVERAGE_M: Final = 2000.0
MAX_COVERAGE_M: Final = 5_000.0
CAMERA_COUNT_RANGE: Final = (1, 1000)
RETENTION_DAYS_RANGE: Final = (1, 3650)
GRID_DEG: Final = 0.00005
"""The fingerprint's grid: 0.00005 degrees, about 5.6 m of latitude and 4.4 m of longitude at 37 N."""

KeySource = Literal["management_number", "key", "fingerprint"]
@dataclass(frozen=True, slots=True)
class RowError:
    """One rejected row, pointing at the physical line where it starts (header is line 1)."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True, slots=True)
class RowWarning:
    """Something defaulted on an imported row: the row is in, this column is not as written."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """A site's identity without a register number: see the module docstring."""

    base: str
    """Agency, normalised address and purpose category, folded and joined."""
    cell: tuple[int, int]
    ordinal: int = 1

    def key(self, cell: tuple[int, int] | None = None) -> str:
        """``site-`` and 24 hex digits of SHA-256 over the parts (``cell`` replaces its own)."""
        lat_cell, lon_cell = self.cell if cell is None else cell
        text = f"{self.base}\x1f{lat_cell}\x1f{lon_cell}\x1f{self.ordinal}"
        return "site-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]

    def neighbour_keys(self, lat: float, lon: float) -> list[str]:
        """The keys of the eight cells around this one, the cell nearest ``(lat, lon)`` first."""
        lat_cell, lon_cell = self.cell
        cells = [(lat_cell + dy, lon_cell + dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)
                 if dy or dx]
        cells.sort(key=lambda c: ((c[0] * GRID_DEG - lat) ** 2 + (c[1] * GRID_DEG - lon) ** 2, c))
        return [self.key(cell) for cell in cells]


@dataclass(frozen=True, slots=True)
class CameraRecord:
    """A camera site as read from one row; plain values, ready for the domain to register."""

    site_key: str
    key_source: KeySource
    fingerprint: Fingerprint
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
    lot_address: str = ""
    management_number: str | None = None
    agency_code: str | None = None
    pixels: int | None = None
    direction: str = ""
    phone: str = ""
    data_date: str | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ImportResult:
    """Everything a file yielded, good and bad, so the caller decides whether to commit."""

    records: list[CameraRecord]
    errors: list[RowError]
    encoding: str
    dialect: Dialect
    warnings: list[RowWarning] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.records) + len(self.errors)

    @property
    def rows_with_warnings(self) -> int:
        return sum(1 for record in self.records if record.warnings)


# --- rows ----------------------------------------------------------------------------------


def _shown(text: str, limit: int = 40) -> str:
    """A cell quoted for a line's report, cut short: a cell may be 100,000 digits."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + f"... ({len(text)} characters)"


def _cell(lat: float, lon: float) -> tuple[int, int]:
    return round(lat / GRID_DEG), round(lon / GRID_DEG)


class _RowParser:
    """Turns one row of a known layout into a record, or into the list of its problems."""

    def __init__(self, layout: Layout, default_retention_days: int) -> None:
        self.layout = layout
        self.default_retention_days = default_retention_days
        self.default_purpose = DEFAULT_PURPOSE[layout.dialect]
        index = layout.index
        self.i_agency = index["agency"]
        self.i_lat = index["lat"]
        self.i_lon = index["lon"]
        self.i_key = index.get("key", -1)
        self.i_name = index.get("name", -1)
        self.i_management_number = index.get("management_number", -1)
        self.i_local_gov_code = index.get("local_gov_code", -1)
        self.i_provider_code = index.get("provider_code", -1)
        self.i_address = index.get("address", -1)
        self.i_lot_address = index.get("lot_address", -1)
        self.i_purpose = index.get("purpose", -1)
        self.i_camera_count = index.get("camera_count", -1)
        self.i_pixels = index.get("pixels", -1)
        self.i_direction = index.get("direction", -1)
        self.i_retention_days = index.get("retention_days", -1)
        self.i_installed = index.get("installed", -1)
        self.i_phone = index.get("phone", -1)
        self.i_data_date = index.get("data_date", -1)
        self.i_coverage_m = index.get("coverage_m", -1)
        # Portal files repeat a handful of purposes, dates and agencies across thousands of rows.
        self.categories: dict[str, str] = {}
        self.installed: dict[str, tuple[str | None, str | None]] = {}
        self.dates: dict[str, str | None] = {}
        self.folded: dict[str, str] = {}
        self.identities = _Identities()

    def _label(self, name: str) -> str:
        return self.layout.label.get(name, name)

    def _cell_text(self, row: list[str], i: int) -> str:
        return clean(row[i]) if i >= 0 else ""

    def _number(self, name: str, text: str, problems: list[str]) -> float:
        if not text:
            problems.append(f"{self._label(name)} is empty")
            return math.nan
        if not DECIMAL.fullmatch(text):
            problems.append(f"{self._label(name)} {text!r} is not a number")
            return math.nan
        return float(text)

    def _position(self, row: list[str], problems: list[str], warnings: list[str]) -> tuple[float, float]:
        lat_text, lon_text = row[self.i_lat].strip(), row[self.i_lon].strip()
        lat = self._number("lat", lat_text, problems)
        lon = self._number("lon", lon_text, problems)
        if math.isnan(lat) or math.isnan(lon):
            return lat, lon
        if not -90.0 <= lat <= 90.0 and -90.0 <= lon <= 90.0 and -180.0 <= lat <= 180.0:
            warnings.append(f"{self._label('lat')} {lat_text} and {self._label('lon')} {lon_text} "
                            "are the wrong way round: swapped")
            return lon, lat
        if not -90.0 <= lat <= 90.0:
            problems.append(f"{self._label('lat')} {lat_text!r} is out of range [-90, 90]")
        if not -180.0 <= lon <= 180.0:
            problems.append(f"{self._label('lon')} {lon_text!r} is out of range [-180, 180]")
        if lat == 0.0 and lon == 0.0:
            problems.append(
                f"{self._label('lat')} and {self._label('lon')} are both 0: position missing"
            )
        return lat, lon

    def _camera_count(self, row: list[str], problems: list[str]) -> int:
        text = row[self.i_camera_count].strip() if self.i_camera_count >= 0 else ""
        if not text:
            return 1
        count = self._integer("camera_count", text, CAMERA_COUNT_RANGE, "cameras", problems)
        return 1 if count is None else count

    def _retention(self, row: list[str], warnings: list[str], problems: list[str]) -> int:
        default = self.default_retention_days
        if self.i_retention_days < 0:
            return default
        text = row[self.i_retention_days].strip()
        if not text or (SIGNED_INTEGER.fullmatch(text) and not text.lstrip("+-").strip("0")):
            # Blank, or 0: how the portal files write "not recorded" (a third of the rows of
            # some real registers, #15). The default applies, with a warning; any other value
            # outside the range rejects the row.
            low, high = RETENTION_DAYS_RANGE
            why = "is empty" if not text else f"{_shown(text)} is outside {low}..{high}"
            warnings.append(f"{self._label('retention_days')} {why}: the default of {default} days applies")
            return default
        days = self._integer("retention_days", text, RETENTION_DAYS_RANGE, "days", problems)
        return default if days is None else days

    def _integer(self, name: str, text: str, bounds: tuple[int, int], unit: str,
                 problems: list[str]) -> int | None:
        """A whole number within ``bounds``, or None and the problem (never a default)."""
        low, high = bounds
        if not SIGNED_INTEGER.fullmatch(text):
            problems.append(f"{self._label(name)} {_shown(text)} is not a whole number of {unit} "
                            f"({low}..{high})")
            return None
        # int() refuses more than 4,300 digits (ValueError); more digits than ``high`` has is
        # out of range anyway, whatever the sign.
        sign, digits = text[0] if text[0] in "+-" else "", text.lstrip("+-").lstrip("0") or "0"
        value = int(sign + digits) if len(digits) <= len(str(high)) else None
        if value is None or not low <= value <= high:
            problems.append(f"{self._label(name)} {_shown(text)} is outside {low}..{high} {unit}")
            return None
        return value

    def _installed(self, row: list[str], warnings: list[str]) -> str | None:
        text = row[self.i_installed].strip() if self.i_installed >= 0 else ""
        if not text:
            return None
        parsed = self.installed.get(text)
        if parsed is None:
            parsed = self.installed[text] = parse_installed(text)
        value, why = parsed
        if why is not None:
            warnings.append(f"{self._label('installed')} {text!r} {why}: installation date unknown")
        return value

    def _pixels(self, row: list[str], problems: list[str]) -> int | None:
        text = row[self.i_pixels].strip() if self.i_pixels >= 0 else ""
        if not text:
            return None
        match = PIXELS.fullmatch(text.replace(",", ""))
        if match is not None and int(match[1]) > 0:
            return int(match[1])
        problems.append(f"{self._label('pixels')} {_shown(text)} is not a pixel count "
                        f"(1..{MAX_PIXELS}, optionally 만 or 화소)")
        return None

    def _data_date(self, row: list[str], warnings: list[str]) -> str | None:
        text = row[self.i_data_date].strip() if self.i_data_date >= 0 else ""
        if not text:
            return None
        if text not in self.dates:
            self.dates[text] = parse_date(text)
        value = self.dates[text]
        if value is None:
            warnings.append(f"{self._label('data_date')} {text!r} is not a date: unknown")
        return value

    def _coverage(self, row: list[str], category: str, problems: list[str]) -> float:
        default = DRONE_COVERAGE_M if category == "drone" else DEFAULT_COVERAGE_M
        text = row[self.i_coverage_m].strip() if self.i_coverage_m >= 0 else ""
        if not text:
            return default
        if not DECIMAL.fullmatch(text):
            problems.append(f"{self._label('coverage_m')} {_shown(text)} is not a number")
            return default
        if not 0.0 < float(text) <= MAX_COVERAGE_M:  # 1e400 is inf: out of range too
            problems.append(f"{self._label('coverage_m')} {_shown(text)} is not in "
                            f"(0, {MAX_COVERAGE_M:g}] m")
        return float(text)

    def _folded(self, text: str) -> str:
        folded = self.folded.get(text)
        if folded is None:
            folded = self.folded[text] = fold(text)
        return folded

    def parse(self, row: list[str], line: int) -> CameraRecord | list[str]:
        problems: list[str] = []
        warnings: list[str] = []
        agency = clean(row[self.i_agency])
        if not agency:
            problems.append(f"{self._label('agency')} is empty")
        lat, lon = self._position(row, problems, warnings)
        camera_count = self._camera_count(row, problems)
        retention_days = self._retention(row, warnings, problems)
        purpose = self._cell_text(row, self.i_purpose) or self.default_purpose
        category = self.categories.get(purpose)
        if category is None:
            category = self.categories[purpose] = categorize_purpose(purpose)
        coverage_m = self._coverage(row, category, problems)
        pixels = self._pixels(row, problems)
        if problems:
            return problems
        installed = self._installed(row, warnings)
        road_address = self._cell_text(row, self.i_address)
        lot_address = self._cell_text(row, self.i_lot_address)
        address = road_address or lot_address
        management_number = self._cell_text(row, self.i_management_number) or None
        agency_code = (self._cell_text(row, self.i_local_gov_code)
                       or self._cell_text(row, self.i_provider_code) or None)
        key = self._cell_text(row, self.i_key)
        fingerprint = Fingerprint(
            f"{self._folded(agency)}\x1f{normalize_address(address)}\x1f{category}", _cell(lat, lon))
        source: KeySource
        if management_number:
            site_key, source = f"mn-{management_number}", "management_number"
        elif key:
            site_key, source = key, "key"
        else:
            site_key, source = "", "fingerprint"
            if self.i_management_number >= 0:
                warnings.append(f"{self._label('management_number')} is empty: "
                                "identified by its site fingerprint")
        site_key, source, fingerprint = self.identities.assign(
            site_key, source, fingerprint, line, warnings)
        return CameraRecord(
            site_key=site_key,
            key_source=source,
            fingerprint=fingerprint,
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
            name=self._cell_text(row, self.i_name) or None,
            lot_address=lot_address if road_address else "",
            management_number=management_number,
            agency_code=agency_code,
            pixels=pixels,
            direction=self._cell_text(row, self.i_direction),
            phone=self._cell_text(row, self.i_phone),
            data_date=self._data_date(row, warnings),
            warnings=tuple(warnings),
        )


class _Identities:
    """Keys handed out so far in one file: a repeated management number or key falls back to
    the fingerprint; rows sharing a fingerprint are numbered among themselves."""

    def __init__(self) -> None:
        self.claimed: dict[str, int] = {}
        self.fingerprints: dict[tuple[str, tuple[int, int]], list[int]] = {}

    def assign(self, site_key: str, source: KeySource, fingerprint: Fingerprint, line: int,
               warnings: list[str]) -> tuple[str, KeySource, Fingerprint]:
        if source != "fingerprint":
            first = self.claimed.get(site_key)
            if first is None:
                self.claimed[site_key] = line
                return site_key, source, fingerprint
            what = "관리번호" if source == "management_number" else "key"
            warnings.append(f"{what} {site_key.removeprefix('mn-')!r} repeats line {first}: "
                            "identified by its site fingerprint instead")
        lines = self.fingerprints.setdefault((fingerprint.base, fingerprint.cell), [])
        lines.append(line)
        if len(lines) > 1:
            fingerprint = Fingerprint(fingerprint.base, fingerprint.cell, len(lines))
            warnings.append(f"same agency, address, purpose and position as line {lines[0]}: "
                            f"imported as site /{len(lines)} there")
        site_key = fingerprint.key()
        self.claimed.setdefault(site_key, line)
        return site_key, "fingerprint", fingerprint


# --- file -----------------------------------------------------------------------------------


def _is_blank(row: list[str]) -> bool:
    return not any(cell.strip() for cell in row)


def parse_camera_csv(data: bytes, *, default_retention_days: int = 30) -> ImportResult:
    """Parse a camera CSV; bad rows become RowErrors, an unreadable file a CsvFormatError."""
    low, high = RETENTION_DAYS_RANGE
    if not low <= default_retention_days <= high:
        raise ValueError(f"default_retention_days must be in {low}..{high}")
    text, encoding = decode(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[CameraRecord] = []
    errors: list[RowError] = []
    parser: _RowParser | None = None
    end = 0
    try:
        for row in reader:
            line, end = end + 1, reader.line_num
            if parser is None:
                if _is_blank(row):
                    continue
                parser = _RowParser(detect_layout(row), default_retention_days)
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
                records.append(parsed)
            elif not _is_blank(row):
                errors.append(RowError(line, "; ".join(parsed)))
    except csv.Error as exc:
        raise CsvFormatError(f"line {end + 1}: malformed CSV: {exc}") from exc
    if parser is None:
        raise CsvFormatError("empty file: no header row")
    warnings = [RowWarning(record.line, reason) for record in records for reason in record.warnings]
    return ImportResult(records, errors, encoding, parser.layout.dialect, warnings)
