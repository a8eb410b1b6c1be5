"""Liveness, readiness and metrics for operators and orchestrators (outside ``/v1``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from broker.entrypoints.api.deps import BrokerDep
from broker.entrypoints.api.operations import operation
from broker.entrypoints.api.schemas.common import Message, Public

router = APIRouter(tags=["operations"])


class Readiness(Public):
    status: str
    checks: dict[str, str]


@router.get("/healthz", response_model=Message,
            **operation(None, "Liveness", authenticated=False))
async def healthz() -> Any:
    """Async: liveness never waits for a worker thread, however busy the API is."""
    return {"status": "ok"}


@router.get("/readyz", response_model=Readiness,
            **operation(None, "Readiness: the stores are reachable", 503, authenticated=False))
def readyz(broker: BrokerDep) -> Any:
    return broker.health.ready()


@router.get("/metrics", response_class=Response,
            **operation(None, "Prometheus metrics", authenticated=False,
                        responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                                         "description": "Prometheus text exposition"}}))
def metrics(request: Request) -> Response:
    body, content_type = request.app.state.metrics.render()
    return Response(body, media_type=content_type)
