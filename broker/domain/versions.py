"""Events that gained a field after some were stored: eventsourcing's upcasting, so that the
events already in the log load as the current class expects (the stored bytes never change:
they are the audit chain's leaves)."""

from __future__ import annotations

from typing import Any


def _by_nobody_known(state: dict[str, Any]) -> None:
    state["by"] = None


def gained_who_acted(*event_classes: Any) -> None:
    """Version 2 of these events says who acted (``by``); version 1 loads with ``by=None``."""
    for event_class in event_classes:
        event_class.class_version = 2
        event_class.upcast_v1_v2 = staticmethod(_by_nobody_known)
