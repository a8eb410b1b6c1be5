"""Tamper evidence of the event log: signed checkpoints and full re-verification.

Checkpoints sign (tree size, root) of the Merkle tree over every stored event with the broker's
Ed25519 key (in ``keys/``, never in a database). Verification recomputes every leaf from the
event store alone and compares it with the recorded leaf hashes and with every checkpoint whose
signature verifies: an edited, deleted, reordered or inserted stored event is named by position.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import insert, select

from broker.adapters.eventstore import read_leaf_rows, read_raw
from broker.application.context import Context
from broker.common.progress import Progress, no_progress
from broker.domain.audit import ChainVerification
from broker.errors import InvalidInput
from broker.merkle import (
    Batch,
    Checkpoint,
    CheckpointError,
    VerifierKey,
    consistency_proof_lazy,
    range_root_from_leaves,
    sign_checkpoint,
    verify_batches,
    verify_checkpoint,
    verify_cosignature,
)
from broker.readmodel.audit_view import tree_head
from broker.readmodel.tables import audit_checkpoints, audit_leaves

ORIGIN = "footage-broker.invalid/audit"
KEY_NAME = ORIGIN
"""C2SP tlog-checkpoint: the log's key name is its origin."""
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
    """Sign the current tree head (once per size) and keep it, and the leaves it covers, outside
    the read model; returns the signed note, or None while the log is empty."""
    ctx.consistency.latest()
    restore_checkpoints(ctx)
    with ctx.readmodel.reader.connect() as conn:
        size, root = tree_head(conn)
        if size == 0:
            return None
        _extend_leaf_log(ctx, conn, size)
        existing = conn.execute(select(audit_checkpoints.c.signed_note)
                                .where(audit_checkpoints.c.tree_size == size)).first()
    if existing is not None:
        note = str(existing[0])
    else:
        head = Checkpoint(origin=ORIGIN, tree_size=size, root_hash=root, timestamp=ctx.clock.now())
        note = sign_checkpoint(head, ctx.signing_key)
        with ctx.readmodel.writer.begin() as conn:
            known = conn.execute(select(audit_checkpoints.c.signed_note)
                                 .where(audit_checkpoints.c.tree_size == size)).first()
            if known is None:
                conn.execute(insert(audit_checkpoints).values(
                    tree_size=size, root_hash=root, signed_note=note, created_at=head.timestamp))
            else:
                note = str(known[0])
    for archive in ctx.checkpoint_archives:
        archive.append(note, size)  # idempotent: a crash before this is mended by the next run
    return note


def restore_checkpoints(ctx: Context) -> int:
    """Put back into the read model the archived checkpoints it lacks (after a rebuild), so
    listings and proofs serve every checkpoint ever signed; returns how many came back."""
    archived: dict[int, tuple[Checkpoint, str]] = {}
    for archive in ctx.checkpoint_archives:
        for note in archive.notes():
            try:
                head = verify_checkpoint(note, ctx.signing_key.public_key(), ORIGIN)
            except CheckpointError:
                continue  # not ours, or damaged: verification reports it, nothing imports it
            archived.setdefault(head.tree_size, (head, note))
    if not archived:
        return 0
    with ctx.readmodel.writer.begin() as conn:
        known = {row[0] for row in conn.execute(select(audit_checkpoints.c.tree_size))}
        missing = [(head, note) for size, (head, note) in sorted(archived.items())
                   if size not in known]
        for head, note in missing:
            conn.execute(insert(audit_checkpoints).values(
                tree_size=head.tree_size, root_hash=head.root_hash, signed_note=note,
                created_at=head.timestamp or ctx.clock.now()))
    return len(missing)


def checkpoint_page(ctx: Context, after: int | None, limit: int) -> tuple[list[str], int | None]:
    """Signed checkpoints with tree size above ``after``, oldest first; and the next cursor."""
    query = select(audit_checkpoints.c.tree_size, audit_checkpoints.c.signed_note)
    if after is not None:
        query = query.where(audit_checkpoints.c.tree_size > after)
    with ctx.readmodel.reader.connect() as conn:
        rows = conn.execute(query.order_by(audit_checkpoints.c.tree_size).limit(limit + 1)).all()
    page = rows[:limit]
    return [str(row[1]) for row in page], (int(page[-1][0]) if len(rows) > limit else None)


def latest_checkpoint(ctx: Context) -> str | None:
    with ctx.readmodel.reader.connect() as conn:
        row = conn.execute(select(audit_checkpoints.c.signed_note)
                           .order_by(audit_checkpoints.c.tree_size.desc()).limit(1)).first()
    return str(row[0]) if row is not None else None


def consistency_between(ctx: Context, old_size: int, new_size: int) -> list[bytes]:
    """RFC 9162 consistency proof from any earlier size to a signed checkpoint's size, from the
    recorded leaves: an outside party (a witness) checks that the log it saw at ``old_size`` is
    a prefix of the one the broker signed at ``new_size``."""
    with ctx.readmodel.reader.connect() as conn:
        signed = conn.execute(select(audit_checkpoints.c.tree_size).where(
            audit_checkpoints.c.tree_size == new_size)).first()
        if signed is None or not 0 < old_size <= new_size:
            raise InvalidInput("a proof runs from an earlier size to the size of a signed "
                               "checkpoint")
        cache: dict[int, bytes] = {}

        def leaf(position: int) -> bytes:
            if position not in cache:
                rows = conn.execute(select(audit_leaves.c.position, audit_leaves.c.leaf_hash)
                                    .where(audit_leaves.c.position >= position,
                                           audit_leaves.c.position < position + BATCH)).all()
                cache.clear()
                cache.update({int(row[0]): bytes(row[1]) for row in rows})
            return cache[position]

        return consistency_proof_lazy(old_size, new_size, range_root_from_leaves(leaf))


def _extend_leaf_log(ctx: Context, conn: Any, size: int) -> None:
    """Copy the leaf hashes the log does not hold yet (never rewriting those it holds)."""
    kept = ctx.leaf_log.size()
    while kept < size:
        rows = conn.execute(select(audit_leaves.c.position, audit_leaves.c.leaf_hash)
                            .where(audit_leaves.c.position >= kept,
                                   audit_leaves.c.position < min(size, kept + BATCH))
                            .order_by(audit_leaves.c.position)).all()
        if not rows or rows[0][0] != kept:
            return  # the read model lacks these leaves (it is being rebuilt): next time
        ctx.leaf_log.extend(kept, [bytes(row[1]) for row in rows])
        kept += len(rows)


def signed_checkpoints(ctx: Context) -> list[str]:
    """The checkpoints the read model keeps, oldest first."""
    with ctx.readmodel.reader.connect() as conn:
        rows = conn.execute(select(audit_checkpoints.c.signed_note)
                            .order_by(audit_checkpoints.c.tree_size))
        return [str(row[0]) for row in rows]


def kept_checkpoints(ctx: Context) -> list[str]:
    """Every checkpoint the broker holds: the read model's and every archive's, once each."""
    notes = dict.fromkeys(signed_checkpoints(ctx))
    for archive in ctx.checkpoint_archives:
        notes.update(dict.fromkeys(archive.notes()))
    return list(notes)


def verify_chain(ctx: Context, public_key: Ed25519PublicKey | VerifierKey | None = None,
                 independent: Sequence[str] = (), witness: VerifierKey | None = None, *,
                 progress: Progress = no_progress) -> ChainReport:
    """Recompute the tree from the event store and hold it to every checkpoint it can find.

    Leaves are compared with the leaf log (kept outside the read model) where it has them, else
    with the read model's. Checkpoints come from the read model, the archives and
    ``independent`` (held by an auditor, a witness, a copy of the public endpoint); each must
    verify under ``public_key`` and match the recomputed root at its size. The chain is only
    OK if at least one checkpoint anchors it, and, with ``witness``, one that the witness
    cosigned: "no checkpoint matched" is never a pass.
    """
    key = public_key or ctx.signing_key.public_key()
    notes = list(dict.fromkeys([*kept_checkpoints(ctx), *independent]))
    heads: list[Checkpoint] = []
    witnessed = 0
    for note in notes:
        try:
            heads.append(verify_checkpoint(note, key, ORIGIN))
        except CheckpointError as exc:
            return _report(False, 0, 0, 0, len(heads), None, None,
                           f"a checkpoint does not verify under the log's key: {exc.detail}", notes)
        if witness is not None:
            try:
                verify_cosignature(note, witness)
                witnessed += 1
            except CheckpointError:
                pass
    with ctx.readmodel.reader.connect() as conn:
        tree_size, _ = tree_head(conn)
    tree_size = max([tree_size, *(head.tree_size for head in heads)])
    seen: dict[Any, Any] = {}
    try:
        result = verify_batches(_batches(ctx, tree_size, seen, progress), heads)
    except MalformedStore as exc:
        return _report(False, exc.position, tree_size, 0, 0, exc.position, None, exc.reason, notes)
    if result.ok and result.events_checked < tree_size:
        # The tree recorded more events than the store still holds: the tail was deleted.
        missing = result.events_checked
        return _report(False, missing, tree_size, 0, result.checked_checkpoints, missing,
                       _describe(ctx, seen.get("batch"), missing),
                       f"the store ends at position {missing} but the tree recorded {tree_size} "
                       "events: events deleted at the end", notes)
    pending = _count_after(ctx, seen.get("last_notification_id", 0)) if result.ok else 0
    bad_event = None
    if result.first_bad_position is not None:
        bad_event = _describe(ctx, seen.get("batch"), result.first_bad_position)
    ok, reason = result.ok, result.reason
    if ok and tree_size and not heads:
        ok, reason = False, ("no signed checkpoint anchors the log: nothing proves these events "
                             "are the ones recorded (sign one with `broker audit checkpoint`, and "
                             "compare with checkpoints held elsewhere: --checkpoints)")
    elif ok and witness is not None and not witnessed:
        ok, reason = False, f"no checkpoint carries a cosignature of witness {witness.name!r}"
    return _report(ok, result.events_checked, tree_size, pending, result.checked_checkpoints,
                   result.first_bad_position, bad_event, reason, notes)


def record_verification(ctx: Context, report: ChainReport, by: str | None) -> ChainReport:
    """Put the run and its outcome on record (``ChainVerification.Completed``); the report."""
    ctx.app.record(ChainVerification(
        ok=report.ok, events_checked=report.events_checked, tree_size=report.tree_size,
        checkpoints_verified=report.checkpoints_verified,
        first_bad_position=report.first_bad_position, reason=report.reason[:500], by=by,
        at=ctx.clock.now()))
    return report


def _batches(ctx: Context, tree_size: int, seen: dict[Any, Any],
             progress: Progress = no_progress) -> Iterator[Batch]:
    """Runs of (first position, leaf bytes now in the store, the leaf hashes recorded for them:
    the leaf log's where it reaches, else the read model's), one stored batch at a time.

    ``seen["batch"]`` keeps where the latest batch starts (position, notification id), to name
    a divergent event; ``seen["last_notification_id"]`` the last one read.
    """
    recorder = ctx.app.recorder
    position = 0
    start = 1
    raw = ctx.readmodel.reader.raw_connection()
    try:
        cursor = raw.cursor()
        while position < tree_size:
            seen["batch"] = (position, start)
            try:
                rows = read_leaf_rows(recorder, start, min(BATCH, tree_size - position))
                leaves = [head.encode() + state for _, head, state in rows]
            except (ValueError, TypeError, UnicodeError) as exc:
                raise MalformedStore(position, f"stored events from position {position} on "
                                     f"cannot be read ({type(exc).__name__})") from None
            if not rows:
                return
            kept: list[bytes | None] = list(ctx.leaf_log.read(position, len(rows)))
            if len(kept) < len(rows):  # beyond the leaf log: the read model's recorded hashes
                recorded = _recorded_from(cursor, ctx, position)
                kept += [None if stored is None else stored[1]
                         for stored in recorded[len(kept):len(rows)]]
            yield position, leaves, kept
            position += len(rows)
            start = rows[-1][0] + 1
            seen["last_notification_id"] = rows[-1][0]
            progress("verifying", min(position, tree_size), tree_size)
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


def _describe(ctx: Context, batch: tuple[int, int] | None, position: int) -> dict[str, Any] | None:
    """The stored event at ``position``, or what the tree recorded there if it is gone; read
    again from the start of the batch it was found in (only ever for one event)."""
    if batch is None:
        return None
    base, start = batch
    offset = position - base
    rows = read_raw(ctx.app.recorder, start, offset + 1) if offset >= 0 else []
    raw = ctx.readmodel.reader.raw_connection()
    try:
        recorded = _recorded_from(raw.cursor(), ctx, base)
    finally:
        raw.close()
    stored = recorded[offset] if 0 <= offset < len(recorded) else None
    if 0 <= offset < len(rows):
        notification_id, originator_id, version, topic, _state = rows[offset]
    elif stored is not None:
        return {"missing": True, "recorded_notification_id": stored[0]}
    else:
        return None
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


def log_vkey(ctx: Context) -> str:
    """The log's verifier key in C2SP vkey form: one string an auditor can keep."""
    return str(VerifierKey.ed25519(ORIGIN, ctx.signing_key.public_key()))


def public_key_b64(ctx: Context) -> str:
    from cryptography.hazmat.primitives import serialization

    raw = ctx.signing_key.public_key().public_bytes(serialization.Encoding.Raw,
                                                      serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()
