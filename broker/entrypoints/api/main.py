"""The ASGI application factory: one ``/v1`` API, operations endpoints, offline docs."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from anyio import CapacityLimiter
from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi_offline import FastAPIOffline

from broker import __version__
from broker.bootstrap import Broker
from broker.entrypoints import web
from broker.entrypoints.api import metrics, problems
from broker.entrypoints.api.edge import BodyLimit, ClientDisconnects
from broker.entrypoints.api.routers import (
    analytics,
    audit,
    cameras,
    citizens,
    clips,
    grants,
    health,
    holds,
    keys,
    live,
    policy,
    redactions,
    reports,
    requests,
    reviews,
)

DESCRIPTION = """\
An event-sourced, privacy-compliant broker between a city's public CCTV cameras and the police,
fire and disaster systems, citizens and privacy officers who ask for their footage.

Authenticate with `Authorization: Bearer <api key>` (`broker clients add`). Every error is an
RFC 9457 problem (`application/problem+json`). Times are RFC 3339; lists answer
`{"items": [...], "next_cursor": ...}`.
"""


def v1_router() -> APIRouter:
    v1 = APIRouter(prefix="/v1")
    for resource in (cameras, clips, requests, holds, grants, live, reviews, citizens, redactions,
                     audit, reports, analytics, policy, keys):
        v1.include_router(resource.router)
    return v1


def create_app(broker: Broker, *, close_on_shutdown: bool = False,
               run_scheduler: bool = False) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        scheduler = None
        if run_scheduler:
            from broker.entrypoints.jobs import build_scheduler

            scheduler = build_scheduler(broker)
            scheduler.start()
        yield
        if scheduler is not None:
            scheduler.shutdown(wait=True)
        if close_on_shutdown:
            broker.close()

    app = FastAPIOffline(title="footage-broker", version=__version__, description=DESCRIPTION,
                         lifespan=lifespan, static_url="/docs/static", redoc_url=None)
    app.state.broker = broker
    app.state.metrics = metrics.RequestMetrics()
    app.state.stream_slots = CapacityLimiter(broker.settings.max_stream_threads)
    problems.install(app)
    app.add_middleware(BodyLimit, limits=lambda: {
        ("POST", "/v1/clips"): broker.settings.max_clip_bytes,
        ("POST", "/v1/cameras/import"): cameras.MAX_IMPORT_BYTES,
        ("POST", web.IMPORT_PATH): cameras.MAX_IMPORT_BYTES + 64 * 1024})
    app.add_middleware(ClientDisconnects)
    app.add_middleware(metrics.Measure, metrics=app.state.metrics)
    app.include_router(health.router)
    app.include_router(v1_router())
    web.mount(app, broker)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, with problem bodies under their own media type."""
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version, description=app.description,
                             routes=app.routes)
        for path in schema["paths"].values():
            for operation in path.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if status[0] in "45" and content:
                        response["content"] = {problems.MEDIA_TYPE: next(iter(content.values()))}
        app.openapi_schema = schema
    return app.openapi_schema


def app_from_environment() -> FastAPI:
    """``uvicorn --factory broker.entrypoints.api.main:app_from_environment``: settings from BROKER_*."""
    from broker.bootstrap import build
    from broker.config import load_settings

    os.umask(0o077)
    settings = load_settings()
    return create_app(build(settings), close_on_shutdown=True,
                      run_scheduler=settings.scheduler_enabled)
