"""The ASGI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from broker import __version__
from broker.bootstrap import Broker
from broker.entrypoints.api import metrics, problems
from broker.entrypoints.api.routers import (
    audit,
    cameras,
    citizens,
    clips,
    grants,
    health,
    policy,
    requests,
    reviews,
)


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

    app = FastAPI(title="footage-broker", version=__version__, lifespan=lifespan)
    app.state.broker = broker
    app.state.metrics = metrics.RequestMetrics()
    problems.install(app)
    metrics.install(app, app.state.metrics)
    app.include_router(health.router)
    app.include_router(cameras.router)
    app.include_router(clips.router)
    app.include_router(policy.router)
    app.include_router(requests.router)
    app.include_router(reviews.router)
    app.include_router(grants.router)
    app.include_router(audit.router)
    app.include_router(citizens.router)
    return app


def app_from_environment() -> FastAPI:
    """``uvicorn --factory broker.api.main:app_from_environment``: settings from BROKER_*."""
    from broker.bootstrap import build
    from broker.config import load_settings

    settings = load_settings()
    return create_app(build(settings), close_on_shutdown=True,
                      run_scheduler=settings.scheduler_enabled)
