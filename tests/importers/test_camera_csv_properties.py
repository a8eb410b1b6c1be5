"""Properties of the camera CSV import: any valid rows written by csv.writer come back intact."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace

from hypothesis import assume, given
from hypothesis import strategies as st

from broker.adapters.importers import CameraRecord, CsvFormatError, parse_camera_csv
from broker.adapters.importers.camera_csv import GRID_DEG, Fingerprint, normalize_address

# Purposes with the category the spec assigns them, written down here rather than derived.
PURPOSES = [
    ("생활방범", "crime_prevention"),
    ("방범", "crime_prevention"),
    ("어린이보호", "child_protection"),
    ("교통단속", "traffic_enforcement"),
    ("불법주정차", "traffic_enforcement"),
    ("교통정보수집", "traffic_info"),
    ("쓰레기단속", "illegal_dumping"),
    ("시설물관리", "facility"),
    ("재난재해", "disaster"),
    ("드론", "drone"),
    ("기타", "other"),
    ("", "other"),
]

HEADERS = {
    "english": {
        "key": "key", "agency": "agency", "address": "address", "purpose": "purpose",
        "camera_count": "camera_count", "retention_days": "retention_days",
        "installed": "installed", "lat": "lat", "lon": "lon", "coverage_m": "coverage_m",
    },
    "korea_standard": {
        "key": "번호", "agency": "관리기관명", "address": "소재지도로명주소",
        "purpose": "설치목적구분", "camera_count": "카메라대수", "retention_days": "보관일수",
        "installed": "설치연월", "lat": "위도", "lon": "경도", "coverage_m": "coverage_m",
    },
}
DEFAULT_PURPOSE = {"english": "other", "korea_standard": "기타"}
INSTALLED_SHAPES = ["{y:04d}-{m:02d}", "{y:04d}-{m:02d}-01", "{y:04d}{m:02d}", "{y:04d}.{m:02d}"]

# Hangul syllables (all in CP949), ASCII, and the characters csv.writer must quote.
_ALPHABET = st.one_of(
    st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3),
    st.sampled_from('abcXYZ019 -,."\n()'),
)
_TEXT = st.text(_ALPHABET, max_size=12).map(str.strip)


@dataclass(frozen=True)
class Row:
    """One generated valid row, with the cells it is written as."""

    key: str
    agency: str
    address: str
    purpose: str
    category: str
    camera_count: int | None
    retention_days: int | None
    installed: tuple[int, int, str] | None
    lat: float
    lon: float
    coverage_m: float | None

    def cells(self) -> dict[str, str]:
        installed = ""
        if self.installed is not None:
            year, month, shape = self.installed
            installed = shape.format(y=year, m=month)

        def opt(value: object) -> str:
            return "" if value is None else str(value)

        return {
            "key": self.key, "agency": self.agency, "address": self.address,
            "purpose": self.purpose, "camera_count": opt(self.camera_count),
            "retention_days": opt(self.retention_days), "installed": installed,
            "lat": repr(self.lat), "lon": repr(self.lon), "coverage_m": opt(self.coverage_m),
        }

    def identity(self, dialect: str) -> tuple[object, ...]:
        """What makes two rows the same site, per the documented key rule: an English key as
        given; otherwise agency, normalised address, purpose category and the grid cell
        (the Korean 번호 column is a row number, never an identity)."""
        if self.key and dialect == "english":
            return ("key", self.key)
        fold = " ".join(self.agency.split()).casefold()
        return ("site", fold, normalize_address(self.address), self.category,
                round(self.lat / GRID_DEG), round(self.lon / GRID_DEG))


@st.composite
def rows(draw: st.DrawFn) -> Row:
    purpose, category = draw(st.sampled_from(PURPOSES))
    lat = draw(st.floats(min_value=-90, max_value=90, allow_nan=False))
    lon = draw(st.floats(min_value=-180, max_value=180, allow_nan=False))
    if lat == 0 and lon == 0:
        lon = 127.38
    return Row(
        key=draw(st.one_of(st.just(""), _TEXT)),
        agency=draw(_TEXT.filter(bool)),
        address=draw(_TEXT),
        purpose=purpose,
        category=category,
        camera_count=draw(st.none() | st.integers(1, 1000)),
        retention_days=draw(st.none() | st.integers(1, 3650)),
        installed=draw(st.none() | st.tuples(
            st.integers(1900, 2100), st.integers(1, 12), st.sampled_from(INSTALLED_SHAPES)
        )),
        lat=lat,
        lon=lon,
        coverage_m=draw(st.none() | st.floats(min_value=0.5, max_value=5_000)),
    )


@st.composite
def files(draw: st.DrawFn) -> tuple[str, list[Row], str, str]:
    """(dialect, rows, text, encoding): distinct sites, any column order, csv.writer output."""
    dialect = draw(st.sampled_from(sorted(HEADERS)))
    columns = draw(st.permutations(sorted(HEADERS[dialect])))
    site_rows = draw(st.lists(rows(), max_size=15, unique_by=lambda row: row.identity(dialect)))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([HEADERS[dialect][c] for c in columns])
    for row in site_rows:
        cells = row.cells()
        writer.writerow([cells[c] for c in columns])
    return dialect, site_rows, out.getvalue(), draw(st.sampled_from(["utf-8", "cp949"]))


def _expected(dialect: str, row: Row, line: int, default_retention_days: int) -> CameraRecord:
    purpose = row.purpose or DEFAULT_PURPOSE[dialect]
    coverage = row.coverage_m
    if coverage is None:
        coverage = 2000.0 if row.category == "drone" else 50.0
    return CameraRecord(
        site_key="",
        key_source="key" if row.key and dialect == "english" else "fingerprint",
        fingerprint=_NO_FINGERPRINT,
        agency=row.agency,
        address=row.address,
        purpose=purpose,
        purpose_category=row.category,
        camera_count=1 if row.camera_count is None else row.camera_count,
        retention_days=(
            default_retention_days if row.retention_days is None else row.retention_days
        ),
        installed=(
            None if row.installed is None else f"{row.installed[0]:04d}-{row.installed[1]:02d}"
        ),
        lat=row.lat,
        lon=row.lon,
        coverage_m=coverage,
        line=line,
        name=None,
        warnings=(() if row.retention_days is not None else (
            f"{RETENTION_LABEL[dialect]} is empty: the default of {default_retention_days} days applies",)),
    )


_NO_FINGERPRINT = Fingerprint("", (0, 0))
RETENTION_LABEL = {"english": "retention_days", "korea_standard": "보관일수 (retention_days)"}


def _physical_lines(rows_: list[Row], columns: list[str]) -> list[int]:
    """Start line of each data row: csv.writer ends rows in CRLF and keeps embedded LFs."""
    lines, line = [], 2
    for row in rows_:
        lines.append(line)
        out = io.StringIO()
        cells = row.cells()
        csv.writer(out).writerow([cells[c] for c in columns])
        line += out.getvalue().count("\n")
    return lines


def _is_utf8(payload: bytes) -> bool:
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@given(files(), st.integers(1, 3650))
def test_valid_rows_round_trip(
    file: tuple[str, list[Row], str, str], default_retention_days: int
) -> None:
    dialect, site_rows, text, encoding = file
    payload = text.encode(encoding)
    # Detection tries UTF-8 first: ASCII is reported as UTF-8, and the rare CP949 byte string
    # that is also valid UTF-8 (a few Hangul syllables, no others) cannot be told apart.
    assume(payload.isascii() or encoding == "utf-8" or not _is_utf8(payload))
    result = parse_camera_csv(payload, default_retention_days=default_retention_days)
    assert result.errors == []
    assert result.dialect == dialect
    assert result.encoding == ("utf-8" if payload.isascii() else encoding)
    header = next(csv.reader(io.StringIO(text, newline="")))
    columns = [{v: k for k, v in HEADERS[dialect].items()}[h] for h in header]
    lines = _physical_lines(site_rows, columns)
    expected = [
        _expected(dialect, row, line, default_retention_days)
        for row, line in zip(site_rows, lines, strict=True)
    ]
    assert [replace(r, site_key="", fingerprint=_NO_FINGERPRINT) for r in result.records] == expected


@given(files())
def test_keys_are_deterministic_and_distinct_for_distinct_sites(
    file: tuple[str, list[Row], str, str],
) -> None:
    _, site_rows, text, encoding = file
    first = parse_camera_csv(text.encode(encoding))
    again = parse_camera_csv(text.encode("utf-8"))
    keys = [r.site_key for r in first.records]
    assert keys == [r.site_key for r in again.records]
    assert len(set(keys)) == len(site_rows)
    assert all(r.fingerprint.ordinal == 1 for r in first.records)


@given(st.lists(rows(), min_size=1, max_size=5))
def test_repeating_a_site_imports_it_again_numbered(site_rows: list[Row]) -> None:
    columns = sorted(set(HEADERS["english"]) - {"key"})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in [*site_rows, site_rows[0]]:
        cells = row.cells()
        writer.writerow([cells[c] for c in columns])
    result = parse_camera_csv(out.getvalue().encode())
    assert result.errors == []
    assert len(result.records) == len(site_rows) + 1
    assert len({r.site_key for r in result.records}) == len(site_rows) + 1
    assert result.records[-1].fingerprint.ordinal >= 2
    assert "imported as site /" in result.records[-1].warnings[-1]


@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_escape_as_anything_but_format_errors(payload: bytes) -> None:
    try:
        result = parse_camera_csv(b"agency,lat,lon\n" + payload)
    except CsvFormatError:
        return
    assert all(error.line >= 2 for error in result.errors)
    assert all(record.line >= 2 for record in result.records)
