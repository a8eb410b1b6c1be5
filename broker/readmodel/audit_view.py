"""The audit trail as privacy officers query it, and the Merkle tree that makes it tamper-evident.

Every stored event (in notification order) becomes one ``audit_events`` row and one Merkle
leaf. Leaf bytes are the stored record itself (originator id, version, topic, state), so
``broker audit verify`` can recompute them from the event store alone.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from sqlalchemy import Connection, insert, select, update

from broker.domain import events
from broker.domain.events import type_name
from broker.domain.person import PERSON_PREFIX, actor_id, is_person
from broker.merkle import BuilderState, TreeBuilder, leaf_hash
from broker.readmodel.projection import Position, ReadModelView, ViewProjection
from broker.readmodel.rows import BulkInsert
from broker.readmodel.tables import (
    audit_event_cameras,
    audit_events,
    audit_leaves,
    audit_tree,
    clients,
    clips,
    footage_requests,
    people,
    redactions,
)


def leaf_bytes(originator_id: object, originator_version: int, topic: str, state: bytes) -> bytes:
    """Canonical bytes of one stored event; no field but ``state`` can hold a newline.

    The originator id is written as 32 lower-case hex digits, however the store keeps it
    (SQLite: text, PostgreSQL: uuid).
    """
    canonical = originator_id.hex if isinstance(originator_id, UUID) else (
        str(originator_id).replace("-", "").lower())
    return f"{canonical}\n{originator_version}\n{topic}\n".encode() + bytes(state)


V = TypeVar("V")


class LRU(Generic[V]):
    """A small least-recently-used map: lookups of immutable facts (a clip's camera)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[str, V] = OrderedDict()

    def __contains__(self, key: str) -> bool:
        return key in self._items

    def __getitem__(self, key: str) -> V:
        self._items.move_to_end(key)
        return self._items[key]

    def __setitem__(self, key: str, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        if len(self._items) > self._size:
            self._items.popitem(last=False)


@dataclass
class Facts:
    event_type: str
    aggregate_id: str
    at: datetime
    actor_client_id: str | None = None
    actor_role: str | None = None
    actor_agency: str | None = None
    request_id: str | None = None
    grant_id: str | None = None
    clip_id: str | None = None
    legal_basis: str | None = None
    outcome: str | None = None
    camera_ids: list[str] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)


_INSERT_LEAVES = BulkInsert(audit_leaves, ("position", "notification_id", "leaf_hash"))
_INSERT_EVENTS = BulkInsert(audit_events, (
    "position", "notification_id", "at", "event_type", "aggregate_id", "actor_client_id",
    "actor_role", "actor_agency", "request_id", "grant_id", "clip_id", "legal_basis", "outcome",
    "detail"))
_INSERT_CAMERAS = BulkInsert(audit_event_cameras, ("camera_id", "at", "position"))


class AuditTrail(ViewProjection):
    """Every event, whatever its type: one audit row, its cameras, and one Merkle leaf.

    Rows are held until the end of the batch and written with one ``executemany`` each; the
    tree state is read once per batch (under the position row's lock) and written back with it.
    """

    def __init__(self, view: ReadModelView) -> None:
        super().__init__(view)
        self._rows: list[tuple[Any, ...]] = []
        self._cameras: list[tuple[str, datetime, int]] = []
        self._leaves: list[tuple[int, int, bytes]] = []
        self._tree: TreeBuilder | None = None
        # Bounded: a long-running projector must not grow with the number of clips or requests.
        self._clients: LRU[tuple[str, str]] = LRU(1024)
        self._bases: LRU[str] = LRU(4096)
        self._clip_cameras: LRU[str] = LRU(4096)
        self._redaction_requests: LRU[str] = LRU(1024)

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        assert isinstance(tracking, Position)
        notification = tracking.notification
        if self._tree is None:
            self._tree = _load_tree(self.conn)
        position = self._tree.size
        digest = leaf_hash(leaf_bytes(notification.originator_id, notification.originator_version,
                                      notification.topic, notification.state))
        self._tree.append(digest)
        self._leaves.append((position, notification.id, digest))
        facts = Facts(event_type=type_name(type(domain_event)),
                      aggregate_id=str(domain_event.originator_id),
                      at=getattr(domain_event, "at", None) or domain_event.timestamp)
        self.facts(domain_event, facts)
        if facts.actor_client_id and facts.actor_role is None:
            facts.actor_role, facts.actor_agency = self._client(facts.actor_client_id)
        if facts.request_id and facts.legal_basis is None:
            facts.legal_basis = self._basis(facts.request_id)
        self._rows.append((
            position, notification.id, facts.at, facts.event_type, facts.aggregate_id,
            facts.actor_client_id, facts.actor_role, facts.actor_agency, facts.request_id,
            facts.grant_id, facts.clip_id, facts.legal_basis, facts.outcome,
            json.dumps(facts.detail, ensure_ascii=False, sort_keys=True) if facts.detail else None,
        ))
        self._cameras.extend((camera_id, facts.at, position)
                             for camera_id in dict.fromkeys(facts.camera_ids))

    def flush(self) -> None:
        if self._leaves:
            _INSERT_LEAVES(self.conn, self._leaves)
            _INSERT_EVENTS(self.conn, self._rows)
            _INSERT_CAMERAS(self.conn, self._cameras)
            assert self._tree is not None
            self.conn.execute(update(audit_tree).where(audit_tree.c.id == 1).values(
                size=self._tree.size, state=self._tree.state().to_bytes()))
        self.discard()

    def discard(self) -> None:
        """Forget the batch (after a flush, or after a rollback: the tree is reloaded)."""
        self._rows, self._cameras, self._leaves, self._tree = [], [], [], None

    # facts: what each kind of event says about actor, request, grant, clip and cameras --------

    @singledispatchmethod
    def facts(self, event: Any, facts: Facts) -> None:
        """An event that names no actor, request or camera."""

    @facts.register(events.CameraRegistered)
    @facts.register(events.CameraRelocated)
    @facts.register(events.CameraRetentionChanged)
    @facts.register(events.CameraDecommissioned)
    @facts.register(events.CameraDetailsChanged)
    def _camera(self, event: Any, facts: Facts) -> None:
        facts.actor_client_id = event.by
        facts.camera_ids = [facts.aggregate_id]

    @facts.register(events.CameraImportRecorded)
    def _camera_import(self, event: Any, facts: Facts) -> None:
        facts.actor_client_id = event.by
        facts.detail = {"sha256": event.sha256, "layout": event.layout, "rows": event.rows,
                        **event.counts}

    @facts.register(events.ClientRegistered)
    def _client_registered(self, event: Any, facts: Facts) -> None:
        facts.actor_client_id = event.by
        facts.detail = {"client_id": facts.aggregate_id, "role": event.role, "agency": event.agency,
                        "name": event.name}

    @facts.register(events.ClientRevoked)
    def _client_revoked(self, event: Any, facts: Facts) -> None:
        facts.actor_client_id = event.by
        name = self.conn.execute(select(clients.c.name).where(
            clients.c.id == facts.aggregate_id)).scalar()
        facts.detail = {"client_id": facts.aggregate_id, "name": name, "reason": event.reason}

    @facts.register(events.ClipIngested)
    def _clip_ingested(self, event: Any, facts: Facts) -> None:
        facts.clip_id = facts.aggregate_id
        facts.actor_client_id = event.ingested_by
        facts.camera_ids = [event.camera_id]
        self._clip_cameras[facts.aggregate_id] = event.camera_id

    @facts.register(events.ClipPurged)
    def _clip_purged(self, event: Any, facts: Facts) -> None:
        facts.clip_id = facts.aggregate_id
        facts.camera_ids = [event.camera_id]
        facts.outcome = event.reason

    @facts.register(events.HoldPlaced)
    def _hold_placed(self, event: Any, facts: Facts) -> None:
        facts.request_id = event.request_id
        facts.actor_client_id = event.placed_by
        facts.camera_ids = list(event.camera_ids)
        facts.detail = {"case_reference": event.case_reference}

    @facts.register(events.HoldReleased)
    def _hold_released(self, event: Any, facts: Facts) -> None:
        facts.actor_client_id = event.by

    @facts.register(events.AuditQueried)
    def _audit_queried(self, event: Any, facts: Facts) -> None:
        facts.actor_client_id = event.client_id
        facts.actor_role, facts.actor_agency = event.role, event.agency
        facts.detail = {"what": event.what, "filters": event.filters}

    @facts.register(events.RequestSubmitted)
    def _submitted(self, event: Any, facts: Facts) -> None:
        requester = event.requester
        facts.request_id = facts.aggregate_id
        facts.actor_client_id = requester["client_id"]
        facts.actor_role, facts.actor_agency = requester["role"], requester["agency"]
        facts.legal_basis = event.details["legal_basis"]
        self._bases[facts.request_id] = facts.legal_basis

    @facts.register(events.RequestDecided)
    @facts.register(events.RequestReviewed)
    def _decided(self, event: Any, facts: Facts) -> None:
        facts.request_id = facts.aggregate_id
        facts.outcome = event.decision["outcome"]
        facts.detail = {"decision_id": event.decision["decision_id"],
                        "pack_digest": event.decision["pack_digest"]}
        if hasattr(event, "reviewer"):
            facts.actor_client_id = event.reviewer
            facts.detail.update(approved=event.approved, reason=event.reason)

    @facts.register(events.RequestGranted)
    def _granted(self, event: Any, facts: Facts) -> None:
        facts.request_id = facts.aggregate_id
        facts.grant_id = event.grant_id
        facts.camera_ids = list(event.camera_ids)
        facts.outcome = "granted"
        facts.detail = {"window": event.window, "expires_at": event.expires_at}

    @facts.register(events.RequestDenied)
    def _denied(self, event: Any, facts: Facts) -> None:
        facts.request_id = facts.aggregate_id
        facts.outcome = "denied"

    @facts.register(events.RequestViewed)
    def _viewed(self, event: Any, facts: Facts) -> None:
        facts.request_id = facts.aggregate_id
        facts.actor_client_id = event.client_id
        facts.grant_id = event.grant_id
        facts.clip_id = event.clip_id
        camera = self._camera_of(event.clip_id)
        facts.camera_ids = [camera] if camera else []
        facts.detail = {"byte_range": event.byte_range}

    @facts.register(events.RequestPreviewed)
    def _previewed(self, event: Any, facts: Facts) -> None:
        facts.request_id = facts.aggregate_id
        facts.actor_client_id = event.reviewer
        facts.clip_id = event.clip_id
        camera = self._camera_of(event.clip_id)
        facts.camera_ids = [camera] if camera else []

    @facts.register(events.RequestExported)
    def _exported(self, event: Any, facts: Facts) -> None:
        facts.request_id = facts.aggregate_id
        facts.actor_client_id = event.client_id
        facts.grant_id = event.grant_id
        facts.camera_ids = self._cameras_of(event.clip_ids)
        facts.detail = {"export_id": event.export_id, "clips": len(event.clip_ids),
                        "manifest_sha256": event.manifest_sha256}

    @facts.register(events.RequestDelivered)
    def _delivered(self, event: Any, facts: Facts) -> None:
        facts.request_id = facts.aggregate_id
        facts.actor_client_id = event.client_id
        facts.grant_id = event.grant_id
        facts.camera_ids = self._cameras_of(event.clip_ids)
        facts.outcome = "masked" if event.masked else "unmasked"
        facts.detail = {"delivery_id": event.delivery_id, "clips": len(event.clip_ids)}

    @facts.register(events.RequestClosed)
    @facts.register(events.RequestRevoked)
    def _ended_by(self, event: Any, facts: Facts) -> None:
        facts.request_id = facts.aggregate_id
        facts.actor_client_id = event.by
        facts.outcome = facts.event_type.split(".")[1].lower()

    @facts.register(events.RequestSuperseded)
    def _superseded(self, event: Any, facts: Facts) -> None:
        facts.request_id = facts.aggregate_id
        facts.outcome = "superseded"
        facts.detail = {"superseded_by": event.by_request_id}

    @facts.register(events.RequestExpired)
    @facts.register(events.RequestReviewOverdue)
    @facts.register(events.RequestPersonalDataErased)
    @facts.register(events.RequestWithdrawn)
    def _ended(self, event: Any, facts: Facts) -> None:
        facts.request_id = facts.aggregate_id
        facts.outcome = facts.event_type.split(".")[1].lower()

    @facts.register(events.VaultSwept)
    def _vault_swept(self, event: Any, facts: Facts) -> None:
        facts.outcome = "cleaned"
        facts.detail = {"orphan_keys": len(event.orphan_keys),
                        "orphan_blobs": len(event.orphan_blobs),
                        "stale_uploads": event.stale_uploads}

    @facts.register(events.JobFailed)
    def _job_failed(self, event: Any, facts: Facts) -> None:
        facts.outcome = "failed"
        facts.detail = {"job": event.job, "error": event.error}

    @facts.register(events.ChainVerified)
    def _chain_verified(self, event: Any, facts: Facts) -> None:
        facts.actor_client_id = event.by
        facts.outcome = "passed" if event.ok else "failed"
        facts.detail = {"events_checked": event.events_checked, "tree_size": event.tree_size,
                        "checkpoints_verified": event.checkpoints_verified,
                        "first_bad_position": event.first_bad_position, "reason": event.reason}

    @facts.register(events.RequestAccessTokenIssued)
    def _token_issued(self, event: Any, facts: Facts) -> None:
        facts.request_id = facts.aggregate_id

    @facts.register(events.OverlaysConfigured)
    @facts.register(events.OverlaysReconfigured)
    def _overlays(self, event: Any, facts: Facts) -> None:
        facts.actor_client_id = event.by
        facts.camera_ids = [event.camera_id]
        facts.detail = {"zones": len(event.zones)}

    @facts.register(events.RedactionRequested)
    def _redaction_requested(self, event: Any, facts: Facts) -> None:
        facts.request_id = event.request_id
        facts.grant_id = event.grant_id
        facts.actor_client_id = event.by
        facts.camera_ids = self._cameras_of(list(event.clip_ids))
        facts.outcome = "requested"
        facts.detail = {"clips": len(event.clip_ids), "own_image": event.own_image}

    @facts.register(events.RedactionJobStarted)
    @facts.register(events.RedactionDraftReady)
    @facts.register(events.RedactionFailed)
    @facts.register(events.RedactionRequeued)
    @facts.register(events.RedactionCorrected)
    @facts.register(events.RedactionApproved)
    @facts.register(events.RedactionRendered)
    @facts.register(events.RedactionDownloaded)
    @facts.register(events.RedactionWatched)
    @facts.register(events.RedactionPurged)
    def _redaction(self, event: Any, facts: Facts) -> None:
        """Each step of a redaction: its request, clip, who acted and what came of it."""
        facts.request_id = self._request_of_redaction(facts.aggregate_id)
        clip_id = getattr(event, "clip_id", None)
        if clip_id:
            facts.clip_id = clip_id
            camera = self._camera_of(clip_id)
            facts.camera_ids = [camera] if camera else []
        facts.actor_client_id = getattr(event, "by", None) or getattr(event, "client_id", None)
        kind = facts.event_type.split(".")[1]
        facts.outcome = {"JobStarted": "started", "DraftReady": "drafted", "Failed": "failed",
                         "Requeued": "requeued", "Corrected": "corrected", "Approved": "approved",
                         "Rendered": "rendered", "Downloaded": "downloaded",
                         "Watched": "watched", "Purged": "purged"}[kind]
        if kind == "JobStarted":
            facts.detail = {"attempt": event.attempt, "resumed_from": event.resumed_from,
                            "detector": event.detector}
        elif kind == "DraftReady":
            facts.detail = {"tracks": event.tracks, "frames": event.frames, "sha256": event.sha256,
                            "zone_drops": event.zone_drops}
        elif kind == "Failed":
            facts.detail = {"stage": event.stage, "message": event.message}
        elif kind == "Corrected":
            facts.detail = {"kept": event.keep, "unkept": event.unkeep, "boxes_added": len(event.add),
                            "boxes_removed": len(event.remove), "note": event.note}
        elif kind == "Approved":
            facts.detail = {"note": event.note, "changes": event.changes}
        elif kind == "Rendered":
            facts.detail = {"delivery_id": event.delivery_id, "sha256": event.sha256,
                            "manifest_sha256": event.manifest_sha256, "expires_at": event.expires_at,
                            "max_downloads": event.max_downloads}
        elif kind in ("Downloaded", "Watched"):
            facts.grant_id = event.grant_id
            facts.detail = {"n": event.n, "delivery_id": event.delivery_id}
        elif kind == "Purged":
            facts.detail = {"reason": event.reason, "keys_shredded": len(event.key_ids)}

    @facts.register(events.PersonRegistered)
    def _person_registered(self, event: Any, facts: Facts) -> None:
        facts.actor_client_id = event.by
        facts.detail = {"person": actor_id(facts.aggregate_id), "username": event.username,
                        "display_name": event.display_name, "role": event.role,
                        "agency": event.agency, "source": event.source}

    @facts.register(events.PersonSignedIn)
    def _person_signed_in(self, event: Any, facts: Facts) -> None:
        facts.actor_client_id = actor_id(facts.aggregate_id)
        facts.outcome = "signed_in"
        facts.detail = {"session": event.session_id, "method": event.method}

    @facts.register(events.PersonSignInFailed)
    def _person_failed(self, event: Any, facts: Facts) -> None:
        facts.actor_client_id = actor_id(facts.aggregate_id)
        facts.outcome = "locked" if event.locked_until else "failed"
        facts.detail = {"why": event.why, "failures": event.failures,
                        "locked_until": event.locked_until.isoformat() if event.locked_until else None}

    @facts.register(events.PersonSignedOut)
    def _person_signed_out(self, event: Any, facts: Facts) -> None:
        facts.actor_client_id = actor_id(facts.aggregate_id)
        facts.outcome = "signed_out"
        facts.detail = {"session": event.session_id, "reason": event.reason}

    @facts.register(events.PersonCredentialsChanged)
    @facts.register(events.PersonProfileChanged)
    @facts.register(events.PersonDisabled)
    @facts.register(events.PersonEnabled)
    def _person_changed(self, event: Any, facts: Facts) -> None:
        facts.actor_client_id = event.by
        facts.detail = {"person": actor_id(facts.aggregate_id)}
        for name in ("what", "reason", "role", "agency"):
            if hasattr(event, name):
                facts.detail[name] = getattr(event, name)

    # lookups of immutable facts, cached ------------------------------------------------------

    def _once(self, cache: LRU[Any], key: str, statement: Callable[[], Any]) -> Any:
        """The first row of ``statement()`` (its value, if it has one column), looked up once
        per key; a miss is not kept (the row may be projected later)."""
        if key not in cache:
            row = self.conn.execute(statement()).first()
            if row is None:
                return None
            cache[key] = row[0] if len(row) == 1 else tuple(row)
        return cache[key]

    def _request_of_redaction(self, redaction_id: str) -> str | None:
        return self._once(self._redaction_requests, redaction_id, lambda: select(
            redactions.c.request_id).where(redactions.c.id == redaction_id))

    def _client(self, client_id: str) -> tuple[str | None, str | None]:
        if is_person(client_id):  # a person's role can change: never cached
            row = self.conn.execute(select(people.c.role, people.c.agency).where(
                people.c.id == client_id[len(PERSON_PREFIX):])).first()
            return (row[0], row[1]) if row is not None else (None, None)
        found = self._once(self._clients, client_id, lambda: select(
            clients.c.role, clients.c.agency).where(clients.c.id == client_id))
        return found if found is not None else (None, None)

    def _basis(self, request_id: str) -> str | None:
        return self._once(self._bases, request_id, lambda: select(
            footage_requests.c.legal_basis).where(footage_requests.c.id == request_id))

    def _camera_of(self, clip_id: str) -> str | None:
        return self._once(self._clip_cameras, clip_id, lambda: select(
            clips.c.camera_id).where(clips.c.id == clip_id))

    def _cameras_of(self, clip_ids: list[str]) -> list[str]:
        return [camera for camera in (self._camera_of(clip) for clip in clip_ids) if camera]


def _load_tree(conn: Connection) -> TreeBuilder:
    row = conn.execute(select(audit_tree.c.state).where(audit_tree.c.id == 1)).first()
    if row is None:
        conn.execute(insert(audit_tree).values(id=1, size=0, state=TreeBuilder().state().to_bytes()))
        return TreeBuilder()
    return TreeBuilder.restore(BuilderState.from_bytes(bytes(row[0])))


def tree_head(conn: Connection) -> tuple[int, bytes]:
    row = conn.execute(select(audit_tree.c.state).where(audit_tree.c.id == 1)).first()
    tree = TreeBuilder() if row is None else TreeBuilder.restore(BuilderState.from_bytes(bytes(row[0])))
    return tree.size, tree.root()
