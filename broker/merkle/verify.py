"""Offline audit of a whole log: recompute every leaf and the tree, stop at the first divergence.

Positions are leaf indices in the audit tree (0-based, contiguous, assigned when the leaf was
recorded), not store-specific ids that may skip numbers. Recorded leaf hashes, when given, are
the per-event hashes kept beside the log; trusted heads are (size, root) pairs from checkpoints
whose signatures the caller has already verified.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
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
    tree = TreeBuilder() if builder is None else builder
    heads = sorted((_as_head(cp) for cp in checkpoints), key=lambda head: head[0])
    heads = [head for head in heads if head[0] >= tree.size]
    confirmed = 0
    confirmed_size = tree.size
    nh = 0
    while nh < len(heads) and heads[nh][0] == tree.size:
        if tree.root() != heads[nh][1]:
            return _head_mismatch(0, heads[nh][0], confirmed_size, confirmed)
        confirmed += 1
        nh += 1
    next_size = heads[nh][0] if nh < len(heads) else -1

    expected = tree.size
    events = 0
    append = tree.append
    sha = _sha256
    prefix = LEAF_PREFIX
    for entry in entries:
        position = entry[0]
        if position != expected:
            if position > expected:
                why = f"expected position {expected}, got {position}: event deleted or moved"
                return VerificationReport(False, events, expected, why, confirmed)
            why = f"position {position} again after {expected - 1}: event inserted, repeated or moved"
            return VerificationReport(False, events, position, why, confirmed)
        h = sha(prefix + entry[1]).digest()
        if len(entry) == 3 and entry[2] is not None and entry[2] != h:
            why = f"bytes at position {position} do not match their recorded leaf hash: event edited"
            return VerificationReport(False, events, position, why, confirmed)
        append(h)
        events += 1
        expected += 1
        if expected == next_size:
            root = tree.root()
            while nh < len(heads) and heads[nh][0] == expected:
                if root != heads[nh][1]:
                    if any(head == (expected, root) for head in heads):
                        why = f"trusted checkpoints disagree at size {expected}; the log matches one of them"
                        return VerificationReport(False, events, None, why, confirmed)
                    return _head_mismatch(events, expected, confirmed_size, confirmed)
                confirmed += 1
                nh += 1
            confirmed_size = expected
            next_size = heads[nh][0] if nh < len(heads) else -1

    if nh < len(heads):
        why = (f"log ends at size {expected} but a trusted checkpoint has size {heads[-1][0]}: "
               "events deleted (at the tail, or anywhere with later positions renumbered)")
        return VerificationReport(False, events, expected, why, confirmed)
    why = f"verified {events} events, {confirmed} checkpoints"
    return VerificationReport(True, events, None, why, confirmed)


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
