"""Legal-basis policy packs: the active one as clients discover it, a draft's check, what a
draft changes (rule by rule) and what it would have decided (a replay of recorded requests)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from broker.application import replay as replays
from broker.application.actors import Actor, allowed
from broker.application.analytics import period
from broker.application.context import UseCases
from broker.domain.roles import OVERSIGHT_ROLES, Role
from broker.errors import InvalidInput
from broker.policy import PolicyPackError, describe, load_pack, pack_from_toml, pack_public_view
from broker.policy.diff import describe_diff


class Policies(UseCases):
    @allowed(*Role)
    def active(self, actor: Actor) -> dict[str, Any]:
        """Basis ids, citations and limits: everything a requester needs to ask lawfully."""
        return pack_public_view(self.ctx.policy)

    @allowed(*OVERSIGHT_ROLES)
    def replay(self, actor: Actor, draft_toml: str, start: datetime | None = None,
               end: datetime | None = None, *, examples: int = 5,
               source: str = "<draft>") -> dict[str, Any]:
        """What a draft pack would have decided: every request recorded in the period (the
        past year by default) judged again by the same evaluator, with its recorded input, at
        the moment it was decided, against the camera registry as it stood then. Counts the
        decisions that would change (granted→denied, denied→granted, review↔auto), by basis
        and by the rules that flipped, with example request ids; requests whose personal data
        was erased are not replayable. Records nothing."""
        try:
            draft = pack_from_toml(draft_toml, source)
        except PolicyPackError as exc:
            raise InvalidInput(f"the draft pack is invalid: {exc.detail}") from None
        start, end = period(self.ctx.clock.now(), start, end)
        if end <= start:
            raise InvalidInput("'to' must be after 'from'")
        self.ctx.consistency.latest()
        return replays.replay(self.ctx, draft, start, end, examples)


def check_pack(path: Path) -> str:
    """Validate a pack file; its digest and bases, or PolicyPackError naming the field."""
    return describe(load_pack(path))


def diff_packs(old: Path, new: Path) -> str:
    """What changes from one pack file to the other, rule by rule."""
    return describe_diff(load_pack(old), load_pack(new))
