"""Camera CSV import: dialects, encodings, row errors with exact lines, stable keys."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable

import pytest

from broker.adapters.importers import (
    CameraRecord,
    CsvFormatError,
    ImportResult,
    RowError,
    RowWarning,
    categorize_purpose,
    parse_camera_csv,
)
from tests.importers.samples import DAEJEON_CSV, DAEJEON_ROWS, KOREAN_HEADER


def _by_line(result: ImportResult) -> dict[int, CameraRecord]:
    return {record.line: record for record in result.records}


def _rewrite(text: str, transform: Callable[[list[list[str]]], list[list[str]]]) -> str:
    """Re-emit a CSV through csv.writer after applying transform(rows) -> rows."""
    rows = list(csv.reader(io.StringIO(text, newline="")))
    out = io.StringIO()
    csv.writer(out).writerows(transform(rows))
    return out.getvalue()


# --- the Korean standard data --------------------------------------------------------------


def test_daejeon_sample_imports_every_row() -> None:
    result = parse_camera_csv(DAEJEON_CSV.encode("utf-8"))
    assert result.errors == [] and result.warnings == []
    assert result.dialect == "korea_standard"
    assert [r.line for r in result.records] == list(range(2, 2 + len(DAEJEON_ROWS)))
    first = result.records[0]
    assert first == CameraRecord(
        site_key=first.site_key,
        key_source="fingerprint",
        fingerprint=first.fingerprint,
        agency="대전광역시 서구청",
        address="대전광역시 서구 둔산로 100",
        purpose="생활방범",
        purpose_category="crime_prevention",
        camera_count=4,
        retention_days=30,
        installed="2016-03",
        lat=36.355451,
        lon=127.383745,
        coverage_m=50.0,
        line=2,
        name=None,
        lot_address="대전광역시 서구 둔산동 1420",
        management_number=None,
        agency_code=None,
        pixels=200,
        direction="360도 전방면",
        phone="042-288-2114",
        data_date="2024-06-30",
        warnings=(),
    )
    assert first.site_key.startswith("site-") and len(first.site_key) == 29


def test_daejeon_sample_normalizes_purposes_dates_and_coverage() -> None:
    records = _by_line(parse_camera_csv(DAEJEON_CSV.encode("utf-8")))
    assert {line: r.purpose_category for line, r in records.items()} == {
        2: "crime_prevention",
        3: "child_protection",
        4: "traffic_enforcement",
        5: "traffic_info",
        6: "illegal_dumping",
        7: "disaster",
        8: "facility",
        9: "other",
        10: "drone",
        11: "crime_prevention",
        12: "traffic_enforcement",
        13: "crime_prevention",
    }
    assert {line: r.installed for line, r in records.items()} == {
        2: "2016-03", 3: "2017-05", 4: "2018-03", 5: "2019-11", 6: None, 7: "2020-07",
        8: "2015-12", 9: "2014-01", 10: "2023-09", 11: "2016-03", 12: "2021-04", 13: "2022-08",
    }
    assert records[10].coverage_m == 2000.0
    assert {r.coverage_m for line, r in records.items() if line != 10} == {50.0}
    assert records[4].address == "대전광역시 서구 둔산동 914"  # road address blank: lot address
    assert records[13].address == "대전광역시 서구 계룡로 491, 1층"
    assert records[5].retention_days == 7
    assert records[4].camera_count == 1


@pytest.mark.parametrize(
    ("encoding", "payload"),
    [
        ("utf-8", DAEJEON_CSV.encode("utf-8")),
        ("utf-8-sig", DAEJEON_CSV.encode("utf-8-sig")),
        ("cp949", DAEJEON_CSV.encode("cp949")),
    ],
)
def test_every_portal_encoding_gives_identical_records(encoding: str, payload: bytes) -> None:
    reference = parse_camera_csv(DAEJEON_CSV.encode("utf-8"))
    result = parse_camera_csv(payload)
    assert result.encoding == encoding
    assert result.records == reference.records
    assert result.errors == []


def test_euc_kr_file_is_read_as_cp949() -> None:
    result = parse_camera_csv(DAEJEON_CSV.encode("euc-kr"))
    assert result.encoding == "cp949"
    assert result.records == parse_camera_csv(DAEJEON_CSV.encode("utf-8")).records


def test_column_order_whitespace_and_unknown_columns_do_not_matter() -> None:
    reference = parse_camera_csv(DAEJEON_CSV.encode("utf-8")).records
    order = list(range(len(KOREAN_HEADER.split(","))))
    random.Random(7).shuffle(order)

    def shuffle(rows: list[list[str]]) -> list[list[str]]:
        out = []
        for i, row in enumerate(rows):
            cells = [f"  {row[j]} " for j in order]
            out.append([*cells, "비고" if i == 0 else "임의 메모"])
        return out

    result = parse_camera_csv(_rewrite(DAEJEON_CSV, shuffle).encode("cp949"))
    assert result.errors == []
    assert result.records == reference


def test_wgs84_and_year_spelling_aliases_are_accepted() -> None:
    text = DAEJEON_CSV.replace(",위도,경도,", ",WGS84위도,WGS84경도,")
    text = text.replace("설치연월", "설치년월")
    reference = parse_camera_csv(DAEJEON_CSV.encode()).records
    assert parse_camera_csv(text.encode()).records == reference


def test_missing_optional_columns_take_defaults() -> None:
    text = "관리기관명,위도,경도\n대전광역시 서구청,36.35,127.38\n"
    (record,) = parse_camera_csv(text.encode(), default_retention_days=45).records
    assert record.purpose == "기타"
    assert record.purpose_category == "other"
    assert record.camera_count == 1
    assert record.retention_days == 45
    assert record.installed is None
    assert record.address == ""


def test_empty_optional_values_take_defaults() -> None:
    text = DAEJEON_CSV.replace(",생활방범,4,200,360도 전방면,30,2016-03,", ",,,200,360도 전방면,,,")
    record = _by_line(parse_camera_csv(text.encode()))[2]
    assert (record.purpose, record.purpose_category) == ("기타", "other")
    assert (record.camera_count, record.retention_days, record.installed) == (1, 30, None)


# --- the English dialect --------------------------------------------------------------------

ENGLISH_CSV = (
    "agency,address,purpose,camera_count,retention_days,installed,lat,lon\n"
    "Daejeon Seo-gu Office,100 Dunsan-ro,crime_prevention,3,30,2016-03,36.355451,127.383745\n"
    "Daejeon City Hall,100 Dunsan-ro,drone,1,14,,36.350412,127.384811\n"
    "Yuseong-gu Office,99 Daehak-ro,,,,,36.366701,127.344410\n"
)


def test_english_header_file() -> None:
    result = parse_camera_csv(ENGLISH_CSV.encode())
    assert result.dialect == "english"
    assert result.errors == []
    seo, city, yuseong = result.records
    assert (seo.agency, seo.purpose_category, seo.camera_count, seo.installed) == (
        "Daejeon Seo-gu Office", "crime_prevention", 3, "2016-03",
    )
    assert (city.purpose_category, city.coverage_m, city.retention_days) == ("drone", 2000.0, 14)
    assert (yuseong.purpose, yuseong.purpose_category) == ("other", "other")
    assert (yuseong.camera_count, yuseong.retention_days, yuseong.coverage_m) == (1, 30, 50.0)


def test_english_optional_key_name_and_coverage() -> None:
    text = (
        "Key , Name,agency,lat,lon,coverage_m,purpose\n"
        "A-17,Dunsan gate,Seo-gu Office,36.35,127.38,120,생활방범\n"
        ",,Seo-gu Office,36.36,127.39,,드론\n"
    )
    keyed, plain = parse_camera_csv(text.encode()).records
    assert (keyed.name, keyed.coverage_m, keyed.purpose_category) == (
        "Dunsan gate", 120.0, "crime_prevention",
    )
    assert (plain.name, plain.coverage_m) == (None, 2000.0)


def test_coverage_out_of_range_rejects_the_row() -> None:
    text = "agency,lat,lon,coverage_m\nX,36.35,127.38,0\nX,36.36,127.38,6000\nX,36.37,127.38,-5\n"
    result = parse_camera_csv(text.encode())
    assert result.records == [] and result.warnings == []
    assert result.errors == [
        RowError(line, f"coverage_m {value!r} is not in (0, 5000] m")
        for line, value in ((2, "0"), (3, "6000"), (4, "-5"))
    ]


# --- bad rows -------------------------------------------------------------------------------

BAD_CSV = "\r\n".join(
    [
        KOREAN_HEADER,
        DAEJEON_ROWS[0],  # line 2: good
        DAEJEON_ROWS[1].replace("36.351926", "36.35x"),  # line 3
        DAEJEON_ROWS[2].replace("127.388040", "227.388040"),  # line 4
        DAEJEON_ROWS[3].replace("대전광역시 서구청", " "),  # line 5
        DAEJEON_ROWS[4].replace("쓰레기단속,1,", "쓰레기단속,0,"),  # line 6
        DAEJEON_ROWS[5] + ",덤",  # line 7: 15 fields
        # lines 8-10: a quoted field with two newlines, still a good row
        DAEJEON_ROWS[6].replace("공원 출입구", '"공원 출입구\n북측\n야간 적외선"'),
        DAEJEON_ROWS[7].replace("36.358870,127.387655", "0,0"),  # line 11
        DAEJEON_ROWS[8].replace(",14,2023-09,", ",0,2023-13,"),  # line 12
        "",  # line 13: blank, skipped
        DAEJEON_ROWS[9].replace(",3,200,", ",2.5,200,").replace("36.366701", ""),  # line 14
        "13,대전광역시 서구청,대전광역시 서구 둔산로 1",  # line 15: too few fields
        DAEJEON_ROWS[10],  # line 16: good
        DAEJEON_ROWS[0].replace("1,대전", "99,대전", 1),  # line 17: good (another 번호)
        DAEJEON_ROWS[0],  # line 18: same 번호 and agency as line 2
    ]
) + "\r\n"


def test_bad_rows_are_reported_with_exact_lines_and_reasons() -> None:
    result = parse_camera_csv(BAD_CSV.encode("cp949"))
    assert result.errors == [
        RowError(3, "위도 (lat) '36.35x' is not a number"),
        RowError(4, "경도 (lon) '227.388040' is out of range [-180, 180]"),
        RowError(5, "관리기관명 (agency) is empty"),
        RowError(6, "카메라대수 (camera_count) '0' is outside 1..1000 cameras"),
        RowError(7, "expected 14 fields, found 15"),
        RowError(11, "위도 (lat) and 경도 (lon) are both 0: position missing"),
        RowError(14, "위도 (lat) is empty; "
                     "카메라대수 (camera_count) '2.5' is not a whole number of cameras (1..1000)"),
        RowError(15, "expected 14 fields, found 3"),
    ]
    assert result.warnings == [
        RowWarning(12, "보관일수 (retention_days) '0' is outside 1..3650: the default of 30 days applies"),
        RowWarning(12, "설치연월 (installed) '2023-13' is not a year-month (YYYY-MM): "
                       "installation date unknown"),
        RowWarning(17, "same agency, address, purpose and position as line 2: imported as site /2 there"),
        RowWarning(18, "same agency, address, purpose and position as line 2: imported as site /3 there"),
    ]
    records = _by_line(result)
    assert list(records) == [2, 8, 12, 16, 17, 18]
    assert records[8].agency == "대전광역시 서구청"
    assert (records[12].retention_days, records[12].installed) == (30, None)
    # 번호 99 or 1 makes no difference: three rows at one site are three sites there, in order.
    assert len({records[line].site_key for line in (2, 17, 18)}) == 3
    assert [records[line].fingerprint.ordinal for line in (2, 17, 18)] == [1, 2, 3]
    assert (result.rows, result.rows_with_warnings) == (14, 3)


def test_row_error_renders_with_its_line() -> None:
    assert str(RowError(7, "위도 (lat) '37.5x' is not a number")) == (
        "line 7: 위도 (lat) '37.5x' is not a number"
    )


def test_line_numbers_count_lf_crlf_and_blank_lines_alike() -> None:
    text = "agency,lat,lon\n\n  \nA,1,2\r\nB,\"x\r\ny\",2\rC,3,4\n"
    result = parse_camera_csv(text.encode())
    assert [r.line for r in result.records] == [4, 7]
    assert result.errors == [RowError(5, "lat 'x\\r\\ny' is not a number")]


def test_unbalanced_quote_swallowing_the_rest_is_reported_at_its_start() -> None:
    text = 'agency,lat,lon\nA,1,2\nB,"3,4\nC,5,6\nD,7,8\n'
    result = parse_camera_csv(text.encode())
    assert [r.line for r in result.records] == [2]
    assert result.errors == [
        RowError(3, "expected 3 fields, found 2 (row spans lines 3-5; unbalanced quote?)")
    ]


def test_non_ascii_digits_and_special_floats_are_not_numbers() -> None:
    rows = ["X,nan,127", "X,inf,127", "X,3_6.5,127", "X,٣٦,127", "X,36,1e999"]
    result = parse_camera_csv(("agency,lat,lon\n" + "\n".join(rows)).encode())
    assert [e.reason for e in result.errors] == [
        "lat 'nan' is not a number",
        "lat 'inf' is not a number",
        "lat '3_6.5' is not a number",
        "lat '٣٦' is not a number",
        "lon '1e999' is out of range [-180, 180]",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2016-03", "2016-03"),
        ("2016-03-01", "2016-03"),
        ("201603", "2016-03"),
        ("20160301", "2016-03"),
        ("2016.03", "2016-03"),
        ("2016.3.", "2016-03"),
        ("2016/03/31", "2016-03"),
        ("2016년 3월", "2016-03"),
        ("2016-03-01 00:00:00", "2016-03"),
        ("", None),
    ],
)
def test_installed_shapes(text: str, expected: str | None) -> None:
    data = f"agency,lat,lon,installed\nX,36.35,127.38,{text}\n".encode()
    (record,) = parse_camera_csv(data).records
    assert record.installed == expected


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("2016", "gives only the year"),
        ("2017-  ", "gives only the year"),
        ("2017.", "gives only the year"),
        ("2017년", "gives only the year"),
        ("2016-13", "is not a year-month (YYYY-MM)"),
        ("2016-02-30", "is not a year-month (YYYY-MM)"),
        ("1850-01", "is not a year-month (YYYY-MM)"),
        ("March 2016", "is not a year-month (YYYY-MM)"),
        ("16-03", "is not a year-month (YYYY-MM)"),
    ],
)
def test_partial_or_malformed_installed_is_unknown_with_a_warning(text: str, why: str) -> None:
    data = f"agency,lat,lon,installed\nX,36.35,127.38,{text}\n".encode()
    result = parse_camera_csv(data)
    assert result.errors == []
    assert result.records[0].installed is None
    assert result.warnings == [
        RowWarning(2, f"installed {text.strip()!r} {why}: installation date unknown")]


@pytest.mark.parametrize(
    ("purpose", "category"),
    [
        ("생활방범", "crime_prevention"),
        ("방범", "crime_prevention"),
        ("어린이보호", "child_protection"),
        ("어린이 보호구역", "child_protection"),
        ("교통단속", "traffic_enforcement"),
        ("불법주정차", "traffic_enforcement"),
        ("교통정보수집", "traffic_info"),
        ("쓰레기단속", "illegal_dumping"),
        ("시설물관리", "facility"),
        ("재난재해", "disaster"),
        ("드론", "drone"),
        ("기타", "other"),
        ("다목적", "other"),
        ("Crime Prevention", "crime_prevention"),
        ("traffic_info", "traffic_info"),
        ("other", "other"),
    ],
)
def test_purpose_categories(purpose: str, category: str) -> None:
    assert categorize_purpose(purpose) == category


# --- whole-file errors ----------------------------------------------------------------------


def test_unknown_header_names_the_missing_columns() -> None:
    with pytest.raises(CsvFormatError, match="missing columns: lat, lon") as info:
        parse_camera_csv(b"agency,latitude,longitude\nX,1,2\n")
    assert "'latitude'" in str(info.value)


def test_incomplete_korean_header_names_the_missing_korean_columns() -> None:
    with pytest.raises(CsvFormatError, match="missing Korean standard columns: 위도, 경도"):
        parse_camera_csv("관리기관명,소재지도로명주소\n대전광역시 서구청,둔산로 100\n".encode())


def test_header_of_neither_dialect_names_both() -> None:
    with pytest.raises(CsvFormatError, match="관리기관명, 위도, 경도 or English columns agency"):
        parse_camera_csv(b"foo,bar\n1,2\n")


def test_duplicate_column_is_ambiguous() -> None:
    with pytest.raises(CsvFormatError, match="'위도' and 'WGS84위도' both give lat"):
        parse_camera_csv("관리기관명,위도,경도,WGS84위도\nX,1,2,3\n".encode())


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"", "empty file"),
        (b"\r\n\r\n", "empty file"),
        ("agency,lat,lon\n".encode("utf-16"), "UTF-16"),
        (b"agency,lat,lon\nX\x00,1,2\n", "NUL"),
        (b"agency,lat,lon\n\xff\xff,1,2\n", "neither UTF-8 nor CP949"),
        (b"\xef\xbb\xbfagency,lat,lon\n\xff,1,2\n", "UTF-8 BOM but is not valid UTF-8"),
    ],
)
def test_unreadable_files_raise(payload: bytes, message: str) -> None:
    with pytest.raises(CsvFormatError, match=message):
        parse_camera_csv(payload)


def test_field_over_the_csv_limit_is_a_format_error() -> None:
    payload = b'agency,lat,lon\nA,1,2\nB,"' + b"x" * 200_000 + b'",2\n'
    with pytest.raises(CsvFormatError, match="line 3: malformed CSV"):
        parse_camera_csv(payload)


def test_header_only_file_yields_nothing() -> None:
    result = parse_camera_csv((KOREAN_HEADER + "\r\n").encode("cp949"))
    assert (result.records, result.errors, result.encoding) == ([], [], "cp949")


def test_default_retention_is_validated() -> None:
    with pytest.raises(ValueError, match="default_retention_days"):
        parse_camera_csv(DAEJEON_CSV.encode(), default_retention_days=0)


# --- site keys ------------------------------------------------------------------------------


def test_keys_are_stable_across_reparsing() -> None:
    first = [r.site_key for r in parse_camera_csv(DAEJEON_CSV.encode("cp949")).records]
    second = [r.site_key for r in parse_camera_csv(DAEJEON_CSV.encode("utf-8")).records]
    assert first == second
    assert len(set(first)) == len(first)


def test_the_running_row_number_is_not_an_identity() -> None:
    renumbered = _rewrite(DAEJEON_CSV, lambda rows: [rows[0], *[[str(int(r[0]) + 7), *r[1:]]
                                                              for r in rows[1:]]])
    before = [r.site_key for r in parse_camera_csv(DAEJEON_CSV.encode()).records]
    assert [r.site_key for r in parse_camera_csv(renumbered.encode()).records] == before
    other_agency = DAEJEON_CSV.replace("1,대전광역시 서구청,", "1,대전광역시 중구청,", 1)
    assert parse_camera_csv(other_agency.encode()).records[0].site_key != before[0]


def _key(row: str, header: str = "agency,address,purpose,lat,lon") -> str:
    (record,) = parse_camera_csv(f"{header}\n{row}\n".encode()).records
    return record.site_key


def test_fingerprint_is_agency_address_purpose_and_a_few_metres() -> None:
    base = _key("Seo-gu Office,100 Dunsan-ro,생활방범,36.3554510,127.383745")
    # Case, spacing, punctuation and a (참고항목) do not matter; a metre does not either.
    assert _key("  seo-gu   OFFICE ,100  dunsan-ro (Dunsan-dong),생활방범,36.355451,127.3837451") == base
    assert _key("Seo-gu Office,\"100, Dunsan-ro\",방범,36.355455,127.383745") == base  # same category
    assert _key("Seo-gu Office,100 Dunsan-ro,생활방범,36.355551,127.383745") != base  # 11 m north
    assert _key("Seo-gu Office,100 Dunsan-ro,어린이보호,36.355451,127.383745") != base
    assert _key("Seo-gu Office,102 Dunsan-ro,생활방범,36.355451,127.383745") != base
    assert _key("Yuseong-gu Office,100 Dunsan-ro,생활방범,36.355451,127.383745") != base


def test_neighbour_keys_are_the_eight_cells_around_nearest_first() -> None:
    (record,) = parse_camera_csv(b"agency,lat,lon\nX,36.3554740,127.383745\n").records
    neighbours = record.fingerprint.neighbour_keys(record.lat, record.lon)
    assert len(set(neighbours)) == 8 and record.site_key not in neighbours
    # Just north of the cell's middle... (36.355474 is 0.46 of a cell above 36.35545): north first.
    lat_cell, lon_cell = record.fingerprint.cell
    assert neighbours[0] == record.fingerprint.key((lat_cell + 1, lon_cell))
    moved = parse_camera_csv(b"agency,lat,lon\nX,36.3554760,127.383745\n").records[0]
    assert moved.site_key == neighbours[0]  # 0.2 m further north: across the edge, the nearest neighbour


def test_management_number_is_the_identity_when_present() -> None:
    header = "개방자치단체코드,관리번호,관리기관명,소재지도로명주소,설치목적구분,WGS84위도,WGS84경도"
    row = ("3000000,202630000000800463,서울특별시 종로구청,서울특별시 종로구 북촌로 134-1,"
           "생활방범,37.58785,126.9843")
    result = parse_camera_csv(f"{header}\n{row}\n".encode())
    (record,) = result.records
    assert result.dialect == "korea_localdata"
    assert (record.site_key, record.key_source) == ("mn-202630000000800463", "management_number")
    assert (record.management_number, record.agency_code) == ("202630000000800463", "3000000")
    moved = row.replace("37.58785,126.9843", "37.58885,126.9853").replace("134-1", "136")
    assert parse_camera_csv(f"{header}\n{moved}\n".encode()).records[0].site_key == record.site_key


def test_a_repeated_or_missing_management_number_falls_back_to_the_fingerprint() -> None:
    header = "관리번호,관리기관명,소재지도로명주소,위도,경도"
    rows = ["A1,종로구청,북촌로 1,37.5,126.9", "A1,종로구청,북촌로 2,37.6,126.9",
            ",종로구청,북촌로 3,37.7,126.9"]
    result = parse_camera_csv("\n".join([header, *rows]).encode())
    assert [r.key_source for r in result.records] == ["management_number", "fingerprint", "fingerprint"]
    assert result.warnings == [
        RowWarning(3, "관리번호 'A1' repeats line 2: identified by its site fingerprint instead"),
        RowWarning(4, "관리번호 (management_number) is empty: identified by its site fingerprint"),
    ]


def test_keyed_and_unkeyed_rows_never_share_a_key() -> None:
    text = "key,agency,address,lat,lon\n1,A,,1,1\n,A,1,1,1\n"
    keyed, unkeyed = parse_camera_csv(text.encode()).records
    assert keyed.site_key != unkeyed.site_key
