"""Korean and English: Babel catalogues (``locales/<lang>/LC_MESSAGES/messages.po``), read at
start, no compile step. Korean is the default under a Korean pack; a cookie switches."""

from __future__ import annotations

from contextvars import ContextVar
from pathlib import Path

from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
LANGUAGES = ("ko", "en")
current: ContextVar[str] = ContextVar("console_language", default="en")


def _load(lang: str) -> dict[str, str]:
    path = LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    return {str(m.id): str(m.string) for m in catalog if m.id and m.string and not m.fuzzy
            and isinstance(m.id, str)}


CATALOGS = {lang: _load(lang) for lang in LANGUAGES}


def gettext(message: str) -> str:
    return CATALOGS.get(current.get(), {}).get(message) or message


def ngettext(singular: str, plural: str, n: int) -> str:
    return gettext(singular if n == 1 else plural)


def default_language(jurisdiction: str) -> str:
    return "ko" if jurisdiction.upper().startswith("KR") else "en"


def choose(cookie: str | None, jurisdiction: str) -> str:
    return cookie if cookie in LANGUAGES else default_language(jurisdiction)
