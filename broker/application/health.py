"""Readiness: can the broker reach the stores it needs right now?"""

from __future__ import annotations

from sqlalchemy import text

from broker.application.context import UseCases
from broker.errors import NotReady


class Health(UseCases):
    def ready(self) -> dict[str, object]:
        checks: dict[str, str] = {}
        try:
            self.ctx.app.recorder.max_notification_id()
            checks["event_store"] = "ok"
        except Exception as exc:
            raise NotReady(f"event store unreachable ({type(exc).__name__})") from None
        try:
            with self.ctx.readmodel.reader.connect() as conn:
                conn.execute(text("SELECT 1"))
            checks["read_model"] = "ok"
        except Exception as exc:
            raise NotReady(f"read model unreachable ({type(exc).__name__})") from None
        return {"status": "ready", "checks": checks}
