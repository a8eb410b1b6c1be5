"""Camera registers shaped like the real public files, made on the spot (no file is shipped).

A metropolitan city's CCTV standard-data file has a dozen agencies, thousands of rows, and the
flaws the portal really publishes: 보관일수 of 0 or blank, 설치연월 that is a year and a dash
(``2017-  ``), a bare year or empty, road addresses missing (lot address only), several rows at
one geocoded point (a school gate with a crime-prevention and a child-protection pole), rows
with no usable position at all, and 번호 as a running row number. ``next_release`` makes the
following release of the same file: one row removed and the rest renumbered, a few sites moved
by a few metres, a few retention changes.

Used by the importer tests (with counts asserted) and by ``bench/cameras_import.py``.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Final, Literal

Layout = Literal["standard", "localdata", "english"]

AGENCIES = (
    ("서울특별시 종로구청", "3000000", "02-2148-3033", (37.5730, 126.9794)),
    ("서울특별시 중구청", "3010000", "02-3396-4114", (37.5638, 126.9975)),
    ("서울특별시 용산구청", "3020000", "02-2199-6114", (37.5324, 126.9900)),
    ("서울특별시 성동구청", "3030000", "02-2286-5114", (37.5633, 127.0371)),
    ("서울특별시 광진구청", "3040000", "02-450-1114", (37.5385, 127.0823)),
    ("서울특별시 동대문구청", "3050000", "02-2127-4114", (37.5744, 127.0396)),
    ("서울특별시 중랑구청", "3060000", "02-2094-0114", (37.6066, 127.0927)),
    ("서울특별시 성북구청", "3070000", "02-2241-3114", (37.5894, 127.0167)),
    ("서울특별시 강북구청", "3080000", "02-901-6114", (37.6396, 127.0257)),
    ("서울특별시 도봉구청", "3090000", "02-2091-2114", (37.6688, 127.0471)),
    ("서울특별시 노원구청", "3100000", "02-2116-3114", (37.6542, 127.0568)),
)
PURPOSES = ("생활방범", "생활방범", "생활방범", "어린이보호", "교통단속", "쓰레기단속",
            "시설물관리", "재난재해", "교통정보수집", "기타")
ROADS = ("종로", "북촌로", "세종대로", "을지로", "퇴계로", "한강대로", "왕십리로", "능동로",
         "왕산로", "망우로", "보문로", "도봉로", "동일로", "노원로", "삼양로", "창경궁로")
DIRECTIONS = ("360도 전방면", "고정형", "북측", "남측 교차로", "골목 진입부", "정문", "")

STANDARD_HEADER = (
    "번호", "관리기관명", "소재지도로명주소", "소재지지번주소", "설치목적구분", "카메라대수",
    "카메라화소수", "촬영방면정보", "보관일수", "설치연월", "관리기관전화번호", "위도", "경도",
    "데이터기준일자", "제공기관코드", "제공기관명",
)
LOCALDATA_HEADER = (
    "개방자치단체코드", "관리번호", "관리기관명", "소재지도로명주소", "소재지지번주소",
    "설치목적구분", "카메라대수", "카메라화소수", "촬영방면정보", "보관일수", "설치연월",
    "관리기관전화번호", "WGS84위도", "WGS84경도", "데이터기준일자", "데이터갱신구분",
    "데이터갱신시점", "최종수정시점",
)
ENGLISH_HEADER = (
    "key", "name", "agency", "address", "lot_address", "purpose", "camera_count", "pixels",
    "direction", "retention_days", "installed", "phone", "lat", "lon", "data_date",
)


@dataclass(frozen=True)
class Site:
    """One row of the register, before it is written in some layout."""

    agency: str
    agency_code: str
    phone: str
    management_number: str
    road_address: str
    lot_address: str
    purpose: str
    cameras: int
    pixels: str
    direction: str
    retention: str
    installed: str
    lat: str
    lon: str
    kind: str = "good"
    """good | retention_zero | retention_blank | partial_date | year_only | no_date |
    no_position | zero_position | bad_position | colocated"""


@dataclass
class Register:
    """A generated file and what an importer must make of it."""

    sites: list[Site]
    data_date: str = "2024-06-30"
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def usable(self) -> list[Site]:
        return [s for s in self.sites if s.kind not in ("no_position", "zero_position", "bad_position")]

    @property
    def rejected(self) -> int:
        return len(self.sites) - len(self.usable)

    @property
    def with_warnings(self) -> int:
        """Rows an importer must keep but warn about (optional columns wrong or missing)."""
        return sum(1 for s in self.usable if s.kind in WARNED)

    @property
    def camera_count(self) -> int:
        return sum(s.cameras for s in self.usable)

    def text(self, layout: Layout = "standard") -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        if layout == "standard":
            writer.writerow(STANDARD_HEADER)
            for number, s in enumerate(self.sites, start=1):
                writer.writerow([
                    number, s.agency, s.road_address, s.lot_address, s.purpose, s.cameras,
                    s.pixels, s.direction, s.retention, s.installed, s.phone, s.lat, s.lon,
                    self.data_date, s.agency_code, s.agency,
                ])
        elif layout == "localdata":
            writer.writerow(LOCALDATA_HEADER)
            for s in self.sites:
                writer.writerow([
                    s.agency_code, s.management_number, s.agency, s.road_address, s.lot_address,
                    s.purpose, s.cameras, s.pixels, s.direction, s.retention,
                    s.installed.replace("-", ""), s.phone, s.lat, s.lon, self.data_date, "I",
                    f"{self.data_date} 22:58:23", f"{self.data_date} 15:24:18",
                ])
        else:
            writer.writerow(ENGLISH_HEADER)
            for s in self.sites:
                writer.writerow([
                    "", "", s.agency, s.road_address, s.lot_address, s.purpose, s.cameras,
                    s.pixels, s.direction, s.retention, s.installed, s.phone, s.lat, s.lon,
                    self.data_date,
                ])
        return out.getvalue()

    def encoded(self, encoding: str = "cp949", layout: Layout = "standard") -> bytes:
        return self.text(layout).encode(encoding)


WARNED = frozenset({"retention_zero", "retention_blank", "partial_date", "year_only"})
KINDS = ("good", "retention_zero", "partial_date", "year_only", "retention_blank", "no_date",
         "no_position", "zero_position", "bad_position", "colocated")
_ROLL: Final = {"retention_zero": 0.0, "partial_date": 0.4, "year_only": 0.48,
                "retention_blank": 0.5, "no_date": 0.55, "no_position": 0.562,
                "zero_position": 0.567, "bad_position": 0.571, "good": 0.99}
"""A roll that gives each kind, for registers made to exact counts."""


def _position(rng: random.Random, centre: tuple[float, float]) -> tuple[str, str]:
    lat = centre[0] + rng.gauss(0, 0.012)
    lon = centre[1] + rng.gauss(0, 0.015)
    return f"{lat:.7f}", f"{lon:.7f}"


ISSUE_FILE: Final = {"rows": 13_760, "retention_zero": 4_452, "partial_date": 2_122}
"""The real file of issue #15: 13,760 rows of 11 agencies, 4,452 with 보관일수 0 and 2,122 with
설치연월 a year, a dash and spaces; every row had a position (7,186 + 6,574 = 13,760)."""


def register(rows: int = 2_000, *, seed: int = 15, flaws: Mapping[str, int] | None = None,
             colocated: float = 0.05) -> Register:
    """A register of ``rows`` rows with the real files' proportions of flaws (13,760 rows had
    4,452 retention 0 and 2,122 dash-and-spaces dates: about 32 % and 15 %); or, with
    ``flaws`` (kind -> rows), exactly that many rows of each kind, the others good, a share
    ``colocated`` of good rows followed by a second pole at their point."""
    rng = random.Random(seed)
    plan: list[str] | None = None
    if flaws is not None:
        plan = [kind for kind, count in flaws.items() for _ in range(count)]
        if len(plan) > rows or not set(flaws) <= set(KINDS) - {"good", "colocated"}:
            raise ValueError(f"flaws {dict(flaws)} do not fit {rows} rows of kinds {KINDS}")
        plan += ["good"] * (rows - len(plan))
        rng.shuffle(plan)
    sites: list[Site] = []
    serial = 800_000
    while len(sites) < rows:
        # Portal files list one agency's rows after another's, as the real file's 11 did.
        agency, code, phone, centre = AGENCIES[len(sites) * len(AGENCIES) // rows]
        serial += 1
        lat, lon = _position(rng, centre)
        road = f"{agency.split()[0]} {agency.split()[1][:-1]} {rng.choice(ROADS)} {rng.randint(1, 400)}"
        lot = f"{agency.split()[0]} {agency.split()[1][:-1]} 동 {rng.randint(1, 999)}-{rng.randint(1, 30)}"
        year, month = rng.randint(2008, 2023), rng.randint(1, 12)
        roll = rng.random() if plan is None else _ROLL[plan.pop()]
        kind, retention, installed = "good", "30", f"{year}-{month:02d}"
        if roll < 0.32:
            kind, retention = "retention_zero", "0"
        elif roll < 0.47:
            kind, installed = "partial_date", f"{year}-  "
        elif roll < 0.49:
            kind, installed = "year_only", f"{year}"
        elif roll < 0.52:
            kind, retention = "retention_blank", ""
        elif roll < 0.56:
            kind, installed = "no_date", ""
        elif roll < 0.565:
            kind, lat, lon = "no_position", "", ""
        elif roll < 0.57:
            kind, lat, lon = "zero_position", "0", "0"
        elif roll < 0.572:
            kind, lat = "bad_position", "37.5x"
        site = Site(
            agency=agency, agency_code=code, phone=phone,
            management_number=f"2026{code}{serial:010d}",
            road_address="" if rng.random() < 0.08 else road, lot_address=lot,
            purpose=rng.choice(PURPOSES), cameras=rng.choice((1, 1, 1, 2, 2, 3, 4)),
            pixels=rng.choice(("200", "200", "400", "130", "")), direction=rng.choice(DIRECTIONS),
            retention=retention, installed=installed, lat=lat, lon=lon, kind=kind,
        )
        sites.append(site)
        if (kind == "good" and rng.random() < colocated and len(sites) < rows
                and (plan is None or "good" in plan)):
            if plan is not None:
                plan.remove("good")  # the second pole takes the place of a good row
            # A second pole at the same geocoded point: another purpose, its own number.
            serial += 1
            other = "어린이보호" if site.purpose != "어린이보호" else "생활방범"
            sites.append(replace(site, purpose=other, cameras=1, kind="colocated",
                                 management_number=f"2026{code}{serial:010d}"))
    return Register(sites[:rows])


def next_release(previous: Register, *, seed: int = 16, moved: int = 5,
                 retention_changes: int = 5) -> tuple[Register, dict[str, int]]:
    """The same file one release later: one row removed (so every later 번호 shifts), ``moved``
    usable one-camera sites moved by 1-2 m (inside their fingerprint cell, or not: rounding
    decides), ``retention_changes`` sites with a new retention. Returns the register and what
    was changed, by kind."""
    rng = random.Random(seed)
    sites = list(previous.sites)
    removable = [i for i, s in enumerate(sites) if s.kind == "good"]
    removed_index = removable[len(removable) // 3]
    removed = sites.pop(removed_index)
    candidates = [i for i, s in enumerate(sites) if s.kind == "good" and s.cameras == 1]
    rng.shuffle(candidates)
    moved_at = candidates[:moved]
    for i in moved_at:
        s = sites[i]
        sites[i] = replace(s, lat=f"{float(s.lat) + 0.000012:.7f}", lon=f"{float(s.lon) - 0.000009:.7f}")
    changed_at = candidates[moved:moved + retention_changes]
    for i in changed_at:
        sites[i] = replace(sites[i], retention="60")
    changes = {"removed_cameras": removed.cameras, "moved": moved, "retention_changed": retention_changes}
    return Register(sites, data_date="2024-12-31"), changes
