"""Checkpoints held elsewhere, read for a verification: a file or a broker's public endpoint.

A file is a checkpoint log (one JSON line per note, as the broker and ``broker witness`` keep
them) or a JSON export (``broker audit export-checkpoints``: ``{"checkpoints": [...]}``). A URL
is a broker's base URL; its public ``/v1/audit/checkpoints`` is read page by page.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from broker.errors import InvalidInput
from broker.merkle import parse_checkpoint_log

TIMEOUT_S = 30.0


def load_notes(source: str) -> list[str]:
    """Every signed note the source holds; InvalidInput (one line) if it holds none or fails."""
    if source.startswith(("http://", "https://")):
        return _from_url(source.rstrip("/"))
    path = Path(source)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"{source}: cannot read ({exc.strerror})") from None
    log = parse_checkpoint_log(data)
    if log.notes and (log.ok or log.torn):
        return list(log.notes)
    try:
        document: Any = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput(f"{source}: neither a checkpoint log nor a JSON export") from None
    notes = document.get("checkpoints", document.get("items")) if isinstance(document, dict) else None
    if not isinstance(notes, list) or not all(isinstance(note, str) for note in notes):
        raise InvalidInput(f"{source}: a JSON export lists its notes under \"checkpoints\"")
    return notes


def fetch_json(url: str, params: dict[str, Any] | None = None) -> Any:
    try:
        response = httpx.get(url, params=params, timeout=TIMEOUT_S)
    except httpx.HTTPError as exc:
        raise InvalidInput(f"{url}: {type(exc).__name__}") from None
    if response.status_code != 200:
        raise InvalidInput(f"{url}: answered {response.status_code}")
    return response.json()


def fetch_text(url: str) -> str:
    try:
        response = httpx.get(url, timeout=TIMEOUT_S)
    except httpx.HTTPError as exc:
        raise InvalidInput(f"{url}: {type(exc).__name__}") from None
    if response.status_code != 200:
        raise InvalidInput(f"{url}: answered {response.status_code}")
    return response.text


def _from_url(base: str) -> list[str]:
    notes: list[str] = []
    cursor: str | None = None
    while True:
        page = fetch_json(f"{base}/v1/audit/checkpoints",
                          {"limit": 10_000, **({"cursor": cursor} if cursor else {})})
        notes.extend(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            return notes
