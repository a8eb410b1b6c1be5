"""Registers shaped like the real public files: only truly unusable rows are rejected, and the
next release of the same file updates the cameras instead of scrambling them."""

from __future__ import annotations

from collections import Counter

import pytest

from broker.adapters.importers import parse_camera_csv
from tests.support.cctv_files import ISSUE_FILE, next_release, register


@pytest.fixture(scope="module")
def sample():
    return register(1_500)


def test_the_generated_register_has_the_real_files_flaws(sample) -> None:
    kinds = {kind: sum(1 for s in sample.sites if s.kind == kind) for kind in
             ("retention_zero", "partial_date", "year_only", "retention_blank", "no_position",
              "zero_position", "bad_position", "colocated")}
    assert all(kinds.values()), kinds  # every flaw is there at least once
    assert 0.25 < kinds["retention_zero"] / len(sample.sites) < 0.40


@pytest.mark.parametrize("encoding", ["cp949", "utf-8", "utf-8-sig"])
@pytest.mark.parametrize("layout", ["standard", "localdata", "english"])
def test_only_rows_without_a_position_are_rejected(sample, encoding: str, layout: str) -> None:
    result = parse_camera_csv(sample.encoded(encoding, layout))
    assert result.encoding == ("utf-8-sig" if encoding == "utf-8-sig" else encoding)
    assert result.dialect == {"standard": "korea_standard", "localdata": "korea_localdata",
                              "english": "english"}[layout]
    assert len(result.errors) == sample.rejected
    assert len(result.records) == len(sample.usable)
    assert result.rows_with_warnings == sample.with_warnings
    assert sum(r.camera_count for r in result.records) == sample.camera_count
    assert all("position" in e.reason or "위도" in e.reason or "lat" in e.reason for e in result.errors)
    keys = {r.site_key for r in result.records}
    assert len(keys) == len(result.records)
    sources = {r.key_source for r in result.records}
    assert sources == ({"management_number"} if layout == "localdata" else {"fingerprint"})


def test_retention_zero_takes_the_default_and_a_partial_date_is_unknown(sample) -> None:
    result = parse_camera_csv(sample.encoded("cp949"), default_retention_days=45)
    by_line = {r.line: r for r in result.records}
    warned = {w.line: w.reason for w in result.warnings}
    for line, site in enumerate(sample.sites, start=2):
        if site.kind == "retention_zero":
            assert by_line[line].retention_days == 45
            assert warned[line] == ("보관일수 (retention_days) '0' is outside 1..3650: "
                                    "the default of 45 days applies")
        elif site.kind in ("partial_date", "year_only"):
            assert by_line[line].installed is None
            assert "gives only the year: installation date unknown" in warned[line]
        elif site.kind == "good":
            assert line not in warned
            assert by_line[line].installed is not None and by_line[line].retention_days == 30


def test_every_column_of_the_standard_is_kept(sample) -> None:
    first = parse_camera_csv(sample.encoded("cp949", "localdata")).records[0]
    site = sample.sites[0]
    assert first.management_number == site.management_number
    assert first.agency_code == site.agency_code
    assert first.phone == site.phone
    assert first.direction == site.direction
    assert first.pixels == (int(site.pixels) if site.pixels else None)
    assert first.data_date == sample.data_date


@pytest.fixture(scope="module")
def issue_file():
    """Shaped like the file of issue #15: 13,760 rows, 11 agencies, 4,452 with 보관일수 0 and
    2,122 with 설치연월 ``2017-  ``, every row with a position."""
    return register(ISSUE_FILE["rows"], flaws={"retention_zero": ISSUE_FILE["retention_zero"],
                                               "partial_date": ISSUE_FILE["partial_date"]})


def test_the_issue_file_rejects_nothing(issue_file) -> None:
    kinds = Counter(site.kind for site in issue_file.sites)
    assert len(issue_file.sites) == 13_760 and len({s.agency for s in issue_file.sites}) == 11
    assert (kinds["retention_zero"], kinds["partial_date"]) == (4_452, 2_122)
    result = parse_camera_csv(issue_file.encoded("cp949"), default_retention_days=30)
    # Before: 7,186 kept, 6,574 rejected. Now every row is a site; the flaws are warnings.
    assert (len(result.records), len(result.errors)) == (13_760, 0)
    assert result.rows_with_warnings == 4_452 + 2_122
    reasons = Counter("retention" if "보관일수" in w.reason else
                      "date" if "gives only the year" in w.reason else w.reason
                      for w in result.warnings)
    assert reasons == {"retention": 4_452, "date": 2_122}
    assert sum(r.camera_count for r in result.records) == issue_file.camera_count


@pytest.mark.parametrize("layout", ["standard", "localdata"])
def test_the_issue_files_next_release_names_the_same_sites(issue_file, layout) -> None:
    """One row removed and the rest renumbered: every key still names its own site (keys made
    from 번호 named another site for every row after the removed one)."""
    following, _ = next_release(issue_file, moved=0, retention_changes=0)
    numbered = sum(1 for before, after in zip(issue_file.sites, following.sites, strict=False)
                   if before != after)
    assert numbered > 13_760 // 2  # what 번호 would have scrambled

    def sites(register_) -> dict[str, tuple[str, float, float, int]]:
        records = parse_camera_csv(register_.encoded("cp949", layout)).records
        return {r.site_key: (r.address, r.lat, r.lon, r.camera_count) for r in records}

    before, after = sites(issue_file), sites(following)
    assert len(after) == len(before) - 1 and after.keys() < before.keys()
    assert [key for key, site in after.items() if before[key] != site] == []
