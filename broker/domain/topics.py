"""Stable event topics: stored events name these strings, never a Python module path.

Renaming or moving a class must not orphan the events already written, so every aggregate
and event class declares ``TOPIC`` explicitly (eventsourcing refuses classes that forget).
"""

from __future__ import annotations

PREFIX = "footage-broker"


def topic(name: str) -> str:
    """``Camera.Registered`` -> ``footage-broker:Camera.Registered``."""
    return f"{PREFIX}:{name}"
