"""Tamper evidence of the event log: signed checkpoints and full re-verification.

Checkpoints sign (tree size, root) of the Merkle tree over every stored event with the broker's
Ed25519 key (in ``keys/``, never in a database). Verification recomputes every leaf from the
event store alone and compares it with the recorded leaf hashes and with every checkpoint whose
signature verifies: an edited, deleted, reordered or inserted stored event is named by position.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import insert, select

from broker.adapters.eventstore import read_raw
from broker.application.context import Context
from broker.merkle import Checkpoint, CheckpointError, sign_checkpoint, verify_checkpoint, verify_log
from broker.readmodel.audit_view import leaf_bytes, tree_head
from broker.readmodel.tables import audit_checkpoints

ORIGIN = "footage-broker.invalid/audit"
KEY_NAME = ORIGIN  # C2SP tlog-checkpoint: the log's key name is its origin (was "footage-broker-audit")
BATCH = 10_000


class MalformedStore(Exception):
    def __init__(self, position: int, reason: str) -> None:
        super().__init__(reason)
        self.position = position
        self.reason = reason


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    events_checked: int
    tree_size: int
    events_not_yet_in_tree: int
    checkpoints_verified: int
    first_bad_position: int | None
    first_bad_event: dict[str, Any] | None
    reason: str
    latest_checkpoint: str | None

    def as_dict(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in self.__dataclass_fields__}


def checkpoint(ctx: Context) -> str | None:
    """Sign the current tree head (once per size); returns the signed note, or None if empty."""
    ctx.consistency.latest()
    with ctx.readmodel.reader.connect() as conn:
        size, root = tree_head(conn)
        if size == 0:
            return None
        existing = conn.execute(select(audit_checkpoints.c.signed_note)
                                .where(audit_checkpoints.c.tree_size == size)).first()
    if existing is not None:
        return str(existing[0])
    head = Checkpoint(origin=ORIGIN, tree_size=size, root_hash=root, timestamp=ctx.clock.now())
    note = sign_checkpoint(head, ctx.signing_key)
    with ctx.readmodel.writer.begin() as conn:
        known = conn.execute(select(audit_checkpoints.c.tree_size)
                             .where(audit_checkpoints.c.tree_size == size)).first()
        if known is None:
            conn.execute(insert(audit_checkpoints).values(
                tree_size=size, root_hash=root, signed_note=note, created_at=head.timestamp))
    return note


def signed_checkpoints(ctx: Context) -> list[str]:
    with ctx.readmodel.reader.connect() as conn:
        rows = conn.execute(select(audit_checkpoints.c.signed_note)
                            .order_by(audit_checkpoints.c.tree_size))
        return [str(row[0]) for row in rows]


def verify_chain(ctx: Context, public_key: Ed25519PublicKey | None = None) -> ChainReport:
    """Recompute the tree from the event store; stop at the first divergence."""
    public_key = public_key or ctx.signing_key.public_key()
    notes = signed_checkpoints(ctx)
    heads: list[Checkpoint] = []
    for note in notes:
        try:
            heads.append(verify_checkpoint(note, public_key, ORIGIN))
        except CheckpointError as exc:
            return _report(False, 0, 0, 0, len(heads), None, None,
                           f"a stored checkpoint does not verify: {exc.detail}", notes)
    with ctx.readmodel.reader.connect() as conn:
        tree_size, _ = tree_head(conn)
    seen: dict[Any, Any] = {}
    try:
        result = verify_log(_entries(ctx, tree_size, seen), heads)
    except MalformedStore as exc:
        return _report(False, exc.position, tree_size, 0, 0, exc.position, None, exc.reason, notes)
    if result.ok and result.events_checked < tree_size:
        # The tree recorded more events than the store still holds: the tail was deleted.
        missing = result.events_checked
        return _report(False, missing, tree_size, 0, result.checked_checkpoints, missing,
                       _describe(seen.get("batch"), missing),
                       f"the store ends at position {missing} but the tree recorded {tree_size} "
                       "events: events deleted at the end", notes)
    pending = _count_after(ctx, seen.get("last_notification_id", 0)) if result.ok else 0
    bad_event = None
    if result.first_bad_position is not None:
        bad_event = _describe(seen.get("batch"), result.first_bad_position)
    return _report(result.ok, result.events_checked, tree_size, pending, result.checked_checkpoints,
                   result.first_bad_position, bad_event, result.reason, notes)


Entry = tuple[int, bytes, bytes | None]


def _entries(ctx: Context, tree_size: int, seen: dict[Any, Any]) -> Iterator[Entry]:
    """(position, leaf bytes now in the store, leaf hash recorded when it was projected).

    ``seen["last"]`` keeps the latest raw event and position, to name a divergent one.
    """
    recorder = ctx.app.recorder
    position = 0
    start = 1
    raw = ctx.readmodel.reader.raw_connection()
    try:
        cursor = raw.cursor()
        while position < tree_size:
            try:
                rows = read_raw(recorder, start, BATCH)
            except (ValueError, TypeError) as exc:
                raise MalformedStore(position, f"stored events from position {position} on "
                                     f"cannot be read ({type(exc).__name__})") from None
            if not rows:
                seen["batch"] = (position, [], _recorded_from(cursor, ctx, position))
                return
            base = position
            recorded = _recorded_from(cursor, ctx, base)
            seen["batch"] = (base, rows, recorded)
            for index, (_, originator_id, version, topic, state) in enumerate(rows):
                if position >= tree_size:
                    return
                stored = recorded[index]
                yield (position, leaf_bytes(originator_id, version, topic, state),
                       stored[1] if stored is not None else None)
                position += 1
            start = rows[-1][0] + 1
            seen["last_notification_id"] = rows[-1][0]
    finally:
        raw.close()


_LEAVES_SQL = ("SELECT position, notification_id, leaf_hash FROM audit_leaves "
               "WHERE position >= {mark} ORDER BY position LIMIT {mark}")


def _mark(ctx: Context) -> str:
    return "?" if ctx.readmodel.dialect == "sqlite" else "%s"


def _recorded_from(cursor: Any, ctx: Context, base: int) -> list[tuple[int, bytes] | None]:
    """Recorded (notification id, leaf hash) for positions ``base`` .. ``base + BATCH - 1``."""
    cursor.execute(_LEAVES_SQL.format(mark=_mark(ctx)), (base, BATCH))
    recorded: list[tuple[int, bytes] | None] = [None] * BATCH
    for pos, notification_id, digest in cursor.fetchall():
        recorded[pos - base] = (notification_id, bytes(digest))
    return recorded


def _describe(batch: tuple[int, Any, Any] | None, position: int) -> dict[str, Any] | None:
    """The stored event at ``position``, or what the tree recorded there if it is gone."""
    if batch is None:
        return None
    base, rows, recorded = batch
    offset = position - base
    if 0 <= offset < len(rows):
        notification_id, originator_id, version, topic, _state = rows[offset]
    elif 0 <= offset < len(recorded) and recorded[offset] is not None:
        return {"missing": True, "recorded_notification_id": recorded[offset][0]}
    else:
        return None
    stored = recorded[offset]
    described = {"notification_id": notification_id, "originator_id": originator_id,
                 "originator_version": version, "topic": topic}
    if stored is not None and stored[0] != notification_id:
        described["recorded_notification_id"] = stored[0]
    return described


def _count_after(ctx: Context, notification_id: int) -> int:
    """Events recorded after the last one in the tree (not yet projected, or appended behind
    the application's back: either way, not covered by any checkpoint yet)."""
    count = 0
    start = notification_id + 1
    while True:
        batch = read_raw(ctx.app.recorder, start, BATCH)
        if not batch:
            return count
        count += len(batch)
        start = batch[-1][0] + 1


def _report(ok: bool, checked: int, size: int, pending: int, verified: int, bad: int | None,
            event: dict[str, Any] | None, reason: str, notes: list[str]) -> ChainReport:
    return ChainReport(ok=ok, events_checked=checked, tree_size=size, events_not_yet_in_tree=pending,
                       checkpoints_verified=verified, first_bad_position=bad, first_bad_event=event,
                       reason=reason, latest_checkpoint=notes[-1] if notes else None)


def public_key_b64(ctx: Context) -> str:
    from cryptography.hazmat.primitives import serialization

    raw = ctx.signing_key.public_key().public_bytes(serialization.Encoding.Raw,
                                                      serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()
