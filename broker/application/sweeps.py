"""What the law makes happen on time, with nobody asking: purge footage past retention, expire
grants, flag reviews past their deadline, erase personal data past its record retention, and
sign the audit log's head.

Planning reads the read model and applies pure rules (``broker.domain.retention``, the
aggregates' own ``expire``/``flag_overdue``); every change is an event. The scheduled jobs and
``broker purge`` call these; nothing else does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import Connection

from broker.application import audit_chain
from broker.application.context import UseCases
from broker.application.core import RecordConflict
from broker.application.redactions import Redactions
from broker.common.progress import Progress, no_progress
from broker.domain.clip import Clip
from broker.domain.housekeeping import JobFailure, VaultSweep
from broker.domain.request import FootageRequest
from broker.domain.retention import PurgeItem, Verdict, judge
from broker.errors import InvalidInput
from broker.readmodel import clip_view, redaction_view, request_view

BATCH_SIZE = 500


@dataclass
class PurgeReport:
    as_of: datetime
    dry_run: bool
    due: int = 0
    purged: int = 0
    kept_by_hold: int = 0
    verdicts: list[Verdict] = field(default_factory=list)
    """Filled by dry runs only: a real run keeps counts, not a list as long as the backlog."""


@dataclass(frozen=True)
class VaultSweepReport:
    orphan_keys: int
    orphan_blobs: int
    stale_uploads: int


class Sweeps(UseCases):
    def purge(self, *, as_of: datetime | None = None, dry_run: bool = False,
              batch_size: int = BATCH_SIZE, progress: Progress = no_progress) -> PurgeReport:
        """Purge every clip whose retention has passed and no active hold covers.

        Works page by page (memory stays flat however much footage is due), judging each page
        against the holds as they are just before it is destroyed. ``as_of`` other than now is
        for dry runs ("what would go on the 1st?"): a real purge never runs ahead of the clock.
        """
        now = self.ctx.clock.now()
        if as_of is not None and as_of > now and not dry_run:
            raise InvalidInput("a real purge cannot run ahead of the clock; use --dry-run")
        moment = as_of or now
        report = PurgeReport(as_of=moment, dry_run=dry_run)
        self.ctx.consistency.latest()
        after: tuple[datetime, str] | None = None
        position = None
        judged = 0
        progress("purging", judged, None)
        while True:
            with self.read() as conn:
                page = clip_view.expired_candidates(conn, moment, after=after, limit=batch_size)
                holds = request_view.hold_spans(conn, moment)
            if not page:
                break
            after = (page[-1].end, page[-1].clip_id)
            verdicts = judge(page, holds, moment)
            judged += len(page)
            report.kept_by_hold += sum(1 for v in verdicts if v.reason is None)
            if dry_run:
                report.verdicts.extend(verdicts)
                continue
            report.due += sum(1 for v in verdicts if v.reason is not None)
            purged, position = self.purge_clips(
                [PurgeItem(v.clip.clip_id, v.reason, v.clip.due_at) for v in verdicts if v.reason])
            report.purged += purged
            progress("purging", judged, None)
        if dry_run:
            report.verdicts.sort(key=lambda v: (v.clip.due_at, v.clip.clip_id))
            report.due = sum(1 for v in report.verdicts if v.reason is not None)
        self.ctx.consistency.wait(position)
        return report

    def purge_clips(self, items: Sequence[PurgeItem]) -> tuple[int, int | None]:
        """Destroy the footage, then record ``Clip.Purged``; (how many this call recorded, position).

        Order matters for crash safety: key shredded (unreadable at once), blob deleted, event
        recorded. Killed anywhere, the clip is still "available" in the log, so the next run
        repeats the idempotent steps and records the event. Another worker purging the same
        clips concurrently loses nothing: each clip gets exactly one ``Purged`` (version check).
        """
        app, now = self.ctx.app, self.ctx.clock.now()
        reasons = {item.clip_id: item.reason for item in items}
        clips = [clip for clip in (app.find(UUID(item.clip_id), Clip) for item in items)
                 if clip is not None and not clip.is_purged]
        if not clips:
            return 0, None
        self.ctx.vault.destroy_many([(clip.key_id, clip.blob_id) for clip in clips])
        for clip in clips:
            clip.purge(reasons[str(clip.id)], at=now)
        try:
            return len(clips), app.record(*clips)
        except RecordConflict:
            pass  # someone else recorded some of them: settle clip by clip
        recorded, position = 0, None
        for clip in clips:
            fresh = app.load(clip.id, Clip, "clip")
            if fresh.is_purged:
                continue
            fresh.purge(reasons[str(clip.id)], at=now)
            try:
                position = app.record(fresh)
                recorded += 1
            except RecordConflict:
                continue
        return recorded, position

    def expire_grants(self) -> int:
        """Record ``Expired`` on every grant whose lifetime has passed."""
        return self._sweep(request_view.granted_past_expiry,
                           lambda r: r.expire(self.ctx.clock.now()))

    def flag_overdue_reviews(self) -> int:
        """Record ``ReviewOverdue`` once on every pending review past its legal deadline."""
        return self._sweep(request_view.pending_past_deadline,
                           lambda r: r.flag_overdue(self.ctx.clock.now()))

    def erase_personal_data(self) -> int:
        """Shred the subject keys of requests older than the pack's record retention, then
        record the erasure (idempotent and crash-safe: a shredded key stays shredded)."""
        days = self.ctx.policy.record_retention_days

        def erase(footage_request: FootageRequest) -> bool:
            key_id = footage_request.subject_key_id
            if key_id is None or footage_request.personal_data_erased_at:
                return False
            # The masked copy and the drafts go with the request's records.
            Redactions(self.ctx).purge_for_request(str(footage_request.id),
                                                   "the request's records were erased")
            self.ctx.personal_data.erase(key_id)
            footage_request.erase_personal_data(at=self.ctx.clock.now())
            return True

        erased = self._sweep(
            lambda conn, now: request_view.personal_data_past_retention(conn, now, days), erase)
        if erased:
            self.ctx.readmodel.compact_wal()
        return erased

    def reconcile_vault(self, older_than: timedelta | None = None) -> VaultSweepReport:
        """Remove what crashed writers left: half-written uploads, and data keys and blobs no
        recorded clip, request or redaction (draft, masked copy) refers to; record what was
        removed (``VaultSweep.Swept``).

        Only what is older than any upload may run (``older_than``, by default the configured
        maximum) is touched, and the read model is first brought up to the whole log, so a
        clip or request being recorded right now is never mistaken for an orphan.
        """
        age = older_than if older_than is not None else self.ctx.orphan_age
        vault = self.ctx.vault
        stale_uploads = vault.blobs.sweep_stale_uploads(age.total_seconds())
        self._sweep_scratch(age)
        self.ctx.consistency.latest()
        candidate_keys = vault.keystore.ids_created_before(self.ctx.clock.now() - age)
        candidate_blobs = vault.blobs.stale_ids(age.total_seconds())
        with self.read() as conn:
            clip_keys, clip_blobs = clip_view.vault_references(conn)
            subject_keys = request_view.subject_key_ids(conn)
            redaction_keys, redaction_blobs = redaction_view.vault_references(conn)
        orphan_keys = [key for key in candidate_keys
                       if key not in clip_keys and key not in subject_keys and key not in redaction_keys]
        orphan_blobs = [blob for blob in candidate_blobs
                        if blob not in clip_blobs and blob not in redaction_blobs]
        if orphan_keys or orphan_blobs or stale_uploads:
            vault.keystore.shred_many(orphan_keys)
            vault.blobs.delete_many(orphan_blobs)
            self.ctx.app.record(VaultSweep(orphan_keys=orphan_keys, orphan_blobs=orphan_blobs,
                                           stale_uploads=stale_uploads, at=self.ctx.clock.now()))
        return VaultSweepReport(orphan_keys=len(orphan_keys), orphan_blobs=len(orphan_blobs),
                                stale_uploads=stale_uploads)

    def _sweep_scratch(self, age: timedelta) -> None:
        """Plaintext a killed ingest probe or redaction job left in the scratch area."""
        import shutil
        import time

        scratch = self.ctx.scratch_dir
        if not scratch.is_dir():
            return
        cutoff = time.time() - age.total_seconds()
        for path in scratch.iterdir():
            try:
                if path.stat().st_mtime > cutoff:
                    continue
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
            except FileNotFoundError:
                continue

    def record_failure(self, job: str, error: BaseException) -> None:
        """A scheduled job failed: ``JobFailure.Failed`` with the job and the error's type and
        first line (never a traceback, which may hold data)."""
        message = (str(error).splitlines() or [""])[0]
        text = f"{type(error).__name__}: {message}"[:300] if message else type(error).__name__
        self.ctx.app.record(JobFailure(job=job[:64], error=text, at=self.ctx.clock.now()))

    def checkpoint(self) -> str | None:
        """Sign the audit log's current head (once per size)."""
        return audit_chain.checkpoint(self.ctx)

    def verify_chain(self) -> bool:
        """Sign the head, then recompute the whole chain against every kept checkpoint, and
        record the outcome: the dashboard then says when the trail was last proven intact (or
        that it was not). Signing first means a fresh install, whose first checkpoint may not
        exist yet, is not reported as a broken chain."""
        audit_chain.checkpoint(self.ctx)
        return audit_chain.record_verification(self.ctx, audit_chain.verify_chain(self.ctx), None).ok

    def _sweep(self, find_due: Callable[[Connection, datetime], list[str]],
               change: Callable[[FootageRequest], bool]) -> int:
        """Find what a rule says is due (read model); settle each with an event or nothing.

        A concurrent write (another worker, a close) wins; the next sweep looks again.
        """
        self.ctx.consistency.latest()
        with self.read() as conn:
            due = find_due(conn, self.ctx.clock.now())
        settled, position = 0, None
        for request_id in due:
            footage_request = self.ctx.app.load(UUID(request_id), FootageRequest, "request")
            if not change(footage_request):
                continue
            try:
                position = self.ctx.app.record(footage_request)
            except RecordConflict:
                continue
            settled += 1
        self.ctx.consistency.wait(position)
        return settled
