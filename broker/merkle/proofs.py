"""Inclusion and consistency proofs (RFC 9162 §2.1.3 and §2.1.4), built and checked without I/O.

Builders come in two forms: over an in-memory sequence of leaf hashes, and ``*_lazy`` over a
``RangeRoot`` so storage can supply subtree roots (or leaves, via ``range_root_from_leaves``) on
demand. Builders raise ValueError for out-of-range arguments; verifiers never raise on untrusted
input and answer False instead.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from broker.merkle.hashing import EMPTY_ROOT, HASH_SIZE, NODE_PREFIX
from broker.merkle.tree import RangeRoot, range_root_from_leaves, split_point

_sha256 = hashlib.sha256


def inclusion_proof(leaf_index: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """PATH(leaf_index, D[n]) for ``n = len(leaf_hashes)``, ordered from the leaf's sibling upwards.

    Raises ValueError unless ``0 <= leaf_index < len(leaf_hashes)``.
    """
    return inclusion_proof_lazy(leaf_index, len(leaf_hashes), range_root_from_leaves(leaf_hashes.__getitem__))


def inclusion_proof_lazy(leaf_index: int, tree_size: int, range_root: RangeRoot) -> list[bytes]:
    """PATH(leaf_index, D[tree_size]) asking ``range_root`` for one subtree root per proof element.

    Raises ValueError unless ``0 <= leaf_index < tree_size``.
    """
    if not 0 <= leaf_index < tree_size:
        raise ValueError(f"leaf index {leaf_index} outside a tree of {tree_size} leaves")
    proof: list[bytes] = []
    start, end = 0, tree_size
    while end - start > 1:
        mid = start + split_point(end - start)
        if leaf_index < mid:
            proof.append(range_root(mid, end))
            end = mid
        else:
            proof.append(range_root(start, mid))
            start = mid
    proof.reverse()
    return proof


def verify_inclusion(leaf_hash: bytes, leaf_index: int, tree_size: int, proof: Sequence[bytes],
                     root: bytes) -> bool:
    """True iff ``proof`` shows ``leaf_hash`` at ``leaf_index`` in the tree whose root is ``root``.

    RFC 9162 §2.1.3.2. The proof binds leaf and index to the root; ``tree_size`` is bound to the
    root only by a signed checkpoint (a proof may also pass for another size whose tree has the same
    shape along this leaf's path), so always check against a trusted (size, root) pair.
    """
    if not 0 <= leaf_index < tree_size or len(leaf_hash) != HASH_SIZE or len(root) != HASH_SIZE:
        return False
    fn, sn, r = leaf_index, tree_size - 1, leaf_hash
    for p in proof:
        if sn == 0 or len(p) != HASH_SIZE:
            return False
        if fn & 1 or fn == sn:
            r = _sha256(NODE_PREFIX + p + r).digest()
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = _sha256(NODE_PREFIX + r + p).digest()
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def consistency_proof(old_size: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """PROOF(old_size, D[n]) for ``n = len(leaf_hashes)``: the old tree is a prefix of the new one.

    Empty when ``old_size`` is 0 or n. Raises ValueError unless ``0 <= old_size <= n``.
    """
    return consistency_proof_lazy(old_size, len(leaf_hashes), range_root_from_leaves(leaf_hashes.__getitem__))


def consistency_proof_lazy(old_size: int, new_size: int, range_root: RangeRoot) -> list[bytes]:
    """PROOF(old_size, D[new_size]) asking ``range_root`` for one subtree root per proof element.

    Raises ValueError unless ``0 <= old_size <= new_size``.
    """
    if not 0 <= old_size <= new_size:
        raise ValueError(f"old size {old_size} outside [0, {new_size}]")
    if old_size in (0, new_size):
        return []
    proof: list[bytes] = []
    start, end, m, whole = 0, new_size, old_size, True
    while True:
        size = end - start
        if m == size:
            if not whole:
                proof.append(range_root(start, end))
            break
        k = split_point(size)
        if m <= k:
            proof.append(range_root(start + k, end))
            end = start + k
        else:
            proof.append(range_root(start, start + k))
            start += k
            m -= k
            whole = False
    proof.reverse()
    return proof


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes,
                       proof: Sequence[bytes]) -> bool:
    """True iff ``proof`` shows the tree (old_size, old_root) is a prefix of (new_size, new_root).

    RFC 9162 §2.1.4.2, extended at the edges: size 0 needs an empty proof and ``old_root ==
    EMPTY_ROOT``; equal sizes need an empty proof and equal roots.
    """
    if not 0 <= old_size <= new_size or len(old_root) != HASH_SIZE or len(new_root) != HASH_SIZE:
        return False
    if any(len(p) != HASH_SIZE for p in proof):
        return False
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if old_size == new_size:
        return not proof and old_root == new_root
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = _sha256(NODE_PREFIX + c + fr).digest()
            sr = _sha256(NODE_PREFIX + c + sr).digest()
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = _sha256(NODE_PREFIX + sr + c).digest()
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root
