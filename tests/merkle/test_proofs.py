"""Inclusion and consistency proofs: agree with the RFC recursion, verify, and reject any alteration."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from broker.merkle import (
    consistency_proof,
    consistency_proof_lazy,
    inclusion_proof,
    inclusion_proof_lazy,
    range_root_from_leaves,
    verify_consistency,
    verify_inclusion,
)
from tests.merkle.reference import leaves, ref_mth, ref_path, ref_proof

PROPERTY = settings(max_examples=300, deadline=None)
ALL = leaves(300)
OTHER = leaves(300, salt=b"other")
ROOTS = [ref_mth(ALL[:n]) for n in range(len(ALL) + 1)]

index_in_tree = st.integers(1, 300).flatmap(lambda n: st.tuples(st.integers(0, n - 1), st.just(n)))
two_sizes = st.tuples(st.integers(0, 300), st.integers(0, 300)).map(sorted)


def flip(h: bytes, bit: int) -> bytes:
    return bytes([h[0] ^ (1 << bit)]) + h[1:]


@PROPERTY
@given(index_in_tree)
def test_inclusion_proof_matches_rfc_and_verifies(case: tuple[int, int]) -> None:
    i, n = case
    proof = inclusion_proof(i, ALL[:n])
    assert proof == ref_path(i, ALL[:n])
    assert inclusion_proof_lazy(i, n, range_root_from_leaves(ALL.__getitem__)) == proof
    assert verify_inclusion(ALL[i], i, n, proof, ROOTS[n])


@PROPERTY
@given(index_in_tree, st.data())
def test_inclusion_fails_when_anything_is_altered(case: tuple[int, int], data: st.DataObject) -> None:
    i, n = case
    proof = inclusion_proof(i, ALL[:n])
    root = ROOTS[n]
    assert not verify_inclusion(OTHER[i], i, n, proof, root)
    assert not verify_inclusion(ALL[i], i, n, proof, flip(root, data.draw(st.integers(0, 7))))
    other_index = data.draw(st.integers(0, n + 2).filter(lambda j: j != i))
    assert not verify_inclusion(ALL[i], other_index, n, proof, root)
    # Sizes: a proof never passes against the (size, root) head of a different size.
    # (ROOTS[m] is the real head of size m; pairing size 301 with ROOTS[300] would not be a head.)
    other_size = data.draw(st.integers(0, len(ROOTS) - 1).filter(lambda m: m != n))
    assert not verify_inclusion(ALL[i], i, other_size, proof, ROOTS[other_size])
    if proof:
        k = data.draw(st.integers(0, len(proof) - 1))
        bad = list(proof)
        bad[k] = flip(bad[k], data.draw(st.integers(0, 7)))
        assert not verify_inclusion(ALL[i], i, n, bad, root)
        assert not verify_inclusion(ALL[i], i, n, proof[:-1], root)
    assert not verify_inclusion(ALL[i], i, n, [*proof, root], root)
    assert not verify_inclusion(ALL[i], i, n, [root, *proof], root)


def test_inclusion_proof_does_not_bind_the_size_on_its_own() -> None:
    # Leaf 0 has the same path shape in trees of 3 and 4 leaves, so the size-4 proof also passes
    # with size 3 against the size-4 root: only a signed (size, root) head binds the two.
    proof = inclusion_proof(0, ALL[:4])
    assert verify_inclusion(ALL[0], 0, 3, proof, ROOTS[4])
    assert not verify_inclusion(ALL[0], 0, 3, proof, ROOTS[3])


@PROPERTY
@given(two_sizes)
def test_consistency_proof_matches_rfc_and_verifies(sizes: list[int]) -> None:
    m, n = sizes
    proof = consistency_proof(m, ALL[:n])
    assert proof == ([] if m in (0, n) else ref_proof(m, ALL[:n]))
    assert consistency_proof_lazy(m, n, range_root_from_leaves(ALL.__getitem__)) == proof
    assert verify_consistency(m, n, ROOTS[m], ROOTS[n], proof)


@PROPERTY
@given(two_sizes, st.data())
def test_consistency_fails_when_either_root_or_the_proof_is_altered(
    sizes: list[int], data: st.DataObject,
) -> None:
    m, n = sizes
    proof = consistency_proof(m, ALL[:n])
    bit = data.draw(st.integers(0, 7))
    assert not verify_consistency(m, n, flip(ROOTS[m], bit), ROOTS[n], proof)
    if m != 0:  # the empty tree constrains nothing about the new root
        assert not verify_consistency(m, n, ROOTS[m], flip(ROOTS[n], bit), proof)
    # A new tree that rewrote any leaf of the old one is not consistent with it, whatever the proof.
    if 0 < m < n:
        forked = list(ALL[:n])
        j = data.draw(st.integers(0, m - 1))
        forked[j] = OTHER[j]
        assert not verify_consistency(m, n, ROOTS[m], ref_mth(forked), proof)
        assert not verify_consistency(m, n, ROOTS[m], ref_mth(forked), consistency_proof(m, forked))
    if proof:
        k = data.draw(st.integers(0, len(proof) - 1))
        bad = list(proof)
        bad[k] = flip(bad[k], bit)
        assert not verify_consistency(m, n, ROOTS[m], ROOTS[n], bad)
        assert not verify_consistency(m, n, ROOTS[m], ROOTS[n], proof[:-1])
    assert not verify_consistency(m, n, ROOTS[m], ROOTS[n], [*proof, ROOTS[n]])


@pytest.mark.parametrize(("old", "n"), [(-1, 5), (6, 5)])
def test_consistency_proof_rejects_out_of_range_sizes(old: int, n: int) -> None:
    with pytest.raises(ValueError):
        consistency_proof(old, ALL[:n])
    with pytest.raises(ValueError):
        consistency_proof_lazy(old, n, range_root_from_leaves(ALL.__getitem__))


def test_lazy_builders_ask_only_for_subtrees_inside_the_tree() -> None:
    asked: list[tuple[int, int]] = []
    plain = range_root_from_leaves(ALL.__getitem__)

    def spy(start: int, end: int) -> bytes:
        asked.append((start, end))
        return plain(start, end)

    inclusion_proof_lazy(77, 200, spy)
    consistency_proof_lazy(77, 200, spy)
    assert asked and all(0 <= s < e <= 200 for s, e in asked)
