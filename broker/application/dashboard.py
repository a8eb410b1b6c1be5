"""The first page a person sees: what waits for them, by role."""

from __future__ import annotations

from typing import Any

from broker.application.actors import Actor, allowed
from broker.application.cameras import Cameras
from broker.application.context import UseCases
from broker.application.oversight import Oversight
from broker.application.reviews import Reviews
from broker.domain.roles import OVERSIGHT_ROLES, Role


class Dashboard(UseCases):
    @allowed(Role.PRIVACY_OFFICER, Role.AUDITOR, Role.OPERATOR)
    def overview(self, actor: Actor) -> dict[str, Any]:
        """Pending reviews (overdue first in red) for officers; the chain's last checkpoints for
        oversight; the camera registry's size for operators."""
        board: dict[str, Any] = {"reviews": None, "chain": None, "cameras": None}
        if actor.role is Role.PRIVACY_OFFICER:
            board["reviews"] = Reviews(self.ctx).queue(actor, limit=20)["items"]
        if actor.role in OVERSIGHT_ROLES:
            board["chain"] = Oversight(self.ctx).chain_status(actor, 1)
        if actor.role is Role.OPERATOR:
            board["cameras"] = Cameras(self.ctx).browse(actor, None, limit=1)["total"]
        return board
