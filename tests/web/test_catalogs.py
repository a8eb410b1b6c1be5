"""Every message the console shows has its Korean translation, with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir

from broker.entrypoints.web import i18n

WEB = Path(i18n.__file__).resolve().parent
FIELDS = re.compile(r"\{[a-z_]+\}")


def extracted() -> set[str]:
    method_map = [("templates/**.html", "jinja2"), ("**.py", "python")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    keywords = {"_": None, "gettext": None, "N_": None}
    return {message for _, _, message, *_ in extract_from_dir(
        str(WEB), method_map=method_map, options_map=options, keywords=keywords)
        if isinstance(message, str) and message}


def test_every_message_has_a_korean_translation_with_the_same_placeholders():
    messages = extracted()
    assert len(messages) > 200
    korean = i18n.CATALOGS["ko"]
    missing = sorted(m for m in messages if m not in korean)
    assert not missing, f"untranslated (run make messages, then translate): {missing[:10]}"
    for message in messages:
        assert sorted(FIELDS.findall(korean[message])) == sorted(FIELDS.findall(message)), message


def test_english_is_the_source_and_korean_the_default_under_a_korean_pack():
    assert (WEB / "locales/en/LC_MESSAGES/messages.po").is_file()
    assert i18n.choose(None, "KR") == "ko" and i18n.choose(None, "EU") == "en"
    assert i18n.choose("en", "KR") == "en" and i18n.choose("xx", "KR") == "ko"
    token = i18n.current.set("ko")
    try:
        assert i18n.gettext("Sign in") == "로그인"
    finally:
        i18n.current.reset(token)
    assert i18n.gettext("Sign in") == "Sign in"


def test_the_portals_appeal_routes_are_translated_word_for_word():
    from broker.application.citizens import APPEAL

    korean = i18n.CATALOGS["ko"]
    assert set(APPEAL.values()) <= extracted() and all(text in korean for text in APPEAL.values())
