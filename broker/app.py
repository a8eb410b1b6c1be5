"""The application: one method per use case, the only place where domain, stores and clock meet."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application

from broker import apikeys
from broker.clock import Clock
from broker.domain.camera import Camera, CameraSpec, camera_id_for
from broker.domain.client import Client
from broker.errors import Conflict, NotFound

UpsertOutcome = Literal["created", "updated", "unchanged"]


class BrokerApp(Application[UUID]):
    """Event-sourced core; persistence (SQLite or PostgreSQL) is chosen by the env given."""

    name = "FootageBroker"

    def __init__(self, env: Mapping[str, str], clock: Clock) -> None:
        super().__init__(env)
        self.clock = clock

    # cameras ------------------------------------------------------------------------------

    def register_camera(self, spec: CameraSpec) -> UUID:
        camera_id = camera_id_for(spec.key)
        if self._exists(camera_id):
            raise Conflict(f"a camera with key {spec.key!r} is already registered as {camera_id}")
        camera = Camera.register(**spec.as_kwargs(), at=self.clock.now())  # type: ignore[arg-type]
        self.save(camera)
        return camera.id

    def upsert_cameras(self, specs: Iterable[CameraSpec]) -> list[tuple[UUID, UpsertOutcome]]:
        """Register new cameras and record moves or retention changes; idempotent per key.

        All changes are saved in one atomic write: an import either lands whole or not at all.
        A key repeated within one batch updates the camera registered earlier in that batch.
        """
        now = self.clock.now()
        touched: dict[UUID, Camera] = {}
        outcomes: list[tuple[UUID, UpsertOutcome]] = []
        for spec in specs:
            camera_id = camera_id_for(spec.key)
            camera = touched.get(camera_id) or self._get_camera_or_none(camera_id)
            if camera is None:
                camera = Camera.register(**spec.as_kwargs(), at=now)  # type: ignore[arg-type]
                touched[camera_id] = camera
                outcomes.append((camera_id, "created"))
                continue
            before = len(camera.pending_events)
            if camera.is_active:
                camera.relocate(spec.lat, spec.lon, spec.coverage_m, at=now)
                camera.change_retention(spec.retention_days, at=now)
            if len(camera.pending_events) > before:
                touched[camera_id] = camera
                outcomes.append((camera_id, "updated"))
            else:
                outcomes.append((camera_id, "unchanged"))
        pending = [camera for camera in touched.values() if camera.pending_events]
        if pending:
            self.save(*pending)
        return outcomes

    def relocate_camera(self, camera_id: UUID, lat: float, lon: float, coverage_m: float) -> None:
        camera = self.get_camera(camera_id)
        camera.relocate(lat, lon, coverage_m, at=self.clock.now())
        self.save(camera)

    def change_camera_retention(self, camera_id: UUID, retention_days: int) -> None:
        camera = self.get_camera(camera_id)
        camera.change_retention(retention_days, at=self.clock.now())
        self.save(camera)

    def decommission_camera(self, camera_id: UUID, reason: str) -> None:
        camera = self.get_camera(camera_id)
        camera.decommission(reason, at=self.clock.now())
        self.save(camera)

    def get_camera(self, camera_id: UUID) -> Camera:
        camera = self._get_camera_or_none(camera_id)
        if camera is None:
            raise NotFound(f"no camera {camera_id}")
        return camera

    # clients ------------------------------------------------------------------------------

    def register_client(self, *, name: str, role: str, agency: str) -> tuple[UUID, str]:
        """Create a client; returns its id and the API key, which is never stored or shown again."""
        secret = apikeys.new_secret()
        client = Client.register(
            name=name, role=role, agency=agency, key_hash=apikeys.hash_secret(secret),
            at=self.clock.now(),
        )
        self.save(client)
        return client.id, apikeys.format_key(client.id, secret)

    def revoke_client(self, client_id: UUID, reason: str) -> None:
        try:
            client: Client = self.repository.get(client_id)
        except AggregateNotFoundError:
            raise NotFound(f"no client {client_id}") from None
        if not isinstance(client, Client):
            raise NotFound(f"no client {client_id}")
        client.revoke(reason, at=self.clock.now())
        self.save(client)

    # helpers ------------------------------------------------------------------------------

    def _exists(self, aggregate_id: UUID) -> bool:
        return bool(self.recorder.select_events(aggregate_id, limit=1))

    def _get_camera_or_none(self, camera_id: UUID) -> Camera | None:
        try:
            aggregate: object = self.repository.get(camera_id)
        except AggregateNotFoundError:
            return None
        return aggregate if isinstance(aggregate, Camera) else None
