"""Merkle tree heads (RFC 9162 §2.1.1) in O(log n) memory, so a verifier can stream any size of log.

A tree of ``n`` leaves is, left to right, one perfect subtree per set bit of ``n`` (largest first);
RFC 9162's MTH folds those subtree roots from the right. ``TreeBuilder`` keeps exactly those roots.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from broker.merkle.hashing import EMPTY_ROOT, HASH_SIZE, NODE_PREFIX

RangeRoot = Callable[[int, int], bytes]
"""``range_root(start, end)`` returns MTH of leaves ``[start, end)``; storage may answer from cached
subtrees instead of rehashing leaves. Proof builders only ask for non-empty ranges inside the tree."""

_sha256 = hashlib.sha256
_STATE_HEADER = 8


def split_point(n: int) -> int:
    """The largest power of two strictly below ``n`` (``n >= 2``): where RFC 9162 splits ``n`` leaves."""
    if n < 2:
        raise ValueError(f"a tree of {n} leaves has no split point")
    return 1 << ((n - 1).bit_length() - 1)


@dataclass(frozen=True, slots=True)
class BuilderState:
    """A resume point for ``TreeBuilder``: the tree size and its right-edge perfect subtree roots.

    ``nodes`` lists ``(level, hash)`` left to right, one per set bit of ``size`` from the highest;
    a node of level ``L`` is the root of ``2**L`` consecutive leaves. Construction validates this
    shape and raises ValueError otherwise, so a corrupted saved state cannot be resumed silently.
    """

    size: int
    nodes: tuple[tuple[int, bytes], ...]

    def __post_init__(self) -> None:
        if self.size < 0:
            raise ValueError("size must be non-negative")
        levels = tuple(level for level, _ in self.nodes)
        if levels != _levels_of(self.size):
            raise ValueError(f"levels {levels} do not match size {self.size}")
        if any(len(h) != HASH_SIZE for _, h in self.nodes):
            raise ValueError(f"node hashes must be {HASH_SIZE} bytes")

    def to_bytes(self) -> bytes:
        """Compact encoding: 8-byte big-endian size, then the node hashes left to right (levels implied)."""
        return self.size.to_bytes(_STATE_HEADER, "big") + b"".join(h for _, h in self.nodes)

    @classmethod
    def from_bytes(cls, data: bytes) -> BuilderState:
        """Inverse of ``to_bytes``; raises ValueError on any length or shape mismatch."""
        if len(data) < _STATE_HEADER:
            raise ValueError("state too short")
        size = int.from_bytes(data[:_STATE_HEADER], "big")
        levels = _levels_of(size)
        body = data[_STATE_HEADER:]
        if len(body) != len(levels) * HASH_SIZE:
            raise ValueError(f"state for size {size} must carry {len(levels)} hashes")
        hashes = [body[i : i + HASH_SIZE] for i in range(0, len(body), HASH_SIZE)]
        return cls(size, tuple(zip(levels, hashes, strict=True)))


def _levels_of(size: int) -> tuple[int, ...]:
    return tuple(level for level in range(size.bit_length() - 1, -1, -1) if size >> level & 1)


class TreeBuilder:
    """Appends leaf hashes one at a time and yields the RFC 9162 root at the current size.

    Memory is O(log n): one hash per set bit of the size. Each append costs one SHA-256 amortised
    (plus one per trailing set bit of the old size). Not thread-safe.
    """

    __slots__ = ("_size", "_stack")

    def __init__(self) -> None:
        self._size = 0
        self._stack: list[bytes] = []

    @classmethod
    def restore(cls, state: BuilderState) -> TreeBuilder:
        """A builder that continues exactly where the one that produced ``state`` stood."""
        builder = cls()
        builder._size = state.size
        builder._stack = [h for _, h in state.nodes]
        return builder

    @property
    def size(self) -> int:
        """How many leaves have been appended (the tree size)."""
        return self._size

    def append(self, leaf_hash: bytes) -> None:
        """Add the next leaf; ``leaf_hash`` must be a 32-byte ``leaf_hash()`` output, else ValueError."""
        if len(leaf_hash) != HASH_SIZE:
            raise ValueError(f"leaf hashes must be {HASH_SIZE} bytes")
        stack = self._stack
        n = self._size
        self._size = n + 1
        h = leaf_hash
        while n & 1:
            h = _sha256(NODE_PREFIX + stack.pop() + h).digest()
            n >>= 1
        stack.append(h)

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """``append`` each hash in order, faster; a bad hash raises ValueError, keeping those before it.

        Leaves go in as whole perfect subtrees where the size allows (a run of ``2**L`` leaves
        landing on a multiple of ``2**L``), each hashed level by level: the same tree, with the
        per-leaf bookkeeping done once per subtree instead of once per leaf.
        """
        hashes = leaf_hashes if isinstance(leaf_hashes, list) else list(leaf_hashes)
        bad = next((i for i, h in enumerate(hashes) if len(h) != HASH_SIZE), None)
        if bad is not None:
            self.extend(hashes[:bad])
            raise ValueError(f"leaf hashes must be {HASH_SIZE} bytes")
        done, total = 0, len(hashes)
        while done < total:
            size = self._size
            run = 1 << ((total - done).bit_length() - 1)  # the largest power of two that fits
            if size:
                run = min(run, size & -size)  # ... and that lands on a subtree boundary
            self._push_subtree(_perfect_root(hashes[done:done + run]), run)
            done += run

    def _push_subtree(self, subtree_root: bytes, leaves: int) -> None:
        """Append a perfect subtree of ``leaves`` (a power of two dividing the size) leaves."""
        stack = self._stack
        n = self._size // leaves
        self._size += leaves
        h = subtree_root
        while n & 1:
            h = _sha256(NODE_PREFIX + stack.pop() + h).digest()
            n >>= 1
        stack.append(h)

    def root(self) -> bytes:
        """MTH of the leaves appended so far (``EMPTY_ROOT`` when none); O(log n), no state change."""
        stack = self._stack
        if not stack:
            return EMPTY_ROOT
        h = stack[-1]
        for i in range(len(stack) - 2, -1, -1):
            h = _sha256(NODE_PREFIX + stack[i] + h).digest()
        return h

    def state(self) -> BuilderState:
        """A snapshot to persist with a checkpoint; ``TreeBuilder.restore`` resumes from it."""
        return BuilderState(self._size, tuple(zip(_levels_of(self._size), self._stack, strict=True)))

    def copy(self) -> TreeBuilder:
        """An independent builder at the same size, e.g. to try appends without committing to them."""
        other = TreeBuilder()
        other._size = self._size
        other._stack = list(self._stack)
        return other


def _perfect_root(level: list[bytes]) -> bytes:
    """The root of a perfect subtree (``len(level)`` a power of two), one level at a time."""
    sha, prefix = _sha256, NODE_PREFIX
    while len(level) > 1:
        level = [sha(prefix + left + right).digest()
                 for left, right in zip(level[0::2], level[1::2], strict=True)]
    return level[0]


def root_hash(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH (RFC 9162 §2.1.1) of the given 32-byte leaf hashes; ``EMPTY_ROOT`` for none."""
    builder = TreeBuilder()
    builder.extend(leaf_hashes)
    return builder.root()


def range_root_from_leaves(get_leaf_hash: Callable[[int], bytes]) -> RangeRoot:
    """A ``RangeRoot`` that rehashes leaves fetched one by one, for storage without cached subtrees.

    The returned function computes MTH of leaves ``[start, end)`` in O(end - start) hashing and
    O(log n) memory; it raises ValueError unless ``0 <= start <= end``.
    """

    def range_root(start: int, end: int) -> bytes:
        if not 0 <= start <= end:
            raise ValueError(f"bad leaf range [{start}, {end})")
        builder = TreeBuilder()
        builder.extend(get_leaf_hash(i) for i in range(start, end))
        return builder.root()

    return range_root
