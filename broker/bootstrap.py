"""The one wiring point: settings (+ a clock) in, a ready ``Broker`` out.

Tests and the CLI call ``build`` with their own settings and clock; nothing else constructs
infrastructure, and nothing is built at import time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from broker.app import BrokerApp
from broker.clock import Clock, SystemClock
from broker.config import Settings
from broker.policy import CameraSite, PolicyPack, load_pack
from broker.readmodel import camera_view, client_view, clip_view, request_view
from broker.readmodel.database import ReadModelDatabase, open_database
from broker.readmodel.migrate import upgrade_to_head
from broker.readmodel.projector import Handler, Projector


@dataclass
class Broker:
    settings: Settings
    clock: Clock
    app: BrokerApp
    policy: PolicyPack
    readmodel: ReadModelDatabase
    projector: Projector
    _closed: bool = field(default=False, repr=False)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.readmodel.dispose()
        self.app.close()


def projection_handlers() -> dict[type, Handler]:
    handlers: dict[type, Handler] = {}
    for view_handlers in (camera_view.HANDLERS, client_view.HANDLERS, clip_view.HANDLERS,
                          request_view.HANDLERS):
        handlers.update(view_handlers)
    return handlers


def build(settings: Settings, clock: Clock | None = None) -> Broker:
    clock = clock or SystemClock()
    policy = load_pack(settings.policy_pack)
    if settings.event_store == "sqlite" or settings.blob_store == "filesystem":
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    readmodel = open_database(settings.resolved_readmodel_url())

    def sites_near(lat: float, lon: float, radius_m: float) -> list[CameraSite]:
        with readmodel.reader.connect() as conn:
            hits = camera_view.cameras_near(conn, lat, lon, radius_m)
        return [CameraSite(camera_id=hit.row["id"], lat=hit.row["lat"], lon=hit.row["lon"],
                           coverage_m=hit.row["coverage_m"], status=hit.row["status"])
                for hit in hits]

    app = BrokerApp(env=settings.eventsourcing_env(), clock=clock, policy=policy,
                    sites_near=sites_near)
    upgrade_to_head(readmodel.writer)
    projector = Projector(app, readmodel, projection_handlers())
    broker = Broker(settings=settings, clock=clock, app=app, policy=policy, readmodel=readmodel,
                    projector=projector)
    projector.catch_up()
    return broker
