"""The first page a person sees: what waits for them, by role."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from broker.application.actors import Actor, allowed
from broker.application.cameras import Cameras
from broker.application.context import UseCases
from broker.application.oversight import Oversight
from broker.application.reviews import Reviews
from broker.domain.events import JobFailed, type_name
from broker.domain.roles import OVERSIGHT_ROLES, Role
from broker.readmodel.audit_query import AuditFilter, query_events

FAILED_JOBS_WINDOW = timedelta(days=1)


class Dashboard(UseCases):
    @allowed(Role.PRIVACY_OFFICER, Role.AUDITOR, Role.OPERATOR)
    def overview(self, actor: Actor) -> dict[str, Any]:
        """Pending reviews (overdue first in red) for officers; the chain's last checkpoint and
        last verification for oversight; the camera registry's size for operators; for
        everyone, the scheduled jobs that failed in the last day."""
        board: dict[str, Any] = {"reviews": None, "chain": None, "verification": None,
                                 "cameras": None, "failed_jobs": self._failed_jobs()}
        if actor.role is Role.PRIVACY_OFFICER:
            board["reviews"] = Reviews(self.ctx).queue(actor, limit=20)["items"]
        if actor.role in OVERSIGHT_ROLES:
            board["chain"] = Oversight(self.ctx).chain_status(actor, 1)
            board["verification"] = Oversight(self.ctx).last_verification(actor)
        if actor.role is Role.OPERATOR:
            board["cameras"] = Cameras(self.ctx).browse(actor, None, limit=1)["total"]
        return board

    def _failed_jobs(self) -> list[dict[str, Any]]:
        """Scheduled jobs that failed in the last day, newest first (one line per job)."""
        since = self.ctx.clock.now() - FAILED_JOBS_WINDOW
        with self.read() as conn:
            items, _ = query_events(conn, AuditFilter(event_type=type_name(JobFailed), start=since,
                                                      newest_first=True), limit=50)
        latest: dict[str, dict[str, Any]] = {}
        for item in items:
            detail = item.get("detail") or {}
            seen = latest.setdefault(str(detail.get("job")), {
                "job": detail.get("job"), "error": detail.get("error"), "at": item["at"], "times": 0})
            seen["times"] += 1
        return list(latest.values())
