"""TreeBuilder against the recursive RFC definition, and its resume state."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from broker.merkle import EMPTY_ROOT, BuilderState, TreeBuilder, range_root_from_leaves, root_hash
from broker.merkle.tree import split_point
from tests.merkle.reference import leaves, ref_mth

PROPERTY = settings(max_examples=200, deadline=None)
ALL = leaves(300)
REF_ROOTS = [ref_mth(ALL[:n]) for n in range(len(ALL) + 1)]


def test_builder_root_matches_reference_at_every_size_up_to_300() -> None:
    builder = TreeBuilder()
    assert builder.root() == EMPTY_ROOT
    for n, leaf in enumerate(ALL, start=1):
        builder.append(leaf)
        assert builder.size == n
        assert builder.root() == REF_ROOTS[n], n
    assert root_hash(ALL) == REF_ROOTS[-1]


def test_memory_is_one_hash_per_set_bit() -> None:
    builder = TreeBuilder()
    for n, leaf in enumerate(ALL, start=1):
        builder.append(leaf)
        assert len(builder.state().nodes) == bin(n).count("1")


@PROPERTY
@given(st.integers(0, 300), st.integers(0, 300))
def test_restore_continues_identically(cut: int, total: int) -> None:
    cut, total = min(cut, total), max(cut, total)
    first = TreeBuilder()
    first.extend(ALL[:cut])
    state = first.state()
    for saved in (state, BuilderState.from_bytes(state.to_bytes())):
        assert saved == state
        resumed = TreeBuilder.restore(saved)
        assert resumed.size == cut
        assert resumed.root() == REF_ROOTS[cut]
        for leaf in ALL[cut:total]:
            resumed.append(leaf)
        assert resumed.root() == REF_ROOTS[total]
    assert first.root() == REF_ROOTS[cut]  # restoring shares no state with the original


def test_state_levels_and_copy() -> None:
    builder = TreeBuilder()
    builder.extend(ALL[:13])
    assert [level for level, _ in builder.state().nodes] == [3, 2, 0]
    assert builder.state().nodes[0][1] == ref_mth(ALL[:8])
    twin = builder.copy()
    twin.append(ALL[13])
    assert builder.size == 13 and twin.size == 14
    assert builder.root() == REF_ROOTS[13] and twin.root() == REF_ROOTS[14]


@pytest.mark.parametrize(
    ("size", "nodes"),
    [
        (-1, ()),
        (1, ()),
        (0, ((0, b"\x00" * 32),)),
        (3, ((0, b"\x00" * 32), (1, b"\x00" * 32))),  # levels out of order
        (2, ((1, b"\x00" * 31),)),
        (5, ((2, b"\x00" * 32), (1, b"\x00" * 32))),
    ],
)
def test_state_rejects_wrong_shapes(size: int, nodes: tuple[tuple[int, bytes], ...]) -> None:
    with pytest.raises(ValueError):
        BuilderState(size, nodes)


@pytest.mark.parametrize(
    "blob", [b"", b"\x00" * 7, (3).to_bytes(8, "big") + b"\x00" * 32, b"\x00" * 8 + b"\x01"],
)
def test_state_from_bytes_rejects_bad_lengths(blob: bytes) -> None:
    with pytest.raises(ValueError):
        BuilderState.from_bytes(blob)


def test_append_rejects_hashes_of_the_wrong_length() -> None:
    builder = TreeBuilder()
    with pytest.raises(ValueError):
        builder.append(b"short")
    with pytest.raises(ValueError):
        builder.extend([ALL[0], b"short"])
    assert builder.size == 1  # the good prefix was kept


@PROPERTY
@given(st.integers(0, 300).flatmap(lambda end: st.tuples(st.integers(0, end), st.just(end))))
def test_range_root_is_mth_of_the_slice(bounds: tuple[int, int]) -> None:
    start, end = bounds
    assert range_root_from_leaves(ALL.__getitem__)(start, end) == ref_mth(ALL[start:end])


def test_range_root_rejects_inverted_ranges() -> None:
    with pytest.raises(ValueError):
        range_root_from_leaves(ALL.__getitem__)(5, 4)


@pytest.mark.parametrize(
    ("n", "k"), [(2, 1), (3, 2), (4, 2), (5, 4), (8, 4), (9, 8), (1000, 512), (2**40 + 1, 2**40)],
)
def test_split_point_is_largest_power_of_two_below(n: int, k: int) -> None:
    assert split_point(n) == k


def test_split_point_needs_two_leaves() -> None:
    with pytest.raises(ValueError):
        split_point(1)


@PROPERTY
@given(st.integers(0, 300), st.lists(st.integers(1, 120), max_size=8))
def test_extend_in_any_chunks_from_any_size_is_append_one_by_one(start: int, chunks: list[int]) -> None:
    """``extend`` hashes whole subtrees at once; wherever it starts and however the leaves are
    cut, the tree (and its resume state) is the one ``append`` builds."""
    builder, reference = TreeBuilder(), TreeBuilder()
    for leaf in ALL[:start]:
        builder.append(leaf)
        reference.append(leaf)
    at = start
    for size in chunks:
        chunk = ALL[at:at + size]
        builder.extend(chunk)
        for leaf in chunk:
            reference.append(leaf)
        at += len(chunk)
        assert builder.size == reference.size == at
        assert builder.root() == REF_ROOTS[at]
        assert builder.state() == reference.state()
