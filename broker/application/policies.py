"""Legal-basis policy packs: the active one as clients discover it, and a draft's check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from broker.application.actors import Actor, allowed
from broker.application.context import UseCases
from broker.domain.roles import Role
from broker.policy import describe, load_pack, pack_public_view


class Policies(UseCases):
    @allowed(*Role)
    def active(self, actor: Actor) -> dict[str, Any]:
        """Basis ids, citations and limits: everything a requester needs to ask lawfully."""
        return pack_public_view(self.ctx.policy)


def check_pack(path: Path) -> str:
    """Validate a pack file; its digest and bases, or PolicyPackError naming the field."""
    return describe(load_pack(path))
