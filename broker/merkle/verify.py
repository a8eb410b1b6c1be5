"""Offline audit of a whole log: recompute every leaf and the tree, stop at the first divergence.

Positions are leaf indices in the audit tree (0-based, contiguous, assigned when the leaf was
recorded), not store-specific ids that may skip numbers. Recorded leaf hashes, when given, are
the per-event hashes kept beside the log; trusted heads are (size, root) pairs from checkpoints
whose signatures the caller has already verified.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from broker.merkle.checkpoint import Checkpoint
from broker.merkle.hashing import HASH_SIZE, LEAF_PREFIX
from broker.merkle.tree import TreeBuilder

Entry = tuple[int, bytes] | tuple[int, bytes, bytes | None]
"""``(position, leaf bytes)`` or ``(position, leaf bytes, recorded leaf hash or None)``."""

TrustedHead = tuple[int, bytes] | Checkpoint
"""A tree size and the root it must have: a pair, or a verified ``Checkpoint``."""

_sha256 = hashlib.sha256


@dataclass(frozen=True, slots=True)
class VerificationReport:
    """The outcome of ``verify_log``.

    ``events_checked`` counts events hashed into the tree before the verifier stopped;
    ``first_bad_position`` names the first edited, missing, repeated or misplaced position, or is
    None when the log is intact or only a checkpoint root disagrees (no single position is provable
    then; ``reason`` gives the range of positions that must hold the divergence);
    ``checked_checkpoints`` counts trusted heads whose root matched.
    """

    ok: bool
    events_checked: int
    first_bad_position: int | None
    reason: str
    checked_checkpoints: int


Batch = tuple[int, Sequence[bytes], Sequence[bytes | None]]
"""``(first position, leaf bytes of consecutive positions, their recorded leaf hashes or None)``."""

BATCH = 4096


def verify_log(entries: Iterable[Entry], checkpoints: Iterable[TrustedHead] = (),
               builder: TreeBuilder | None = None) -> VerificationReport:
    """Check ``entries`` (log order) against recorded leaf hashes and trusted heads; stop at the first fault.

    Detects: bytes that no longer match their recorded hash (edited event); a position other than
    the next expected one (deleted, inserted, repeated or reordered event); a head whose root
    differs from the recomputed tree at its size; a log that ends before the largest head (tail
    deleted). Events after the largest head with no recorded hash cannot be checked and are
    accepted. Pass a ``builder`` (e.g. ``TreeBuilder.restore`` of a checkpoint's state) to resume:
    positions then start at ``builder.size``, heads below that size are skipped, and the builder is
    left holding every event accepted, ready to snapshot. Raises ValueError for a malformed head.
    """
    return verify_batches(_batched(entries), checkpoints, builder)


def verify_batches(batches: Iterable[Batch], checkpoints: Iterable[TrustedHead] = (),
                   builder: TreeBuilder | None = None) -> VerificationReport:
    """``verify_log`` over runs of consecutive positions: each run's leaves are hashed in one
    pass and enter the tree as whole subtrees (``TreeBuilder.extend``), which is what lets a full
    audit keep up with the store it reads. Same checks, same report, same order of faults."""
    tree = TreeBuilder() if builder is None else builder
    heads = _Heads(checkpoints, tree)
    failed = heads.check(tree, 0)
    if failed is not None:
        return failed
    expected = tree.size
    events = 0
    sha, prefix = _sha256, LEAF_PREFIX
    for base, data, recorded in batches:
        if not data:
            continue
        if base != expected:
            if base > expected:
                why = f"expected position {expected}, got {base}: event deleted or moved"
                return VerificationReport(False, events, expected, why, heads.confirmed)
            why = f"position {base} again after {expected - 1}: event inserted, repeated or moved"
            return VerificationReport(False, events, base, why, heads.confirmed)
        hashes = [sha(prefix + leaf).digest() for leaf in data]
        edited = None
        if hashes != recorded:
            edited = next((i for i, (h, kept) in enumerate(zip(hashes, recorded, strict=False))
                           if kept is not None and kept != h), None)
        accepted = len(hashes) if edited is None else edited
        done = 0
        while done < accepted:
            upto = accepted if heads.next_size < 0 else min(accepted, done + heads.next_size - expected)
            tree.extend(hashes[done:upto])
            events += upto - done
            expected += upto - done
            done = upto
            failed = heads.check(tree, events)
            if failed is not None:
                return failed
        if edited is not None:
            position = base + edited
            why = f"bytes at position {position} do not match their recorded leaf hash: event edited"
            return VerificationReport(False, events, position, why, heads.confirmed)
    if heads.pending:
        why = (f"log ends at size {expected} but a trusted checkpoint has size {heads.largest}: "
               "events deleted (at the tail, or anywhere with later positions renumbered)")
        return VerificationReport(False, events, expected, why, heads.confirmed)
    why = f"verified {events} events, {heads.confirmed} checkpoints"
    return VerificationReport(True, events, None, why, heads.confirmed)


class _Heads:
    """The trusted heads still ahead of the tree, checked as the tree reaches each size."""

    def __init__(self, checkpoints: Iterable[TrustedHead], tree: TreeBuilder) -> None:
        ordered = sorted((_as_head(cp) for cp in checkpoints), key=lambda head: head[0])
        self._heads = [head for head in ordered if head[0] >= tree.size]
        self._next = 0
        self.confirmed = 0
        self._confirmed_size = tree.size

    @property
    def next_size(self) -> int:
        """The size of the next head to check (-1: none left)."""
        return self._heads[self._next][0] if self._next < len(self._heads) else -1

    @property
    def pending(self) -> bool:
        return self._next < len(self._heads)

    @property
    def largest(self) -> int:
        return self._heads[-1][0]

    def check(self, tree: TreeBuilder, events: int) -> VerificationReport | None:
        """Hold the tree to every head at its current size; the fault report, or None."""
        size = tree.size
        if self.next_size != size:
            return None
        root = tree.root()
        while self._next < len(self._heads) and self._heads[self._next][0] == size:
            if root != self._heads[self._next][1]:
                if events and any(head == (size, root) for head in self._heads):
                    why = f"trusted checkpoints disagree at size {size}; the log matches one of them"
                    return VerificationReport(False, events, None, why, self.confirmed)
                return _head_mismatch(events, size, self._confirmed_size, self.confirmed)
            self.confirmed += 1
            self._next += 1
        self._confirmed_size = size
        return None


def _batched(entries: Iterable[Entry]) -> Iterator[Batch]:
    """Entries grouped into runs of consecutive positions (a gap or a repeat starts a new run)."""
    base, data, recorded = 0, [], []  # type: ignore[var-annotated]
    for entry in entries:
        position = entry[0]
        if data and (position != base + len(data) or len(data) >= BATCH):
            yield base, data, recorded
            data, recorded = [], []
        if not data:
            base = position
        data.append(entry[1])
        recorded.append(entry[2] if len(entry) == 3 else None)
    if data:
        yield base, data, recorded


def _as_head(cp: TrustedHead) -> tuple[int, bytes]:
    size, root = (cp.tree_size, cp.root_hash) if isinstance(cp, Checkpoint) else cp
    if size < 0 or len(root) != HASH_SIZE:
        raise ValueError(f"bad trusted head ({size}, {root!r})")
    return size, root


def _head_mismatch(events: int, size: int, confirmed_size: int, confirmed: int) -> VerificationReport:
    why = (f"root at size {size} differs from the trusted checkpoint: "
           f"an event in positions [{confirmed_size}, {size}) was altered")
    if size == confirmed_size:
        why = f"root at size {size} differs from the trusted checkpoint"
    return VerificationReport(False, events, None, why, confirmed)
