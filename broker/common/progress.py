"""How long-running work (imports, ingests, purges, verification, key rotation) says how far it
has got, without knowing who listens: the CLI draws a progress bar on a terminal, tests and
pipes get nothing."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def __call__(self, task: str, done: int, total: int | None) -> None:
        """``done`` of ``total`` units of ``task`` (None: not known in advance)."""


def no_progress(task: str, done: int, total: int | None) -> None:
    """Nobody is watching."""
