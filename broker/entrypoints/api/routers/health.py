"""Liveness, readiness and metrics for operators and orchestrators."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlalchemy import text

from broker.entrypoints.api.deps import BrokerDep
from broker.errors import BrokerError

router = APIRouter(tags=["operations"])


class NotReady(BrokerError):
    status = 503
    title = "Service unavailable"


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
def readyz(broker: BrokerDep) -> dict[str, object]:
    checks: dict[str, str] = {}
    try:
        broker.app.recorder.max_notification_id()
        checks["event_store"] = "ok"
    except Exception as exc:
        raise NotReady(f"event store unreachable ({type(exc).__name__})") from None
    try:
        with broker.readmodel.reader.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["read_model"] = "ok"
    except Exception as exc:
        raise NotReady(f"read model unreachable ({type(exc).__name__})") from None
    return {"status": "ready", "checks": checks}


@router.get("/metrics")
def metrics(request: Request) -> Response:
    body = request.app.state.metrics.render()
    return Response(body, media_type="text/plain; version=0.0.4")
