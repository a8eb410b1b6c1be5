"""Legal holds: keep some cameras' footage past retention for a case, until released."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import Connection

from broker.application.actors import Actor, allowed
from broker.application.context import UseCases
from broker.application.requests import visible_request
from broker.domain.camera import Camera
from broker.domain.hold import Hold
from broker.domain.roles import Role
from broker.errors import Forbidden, InvalidInput, NotFound
from broker.readmodel import clip_view, request_view

HOLD_KEEPERS = (Role.POLICE, Role.PRIVACY_OFFICER)


class Holds(UseCases):
    @allowed(*HOLD_KEEPERS)
    def place(self, actor: Actor, *, case_reference: str, camera_ids: list[str], start: datetime,
              end: datetime, request_id: UUID | None, reason: str,
              until: datetime | None = None) -> dict[str, Any]:
        """A hold on cameras over a window, for a case and with a reason; bounded three ways.

        The window lies within the cameras' recorded history (from the oldest footage they
        may still have to now); the term lasts at most the pack's ``max_hold_days`` unless a
        privacy officer places it; a request it names must be the placer's own.
        """
        now = self.ctx.clock.now()
        limit = now + timedelta(days=self.ctx.policy.max_hold_days)
        term = until or limit
        if term > limit and not self._oversees(actor):
            raise Forbidden(f"a hold beyond {self.ctx.policy.max_hold_days} days "
                            f"({limit.isoformat()}) needs a privacy officer")
        with self.read() as conn:
            if request_id is not None:
                visible_request(conn, request_id, actor, owner_only=True)
            for camera_id in camera_ids:
                camera = self.ctx.app.load(UUID(camera_id), Camera, "camera")
                oldest = now - timedelta(days=camera.retention_days)
                first = clip_view.earliest_clip_start(conn, camera_id)
                history = min(oldest, first) if first is not None else oldest
                if start < history:
                    raise InvalidInput(f"the window starts before any footage camera {camera_id} "
                                       f"can have ({history.isoformat()})")
        hold = Hold.place(case_reference=case_reference, camera_ids=camera_ids, start=start,
                          end=end, placed_by=actor.client_id, agency=actor.agency,
                          request_id=str(request_id) if request_id else None, reason=reason,
                          until=term, at=now)
        return self._public(actor, hold.id, after=self.ctx.app.record(hold))

    @allowed(*HOLD_KEEPERS)
    def get(self, actor: Actor, hold_id: UUID) -> dict[str, Any]:
        return self._public(actor, hold_id)

    @allowed(*HOLD_KEEPERS)
    def release(self, actor: Actor, hold_id: UUID, reason: str) -> dict[str, Any]:
        """The placer, or any privacy officer, may release a hold."""
        self._public(actor, hold_id)
        hold = self.ctx.app.load(hold_id, Hold, "hold")
        if hold.placed_by != actor.client_id and not self._oversees(actor):
            raise Forbidden("only the client that placed a hold, or a privacy officer, may release it")
        hold.release(actor.client_id, reason, at=self.ctx.clock.now())
        return self._public(actor, hold_id, after=self.ctx.app.record(hold))

    def _public(self, actor: Actor, hold_id: UUID, after: int | None = None) -> dict[str, Any]:
        """The hold if this actor placed it or oversees holds; otherwise it does not exist."""
        def visible_hold(conn: Connection) -> dict[str, Any]:
            row = request_view.get_hold_row(conn, str(hold_id))
            if row is None or (row["placed_by"] != actor.client_id and not self._oversees(actor)):
                raise NotFound(f"no hold {hold_id}")
            return request_view.hold_public(row, request_view.hold_camera_ids(conn, str(hold_id)))

        return self.look_up(visible_hold, after)

    @staticmethod
    def _oversees(actor: Actor) -> bool:
        return actor.is_shell or actor.role is Role.PRIVACY_OFFICER
