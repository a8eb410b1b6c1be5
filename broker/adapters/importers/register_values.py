"""The values of a camera register's cells: numbers, dates as the portal files write them,
purposes, addresses as the site fingerprint compares them."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Final

from broker.adapters.importers.register_layout import normalize_header

DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
SIGNED_INTEGER = re.compile(r"[+-]?[0-9]+")
"""ASCII digits only: ``int()`` would also take ``٣٦``, ``3_6`` and surrounding spaces."""
MAX_PIXELS: Final = 9_999_999
PIXELS = re.compile(r"([0-9]{1,7})\s*(?:만)?\s*(?:화소)?")
_COMPACT_DATE = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})?")
_SEPARATED_DATE = re.compile(
    r"([0-9]{4})\s*[-./년]\s*([0-9]{1,2})\s*월?"
    r"(?:\s*[-./]?\s*([0-9]{1,2})\s*일?)?\.?"
    r"(?:\s+[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?)?"
)
_YEAR_ONLY = re.compile(r"([0-9]{4})\s*(?:년|[-./]\s*)?")
_FULL_DATE = re.compile(
    r"([0-9]{4})\s*[-./]?\s*([0-9]{1,2})\s*[-./]?\s*([0-9]{1,2})\.?"
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
    folded = normalize_header(purpose)
    for needles, category in _PURPOSE_RULES:
        if any(needle in folded for needle in needles):
            return category
    return "other"


def clean(value: str) -> str:
    return unicodedata.normalize("NFC", value.strip())


def fold(value: str) -> str:
    return " ".join(value.split()).casefold()


_PARENTHESISED = re.compile(r"\([^()]*\)")
_NOT_WORD = re.compile(r"[^\w]+|_+")


def normalize_address(address: str) -> str:
    """An address as the fingerprint compares it: NFKC, case-folded, ``(참고항목)`` and
    punctuation dropped, whitespace collapsed; ``계룡로 491, 1층`` = ``계룡로 491 1층``."""
    text = unicodedata.normalize("NFKC", address)
    text = _PARENTHESISED.sub(" ", text)
    return " ".join(_NOT_WORD.sub(" ", text).split()).casefold()


def parse_installed(text: str) -> tuple[str | None, str | None]:
    """(``YYYY-MM``, None) from the shapes portal files use, or (None, why it is unknown)."""
    match = _COMPACT_DATE.fullmatch(text) or _SEPARATED_DATE.fullmatch(text)
    if match is None:
        if _YEAR_ONLY.fullmatch(text) is not None:
            return None, "gives only the year"
        return None, "is not a year-month (YYYY-MM)"
    year, month = int(match[1]), int(match[2])
    day = int(match[3]) if match[3] else 1
    if not 1900 <= year <= 2100:
        return None, "is not a year-month (YYYY-MM)"
    try:
        date(year, month, day)
    except ValueError:
        return None, "is not a year-month (YYYY-MM)"
    return f"{year:04d}-{month:02d}", None


def parse_date(text: str) -> str | None:
    match = _FULL_DATE.fullmatch(text)
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3])).isoformat()
    except ValueError:
        return None
