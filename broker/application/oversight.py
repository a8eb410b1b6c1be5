"""Privacy officers and auditors: the audit trail, the provision ledger, chain verification;
and what anyone may read: the transparency report and the broker's public keys.

Looking at the trail is part of the trail: every oversight query is recorded
(``AuditAccess.Queried``) before its answer is computed, and the answer includes it.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from broker.adapters.vault.kek import export_public_key
from broker.application import audit_chain
from broker.application.actors import Actor, allowed
from broker.application.camera_refs import resolve_camera
from broker.application.context import UseCases
from broker.common.progress import Progress, no_progress
from broker.domain.audit import AuditAccess
from broker.domain.events import ChainVerified, type_name
from broker.domain.person import actor_id
from broker.domain.roles import OVERSIGHT_ROLES, Role
from broker.errors import InvalidInput, NotFound
from broker.merkle import VerifierKey
from broker.readmodel import audit_query, browse, ledger_view
from broker.readmodel.audit_query import AuditFilter
from broker.readmodel.transparency import transparency_report

PURGE_GRACE = timedelta(minutes=10)
"""A purge counts as on time if it ran within one purge interval of the due moment."""


class Oversight(UseCases):
    @allowed(*OVERSIGHT_ROLES)
    def audit_events(self, actor: Actor, flt: AuditFilter, *, limit: int = 100,
                     cursor: str | None = None, output: str = "json") -> dict[str, Any]:
        """A page of the trail in time order, and the cursor of the next page (or None)."""
        if flt.start and flt.end and flt.end <= flt.start:
            raise InvalidInput("'to' must be after 'from'")
        if flt.camera_id is not None and not _is_uuid(flt.camera_id):
            # A camera by key or 관리번호, as operators know it; an id is taken as given (a
            # camera long gone is still in the trail).
            flt = replace(flt, camera_id=str(resolve_camera(self, flt.camera_id)))
        after = audit_query.AuditCursor.decode(cursor) if cursor else None
        position = self._record(actor, "audit.events", {**flt.as_record(), "format": output})
        with self.read(position) as conn:
            items, next_page = audit_query.query_events(conn, flt, after=after, limit=limit)
        return {"items": items, "next_cursor": next_page.encode() if next_page else None}

    @allowed(*OVERSIGHT_ROLES)
    def audit_page(self, actor: Actor, flt: AuditFilter, *, limit: int = 50,
                   cursor: str | None = None) -> dict[str, Any]:
        """The console's audit search: a page of the trail and the people one can filter by."""
        return {"page": self.audit_events(actor, flt, limit=limit, cursor=cursor, output="html"),
                "people": self.people(actor)}

    @allowed(*OVERSIGHT_ROLES)
    def ledger(self, actor: Actor, start: datetime | None, end: datetime | None,
               output: str = "json") -> dict[str, Any]:
        """The provision ledger (PIPA Art. 18(4)-(5), Enforcement Decree Art. 15)."""
        filters = {"from": start.isoformat() if start else None,
                   "to": end.isoformat() if end else None, "format": output}
        position = self._record(actor, "audit.ledger", {k: v for k, v in filters.items() if v})
        with self.read(position) as conn:
            rows = ledger_view.ledger_rows(conn, start, end)
        return {"items": rows, "next_cursor": None}

    @allowed(*OVERSIGHT_ROLES)
    def verify(self, actor: Actor) -> dict[str, Any]:
        """Sign the current head, then recompute the whole chain from the event store and hold
        it to every checkpoint the broker keeps (read model, checkpoint log, object store)."""
        self._record(actor, "audit.verify", {})
        audit_chain.checkpoint(self.ctx)
        report = audit_chain.record_verification(
            self.ctx, audit_chain.verify_chain(self.ctx), actor.client_id).as_dict()
        report["public_key"] = {"algorithm": "Ed25519", "key_name": audit_chain.KEY_NAME,
                                "raw_base64": audit_chain.public_key_b64(self.ctx),
                                "vkey": audit_chain.log_vkey(self.ctx)}
        return report

    @allowed(*OVERSIGHT_ROLES)
    def verify_report(self, actor: Actor, public_key: Any = None, independent: Sequence[str] = (),
                      witness: VerifierKey | None = None, *,
                      progress: Progress = no_progress) -> audit_chain.ChainReport:
        """Recompute the chain as it stands (the shell's ``audit verify``), without signing,
        against the kept checkpoints and any held elsewhere (``independent``); the run is
        recorded with its outcome."""
        report = audit_chain.verify_chain(self.ctx, public_key, independent, witness,
                                          progress=progress)
        return audit_chain.record_verification(self.ctx, report, actor.client_id)

    @allowed(*OVERSIGHT_ROLES)
    def last_verification(self, actor: Actor) -> dict[str, Any] | None:
        """The newest recorded verification run (an audit row), or None if none ever ran."""
        with self.read() as conn:
            items, _ = audit_query.query_events(conn, AuditFilter(
                event_type=type_name(ChainVerified), newest_first=True), limit=1)
        return items[0] if items else None

    def checkpoints(self, after: int | None = None, limit: int = 1000) -> dict[str, Any]:
        """Public: every signed checkpoint (C2SP signed notes), oldest first, and the log's key.

        Sizes and roots say nothing about anyone; the point is that many parties copy them, so
        that the broker cannot later present a different history.
        """
        notes, next_size = audit_chain.checkpoint_page(self.ctx, after, limit)
        return {"items": notes, "origin": audit_chain.ORIGIN,
                "log_key": audit_chain.log_vkey(self.ctx), "key_name": audit_chain.KEY_NAME,
                "public_key_raw_base64": audit_chain.public_key_b64(self.ctx),
                "next_cursor": str(next_size) if next_size is not None else None}

    def latest_checkpoint(self) -> str:
        """Public: the newest signed checkpoint, as C2SP tlog-checkpoint serves it."""
        note = audit_chain.latest_checkpoint(self.ctx)
        if note is None:
            raise NotFound("the log has no checkpoint yet")
        return note

    def consistency_proof(self, old_size: int, new_size: int) -> dict[str, Any]:
        """Public: the RFC 9162 proof that the log at ``old_size`` is a prefix of ``new_size``."""
        proof = audit_chain.consistency_between(self.ctx, old_size, new_size)
        return {"old_size": old_size, "new_size": new_size,
                "proof": [base64.b64encode(node).decode() for node in proof]}

    @allowed(*OVERSIGHT_ROLES)
    def chain_status(self, actor: Actor, limit: int = 5) -> dict[str, Any]:
        """The tree's size and the newest checkpoints, without recomputing anything."""
        with self.read() as conn:
            return browse.recent_checkpoints(conn, limit)

    @allowed(*OVERSIGHT_ROLES)
    def people(self, actor: Actor) -> list[dict[str, Any]]:
        """Who may appear in the trail as a person (to filter by): id, name, role, agency."""
        with self.read() as conn:
            return [{"actor_id": actor_id(row["id"]), "name": row["display_name"],
                     "role": row["role"], "agency": row["agency"], "status": row["status"]}
                    for row in browse.people_list(conn)]

    @allowed(*OVERSIGHT_ROLES)
    def checkpoint(self, actor: Actor) -> str | None:
        """Sign the current tree head now; None while the log is empty."""
        return audit_chain.checkpoint(self.ctx)

    def transparency(self, year: int) -> dict[str, Any]:
        """Public: aggregate counts only, never a person, a place or a case."""
        citizen_bases = frozenset(b.id for b in self.ctx.policy.bases
                                  if Role.CITIZEN_PORTAL in b.roles)
        self.ctx.consistency.latest()
        with self.read() as conn:
            return transparency_report(conn, year, citizen_bases, purge_grace=PURGE_GRACE)

    def public_keys(self) -> dict[str, Any]:
        """Public: the Ed25519 key that signs exports, checkpoints and live tokens."""
        info = export_public_key(self.ctx.signing_key)
        return {"keys": [{"key_id": info.key_id, "algorithm": info.algorithm,
                          "use": ["export", "checkpoint", "live"], "public_key_pem": info.pem}]}

    def _record(self, actor: Actor, what: str, filters: dict[str, Any]) -> int | None:
        """Recorded before the answer is given."""
        return self.ctx.app.record(AuditAccess(
            client_id=actor.client_id, role=actor.role_name, agency=actor.agency, what=what,
            filters=filters, at=self.ctx.clock.now()))


def _is_uuid(text: str) -> bool:
    try:
        UUID(text)
    except ValueError:
        return False
    return True
