"""A number written outside its range is an error on its line and the row is not imported;
it never becomes the column's default (a reviewer's 보관일수 99999999999999999999 imported as
30 days). Blank cells keep their defaults."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from broker.adapters.importers import RowError, parse_camera_csv
from broker.domain.camera import MAX_RETENTION_DAYS
from broker.readmodel import camera_view
from tests.conftest import SHELL

HEADER = "관리기관명,소재지도로명주소,설치목적구분,카메라대수,카메라화소수,보관일수,위도,경도,coverage_m"
GOOD = {"camera_count": "2", "pixels": "200", "retention_days": "30", "lat": "36.355451",
        "lon": "127.383745", "coverage_m": "50"}
LABEL = {"camera_count": "카메라대수 (camera_count)", "pixels": "카메라화소수 (pixels)",
         "retention_days": "보관일수 (retention_days)", "lat": "위도 (lat)", "lon": "경도 (lon)",
         "coverage_m": "coverage_m"}


def _row(**cells: str) -> str:
    c = {**GOOD, **cells}
    return (f"서구청,둔산로 100,생활방범,{c['camera_count']},{c['pixels']},{c['retention_days']},"
            f"{c['lat']},{c['lon']},{c['coverage_m']}")


def _csv(*rows: str) -> bytes:
    return "\r\n".join([HEADER, *rows, ""]).encode("cp949")


REFUSED = [
    # 보관일수: 1..3650 days (MAX_RETENTION_DAYS)
    ("retention_days", "99999999999999999999", "is outside 1..3650 days"),
    ("retention_days", "3651", "is outside 1..3650 days"),
    ("retention_days", "-5", "is outside 1..3650 days"),
    ("retention_days", "-30", "is outside 1..3650 days"),
    ("retention_days", "30.5", "is not a whole number of days (1..3650)"),
    ("retention_days", "nan", "is not a whole number of days (1..3650)"),
    ("retention_days", "inf", "is not a whole number of days (1..3650)"),
    ("retention_days", "1e400", "is not a whole number of days (1..3650)"),
    ("retention_days", "abc", "is not a whole number of days (1..3650)"),
    # 카메라대수: 1..1000 (a site of N cameras is N cameras)
    ("camera_count", "0", "is outside 1..1000 cameras"),
    ("camera_count", "-3", "is outside 1..1000 cameras"),
    ("camera_count", "1001", "is outside 1..1000 cameras"),
    ("camera_count", "99999999999999999999", "is outside 1..1000 cameras"),
    ("camera_count", "2.5", "is not a whole number of cameras (1..1000)"),
    ("camera_count", "nan", "is not a whole number of cameras (1..1000)"),
    ("camera_count", "1e400", "is not a whole number of cameras (1..1000)"),
    # 화소수
    ("pixels", "0", "is not a pixel count (1..9999999, optionally 만 or 화소)"),
    ("pixels", "-200", "is not a pixel count (1..9999999, optionally 만 or 화소)"),
    ("pixels", "99999999999999999999", "is not a pixel count (1..9999999, optionally 만 or 화소)"),
    ("pixels", "nan", "is not a pixel count (1..9999999, optionally 만 or 화소)"),
    # coverage: (0, 5000] m
    ("coverage_m", "0", "is not in (0, 5000] m"),
    ("coverage_m", "-5", "is not in (0, 5000] m"),
    ("coverage_m", "5000.1", "is not in (0, 5000] m"),
    ("coverage_m", "1e400", "is not in (0, 5000] m"),
    ("coverage_m", "99999999999999999999", "is not in (0, 5000] m"),
    ("coverage_m", "nan", "is not a number"),
    ("coverage_m", "inf", "is not a number"),
    # position
    ("lat", "99999999999999999999", "is out of range [-90, 90]"),
    ("lat", "1e400", "is out of range [-90, 90]"),
    ("lat", "-1e400", "is out of range [-90, 90]"),
    ("lat", "nan", "is not a number"),
    ("lon", "1e400", "is out of range [-180, 180]"),
    ("lon", "-180.5", "is out of range [-180, 180]"),
    ("lon", "inf", "is not a number"),
]


@pytest.mark.parametrize(("column", "value", "why"), REFUSED)
def test_a_number_outside_its_range_rejects_its_line(column: str, value: str, why: str) -> None:
    result = parse_camera_csv(_csv(_row(), _row(**{"lat": "36.36", column: value})))
    assert [r.line for r in result.records] == [2]
    assert result.warnings == []
    assert result.errors == [RowError(3, f"{LABEL[column]} {value!r} {why}")]


def test_every_problem_of_the_line_is_named() -> None:
    result = parse_camera_csv(_csv(_row(camera_count="0", retention_days="99999999999999999999",
                                        coverage_m="nan", pixels="0")))
    assert result.records == []
    (error,) = result.errors
    assert error.line == 2
    assert error.reason.split("; ") == [
        "카메라대수 (camera_count) '0' is outside 1..1000 cameras",
        "보관일수 (retention_days) '99999999999999999999' is outside 1..3650 days",
        "coverage_m 'nan' is not a number",
        "카메라화소수 (pixels) '0' is not a pixel count (1..9999999, optionally 만 or 화소)",
    ]


@pytest.mark.parametrize("column", ["retention_days", "camera_count"])
def test_a_cell_of_thousands_of_digits_is_a_line_error_not_a_crash(column: str) -> None:
    # int() refuses strings of more than 4,300 digits with a ValueError.
    for digits in ("9" * 5_000, "-" + "9" * 5_000, "0" * 5_000 + "7" * 5_000):
        result = parse_camera_csv(_csv(_row(**{column: digits})))
        assert result.records == []
        (error,) = result.errors
        assert f"'{digits[:40]}'... ({len(digits)} characters) is outside" in error.reason


def test_leading_zeros_and_a_plus_sign_are_the_number() -> None:
    (record,) = parse_camera_csv(_csv(_row(retention_days="+0030", camera_count="003"))).records
    assert (record.retention_days, record.camera_count) == (30, 3)


def test_blank_cells_keep_their_defaults() -> None:
    result = parse_camera_csv(
        _csv(_row(camera_count="", pixels="", retention_days="", coverage_m="")),
        default_retention_days=45)
    (record,) = result.records
    assert (record.camera_count, record.pixels, record.retention_days, record.coverage_m) == (
        1, None, 45, 50.0)
    assert [w.reason for w in result.warnings] == [
        "보관일수 (retention_days) is empty: the default of 45 days applies"]


def test_retention_zero_is_not_recorded_and_keeps_the_default_with_a_warning() -> None:
    # #15: a third of some real registers write 0 for "not recorded"; rejecting those rows
    # would drop thousands of cameras. The line says so.
    result = parse_camera_csv(_csv(_row(retention_days="0")), default_retention_days=45)
    assert result.errors == []
    assert result.records[0].retention_days == 45
    assert [w.reason for w in result.warnings] == [
        "보관일수 (retention_days) '0' is outside 1..3650: the default of 45 days applies"]


_OUTSIDE_RETENTION = st.one_of(
    st.integers(max_value=-1),
    st.integers(min_value=MAX_RETENTION_DAYS + 1),
).map(str) | st.integers(min_value=MAX_RETENTION_DAYS + 1).map(lambda n: f"+{n}")
_OUTSIDE_COUNT = (st.integers(max_value=0) | st.integers(min_value=1001)).map(str)


@given(_OUTSIDE_RETENTION)
def test_any_integer_outside_1_to_3650_days_is_refused(value: str) -> None:
    result = parse_camera_csv(_csv(_row(retention_days=value)))
    assert result.records == [] and result.warnings == []
    assert result.errors == [RowError(2, f"보관일수 (retention_days) {value!r} is outside 1..3650 days")]


@given(st.integers(1, MAX_RETENTION_DAYS))
def test_any_integer_in_1_to_3650_days_is_kept(days: int) -> None:
    result = parse_camera_csv(_csv(_row(retention_days=str(days))))
    assert result.errors == [] and result.warnings == []
    assert result.records[0].retention_days == days


@given(_OUTSIDE_COUNT)
def test_any_camera_count_outside_1_to_1000_is_refused(value: str) -> None:
    result = parse_camera_csv(_csv(_row(camera_count=value)))
    assert result.records == []
    assert result.errors == [RowError(2, f"카메라대수 (camera_count) {value!r} is outside 1..1000 cameras")]


@given(st.floats(allow_nan=False).filter(lambda m: not 0 < m <= 5_000).map(repr))
def test_any_coverage_outside_0_to_5000_m_is_refused(value: str) -> None:
    result = parse_camera_csv(_csv(_row(coverage_m=value)))
    assert result.records == []
    (error,) = result.errors
    assert error.reason.startswith(f"coverage_m {value!r} is not ")


# --- through the application, on a real SQLite broker ----------------------------------------


def _cameras(broker) -> list[dict]:
    with broker.readmodel.reader.connect() as conn:
        return [dict(row) for row in camera_view.list_cameras(conn, limit=100)]


def test_the_reviewers_file_imports_nothing_of_the_bad_line(broker) -> None:
    data = _csv(_row(camera_count="1", retention_days="99999999999999999999"),
                _row(camera_count="1", retention_days="14", lat="36.36"))
    report = broker.cameras.import_csv(SHELL, data)
    assert report.errors == [
        (2, "보관일수 (retention_days) '99999999999999999999' is outside 1..3650 days")]
    assert (report.rows, report.created, report.rows_imported, report.rows_with_warnings) == (
        2, 1, 1, 0)
    assert report.as_dict()["row_counts"] == {"imported": 1, "with_warnings": 0, "rejected": 1}
    assert [(c["lat"], c["retention_days"]) for c in _cameras(broker)] == [(36.36, 14)]


@pytest.mark.parametrize(("column", "value", "why"), [
    case for case in REFUSED if case[1] in ("0", "-5", "nan", "1e400", "99999999999999999999")])
def test_no_camera_is_registered_from_a_refused_line(broker, column: str, value: str,
                                                     why: str) -> None:
    report = broker.cameras.import_csv(SHELL, _csv(_row(**{column: value})))
    assert report.errors == [(2, f"{LABEL[column]} {value!r} {why}")]
    assert (report.created, report.updated, report.unchanged) == (0, 0, 0)
    assert _cameras(broker) == []


def test_a_refused_line_of_the_next_release_leaves_its_cameras_as_they_were(broker) -> None:
    broker.cameras.import_csv(SHELL, _csv(_row(retention_days="60")))
    report = broker.cameras.import_csv(SHELL, _csv(_row(retention_days="99999999999999999999")))
    assert [line for line, _ in report.errors] == [2]
    assert (report.updated, report.created) == (0, 0)
    assert {c["retention_days"] for c in _cameras(broker)} == {60}
