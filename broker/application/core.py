"""The application: one method per use case, the only place where domain, stores and clock meet."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from functools import cached_property
from typing import Any, Literal, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import RecordConflictError as RecordConflict

from broker.adapters.locks import WriteLock, no_write_lock
from broker.adapters.vault.clipvault import ClipVault
from broker.adapters.vault.personal_data import PersonalData, subject_key_id
from broker.clock import Clock
from broker.domain import apikeys
from broker.domain.audit import AuditAccess
from broker.domain.camera import Camera, CameraSpec, camera_id_for
from broker.domain.client import Client
from broker.domain.clip import Clip, check_window, clip_id_for_idempotency_key
from broker.domain.errors import DomainConflict
from broker.domain.hold import Hold
from broker.domain.request import FootageRequest
from broker.domain.retention import PurgeItem
from broker.errors import Conflict, Forbidden, InvalidInput, NotFound
from broker.policy import (
    CameraSite,
    Decision,
    EvaluationRequest,
    PolicyPack,
    Reason,
    Scope,
    approve_review,
    deny_review,
    evaluate,
)

UpsertOutcome = Literal["created", "updated", "unchanged"]
SitesNear = Callable[[float, float, float], Sequence[CameraSite]]
"""Cameras whose coverage reaches within a radius of a point (the read model's spatial index)."""
A = TypeVar("A")
SAVE_ATTEMPTS = 5


PERSONAL_CONTEXT = "FootageRequest.personal"


def request_details(request: EvaluationRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    """The request as the v1 API spells it, split in two: what may stand in the event in the
    clear, and personal data (caller location, free text about persons, identity references)
    that is sealed under the subject's key."""
    location = request.incident_location
    public: dict[str, Any] = {
        "legal_basis": request.legal_basis,
        "mode": request.mode,
        "incident": {
            "reference": request.incident_reference,
            "kind": request.incident_kind,
            "occurred_at": request.occurred_at.isoformat() if request.occurred_at else None,
        },
        "radius_m": request.radius_m,
        "window": {"start": request.window.start.isoformat(),
                   "end": request.window.end.isoformat()},
    }
    personal: dict[str, Any] = {
        "incident_location": {"lat": location.lat, "lon": location.lon} if location else None,
        "purpose": request.purpose,
    }
    for optional in ("claim_reference", "identity_proof", "consent_reference"):
        value = getattr(request, optional)
        if value is not None:
            personal[optional] = value
    return public, personal


def narrow_scope(decision: Decision, narrower: Scope) -> Decision:
    """The decision with a reviewer's narrower scope; InvalidInput if it reaches outside."""
    allowed = decision.scope
    cameras = narrower.camera_ids or allowed.camera_ids
    if not set(cameras) <= set(allowed.camera_ids):
        raise InvalidInput("a review may only narrow the scope: unknown camera in scope")
    window = narrower.window or allowed.window
    if allowed.window is None or window is None or not (
            allowed.window.start <= window.start < window.end <= allowed.window.end):
        raise InvalidInput("a review may only narrow the scope: window outside the decision's")
    kept = tuple(camera for camera in allowed.camera_ids if camera in set(cameras))
    note = Reason(rule="review_scope", passed=True,
                  message=f"reviewer narrowed the scope to {len(kept)} camera(s) and "
                          f"{window.start.isoformat()} to {window.end.isoformat()}")
    return decision.model_copy(update={"scope": Scope(camera_ids=kept, window=window),
                                       "reasons": (*decision.reasons, note)})


class BrokerApp(Application[UUID]):
    """Event-sourced core; persistence (SQLite or PostgreSQL) is chosen by the env given."""

    name = "FootageBroker"

    def __init__(
        self,
        env: Mapping[str, str],
        clock: Clock,
        policy: PolicyPack | None = None,
        sites_near: SitesNear | None = None,
        vault: ClipVault | None = None,
        max_clip_bytes: int = 4 * 1024**3,
        write_lock: WriteLock = no_write_lock,
    ) -> None:
        super().__init__(env)
        self._write_lock = write_lock
        self.clock = clock
        self._policy = policy
        self._sites_near = sites_near
        self._vault = vault
        self.max_clip_bytes = max_clip_bytes

    def _record(self, processing_event: Any) -> Any:
        """Every write to the event store passes here: queue writers instead of busy-polling."""
        with self._write_lock():
            return super()._record(processing_event)

    @cached_property
    def personal_data(self) -> PersonalData:
        return PersonalData(self.vault.keystore)

    @property
    def vault(self) -> ClipVault:
        if self._vault is None:
            raise RuntimeError("BrokerApp was built without a vault")
        return self._vault

    @property
    def policy(self) -> PolicyPack:
        if self._policy is None:
            raise RuntimeError("BrokerApp was built without a policy pack")
        return self._policy

    # cameras ------------------------------------------------------------------------------

    def register_camera(self, spec: CameraSpec) -> UUID:
        camera_id = camera_id_for(spec.key)
        if self._exists(camera_id):
            raise Conflict(f"a camera with key {spec.key!r} is already registered as {camera_id}")
        camera = Camera.register(spec, at=self.clock.now())
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
            camera = touched.get(camera_id) or self._get_or_none(camera_id, Camera)
            if camera is None:
                camera = Camera.register(spec, at=now)
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
        return self._get(camera_id, Camera, "camera")

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
        client = self._get(client_id, Client, "client")
        client.revoke(reason, at=self.clock.now())
        self.save(client)

    # clips --------------------------------------------------------------------------------

    def ingest_clip(self, *, camera_id: UUID, start: datetime, end: datetime,
                    chunks: Iterable[bytes], ingested_by: str,
                    idempotency_key: str | None = None) -> tuple[Clip, bool]:
        """Encrypt a clip into the vault and record ``Clip.Ingested``; (clip, replayed).

        Everything is checked before the first byte is read. A retry with the same
        Idempotency-Key returns the clip that landed, without storing the body again. If the
        event cannot be recorded, the stored ciphertext and its key are destroyed.
        """
        now = self.clock.now()
        camera = self._get_or_none(camera_id, Camera)
        if camera is None:
            raise InvalidInput(f"unknown camera {camera_id}")
        if not camera.is_active:
            raise Conflict(f"camera {camera_id} is decommissioned")
        check_window(start, end, now)
        if idempotency_key is not None:
            clip_id = clip_id_for_idempotency_key(ingested_by, idempotency_key)
            landed = self._get_or_none(clip_id, Clip)
            if landed is not None:
                return landed, True
        else:
            clip_id = uuid4()
        stored = self.vault.store(str(clip_id), chunks, self.max_clip_bytes)
        clip = Clip(id=clip_id, camera_id=str(camera_id), start=start, end=end, size=stored.size,
                    sha256=stored.sha256, key_id=stored.key_id, blob_id=stored.blob_id,
                    ingested_by=ingested_by, at=self.clock.now())
        try:
            self.save(clip)
        except RecordConflict:
            # A concurrent retry with the same Idempotency-Key won the race: keep its copy.
            self.vault.destroy(stored.key_id, stored.blob_id)
            return self._get(clip_id, Clip, "clip"), True
        except BaseException:
            self.vault.destroy(stored.key_id, stored.blob_id)
            raise
        return clip, False

    def get_clip(self, clip_id: UUID) -> Clip:
        return self._get(clip_id, Clip, "clip")

    def purge_clips(self, items: Sequence[PurgeItem]) -> int:
        """Destroy the footage, then record ``Clip.Purged``; returns how many this call recorded.

        Order matters for crash safety: key shredded (unreadable at once), blob deleted, event
        recorded. Killed anywhere, the clip is still "available" in the log, so the next run
        repeats the idempotent steps and records the event. Another worker purging the same
        clips concurrently loses nothing: each clip gets exactly one ``Purged`` (version check).
        """
        now = self.clock.now()
        reasons = {item.clip_id: item.reason for item in items}
        clips = [clip for clip in (self._get_or_none(UUID(item.clip_id), Clip) for item in items)
                 if clip is not None and not clip.is_purged]
        if not clips:
            return 0
        self.vault.destroy_many([(clip.key_id, clip.blob_id) for clip in clips])
        for clip in clips:
            clip.purge(reasons[str(clip.id)], at=now)
        try:
            self.save(*clips)
            return len(clips)
        except RecordConflict:
            pass  # someone else recorded some of them: settle clip by clip
        recorded = 0
        for clip in clips:
            fresh = self._get(clip.id, Clip, "clip")
            if fresh.is_purged:
                continue
            fresh.purge(reasons[str(clip.id)], at=now)
            try:
                self.save(fresh)
                recorded += 1
            except RecordConflict:
                continue
        return recorded

    # footage requests ---------------------------------------------------------------------

    def submit_footage_request(self, request: EvaluationRequest) -> FootageRequest:
        """Record the request, evaluate it against the active pack, record the decision.

        Submission and decision are saved together: there is never a request without its
        decision, nor a decision without the request it judged.
        """
        footage_request = self._judged_request(request, {})
        self.save(footage_request)
        return footage_request

    def file_citizen_request(self, request: EvaluationRequest, *, name: str, contact: str,
                             description: str | None) -> tuple[FootageRequest, str]:
        """A data subject's own request through the citizen portal: the same lifecycle, plus
        sealed identity and contact, and a per-request access token (returned once)."""
        personal = {"requester_name": name, "requester_contact": contact,
                    "description": description}
        footage_request = self._judged_request(request, personal)
        token = apikeys.new_secret()
        footage_request.issue_access_token(apikeys.hash_secret(token), at=self.clock.now())
        self.save(footage_request)
        return footage_request, token

    def _judged_request(self, request: EvaluationRequest,
                        extra_personal: dict[str, Any]) -> FootageRequest:
        now = self.clock.now()
        request_id = uuid4()
        public, personal = request_details(request)
        key_id = subject_key_id("footage_request", request_id)
        footage_request = FootageRequest(
            id=request_id, requester=request.requester.model_dump(mode="json"), details=public,
            sealed_personal_data=self.personal_data.seal(key_id, {**personal, **extra_personal},
                                                         PERSONAL_CONTEXT),
            subject_key_id=key_id, at=now,
        )
        sites: Sequence[CameraSite] = ()
        if request.incident_location is not None and self._sites_near is not None:
            sites = self._sites_near(request.incident_location.lat, request.incident_location.lon,
                                     request.radius_m)
        decision = evaluate(request, self.policy, sites, now,
                            decision_id=f"dec_{footage_request.id.hex}")
        footage_request.decide(decision.model_dump(mode="json"), at=now)
        return footage_request

    def record_delivery(self, request_id: UUID, delivery_id: str, clip_ids: list[str],
                        manifest_sha256: str, masked: bool, client_id: str) -> None:
        self._use_grant(request_id, lambda r: r.record_delivery(
            delivery_id, clip_ids, manifest_sha256, masked, client_id, at=self.clock.now()))

    def withdraw_request(self, request_id: UUID) -> FootageRequest:
        return self._update(request_id, FootageRequest, "request",
                            lambda r: r.withdraw(at=self.clock.now()))

    def erase_personal_data(self, request_id: UUID) -> bool:
        """Shred the subject key, then record the erasure; idempotent and crash-safe."""
        def erase(footage_request: FootageRequest) -> bool:
            key_id = footage_request.subject_key_id
            if key_id is None or footage_request.personal_data_erased_at:
                return False
            self.personal_data.erase(key_id)
            footage_request.erase_personal_data(at=self.clock.now())
            return True

        return self._sweep_once(request_id, erase)

    def get_footage_request(self, request_id: UUID) -> FootageRequest:
        return self._get(request_id, FootageRequest, "request")

    def review_footage_request(self, request_id: UUID, reviewer_client_id: str, approve: bool,
                               reason: str, narrower: Scope | None = None) -> FootageRequest:
        """A privacy officer settles a pending request; the pure review rules decide the grant.

        An approval may narrow the scope (fewer cameras, a shorter window), never widen it.
        """

        def settle(footage_request: FootageRequest) -> None:
            if footage_request.decision is None:
                raise Conflict(f"request {request_id} has no decision to review")
            pending = Decision.model_validate(footage_request.decision)
            now = self.clock.now()
            if approve:
                settled = approve_review(pending, self.policy, now, reviewer_client_id, reason)
                if narrower is not None:
                    settled = narrow_scope(settled, narrower)
            else:
                settled = deny_review(pending, now, reviewer_client_id, reason)
            footage_request.review(settled.model_dump(mode="json"), reviewer_client_id, approve,
                                   reason, at=now)

        return self._update(request_id, FootageRequest, "request", settle)

    def close_footage_request(self, request_id: UUID, by_client_id: str, reason: str,
                              hold_ids: Sequence[UUID]) -> FootageRequest:
        """Investigative use has ended: the grant ends and the case's holds are released, atomically."""
        footage_request = self.get_footage_request(request_id)
        if footage_request.client_id != by_client_id:
            raise NotFound(f"no request {request_id}")
        now = self.clock.now()
        footage_request.close(by_client_id, reason, at=now)
        released = []
        for hold_id in hold_ids:
            hold = self._get(hold_id, Hold, "hold")
            if hold.is_active:
                hold.release(by_client_id, f"request {request_id} closed: {reason}", at=now)
                released.append(hold)
        self.save(footage_request, *released)
        return footage_request

    def usable_grant(self, request_id: UUID) -> dict[str, Any]:
        """The grant of a request, if it may be used now; 403 (expired, revoked, closed) if not."""
        footage_request = self.get_footage_request(request_id)
        try:
            return footage_request.require_usable_grant(self.clock.now())
        except DomainConflict as exc:
            raise Forbidden(exc.detail) from None

    def record_view(self, request_id: UUID, clip_id: str, byte_range: str | None,
                    client_id: str) -> None:
        """Recorded before the first byte leaves: there is no unrecorded view."""
        self._use_grant(request_id, lambda r: r.record_view(clip_id, byte_range, client_id,
                                                            at=self.clock.now()))

    def record_export(self, request_id: UUID, export_id: str, clip_ids: list[str],
                      manifest_sha256: str, client_id: str) -> None:
        self._use_grant(request_id, lambda r: r.record_export(export_id, clip_ids, manifest_sha256,
                                                              client_id, at=self.clock.now()))

    def _use_grant(self, request_id: UUID, use: Callable[[FootageRequest], None]) -> None:
        try:
            self._update(request_id, FootageRequest, "request", use)
        except DomainConflict as exc:
            raise Forbidden(exc.detail) from None

    def expire_grant(self, request_id: UUID) -> bool:
        """Record ``Expired`` if the grant's lifetime has passed; False if nothing to do."""
        return self._sweep_once(request_id, lambda r: r.expire(self.clock.now()))

    def flag_overdue_review(self, request_id: UUID) -> bool:
        return self._sweep_once(request_id, lambda r: r.flag_overdue(self.clock.now()))

    def _sweep_once(self, request_id: UUID, change: Callable[[FootageRequest], bool]) -> bool:
        """One sweep step: record the change if it applies; a concurrent write (another
        worker, a close) wins, and the next sweep looks again."""
        footage_request = self.get_footage_request(request_id)
        if not change(footage_request):
            return False
        try:
            self.save(footage_request)
        except RecordConflict:
            return False
        return True

    # audit --------------------------------------------------------------------------------

    def record_audit_access(self, *, client_id: str, role: str, agency: str, what: str,
                            filters: dict[str, Any]) -> None:
        """Looking at the trail is part of the trail: recorded before the answer is given."""
        self.save(AuditAccess(client_id=client_id, role=role, agency=agency, what=what,
                              filters=filters, at=self.clock.now()))

    # holds --------------------------------------------------------------------------------

    def place_hold(self, *, case_reference: str, camera_ids: list[str], start: datetime,
                   end: datetime, placed_by: str, agency: str, request_id: UUID | None,
                   reason: str) -> Hold:
        if request_id is not None:
            footage_request = self.get_footage_request(request_id)
            if footage_request.client_id != placed_by:
                raise NotFound(f"no request {request_id}")
        for camera_id in camera_ids:
            self.get_camera(UUID(camera_id))
        hold = Hold.place(case_reference=case_reference, camera_ids=camera_ids, start=start,
                          end=end, placed_by=placed_by, agency=agency,
                          request_id=str(request_id) if request_id else None, reason=reason,
                          at=self.clock.now())
        self.save(hold)
        return hold

    def release_hold(self, hold_id: UUID, by_client_id: str, reason: str,
                     may_release_any: bool) -> Hold:
        hold = self._get(hold_id, Hold, "hold")
        if hold.placed_by != by_client_id and not may_release_any:
            raise Forbidden("only the client that placed a hold, or a privacy officer, may release it")
        hold.release(by_client_id, reason, at=self.clock.now())
        self.save(hold)
        return hold

    # helpers ------------------------------------------------------------------------------

    def _get(self, aggregate_id: UUID, kind: type[A], noun: str) -> A:
        try:
            aggregate: object = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(f"no {noun} {aggregate_id}") from None
        if not isinstance(aggregate, kind):
            raise NotFound(f"no {noun} {aggregate_id}")
        return aggregate

    def _get_or_none(self, aggregate_id: UUID, kind: type[A]) -> A | None:
        try:
            aggregate: object = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return aggregate if isinstance(aggregate, kind) else None

    def _update(self, aggregate_id: UUID, kind: type[A], noun: str,
                mutate: Callable[[A], None]) -> A:
        """Load, change, save; on a concurrent write (version conflict) reload and try again."""
        for attempt in range(SAVE_ATTEMPTS):
            aggregate = self._get(aggregate_id, kind, noun)
            mutate(aggregate)
            try:
                self.save(aggregate)  # type: ignore[arg-type]
            except RecordConflict:
                if attempt == SAVE_ATTEMPTS - 1:
                    raise Conflict(f"{noun} {aggregate_id} is busy; try again") from None
                continue
            return aggregate
        raise AssertionError("unreachable")

    def _exists(self, aggregate_id: UUID) -> bool:
        return bool(self.recorder.select_events(aggregate_id, limit=1))
