"""The streaming verifier: an honest log passes; one edit, deletion, swap or insertion is named."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from broker.merkle import Batch, Checkpoint, TreeBuilder, leaf_hash, root_hash, verify_batches, verify_log

PROPERTY = settings(max_examples=300, deadline=None)
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)

Log = list[bytes]


def heads(log: Log, sizes: list[int]) -> list[tuple[int, bytes]]:
    hashes = [leaf_hash(e) for e in log]
    return [(n, root_hash(hashes[:n])) for n in sizes]


def with_recorded(
    stream: list[tuple[int, bytes]], recorded: dict[int, bytes],
) -> list[tuple[int, bytes, bytes | None]]:
    """Recorded hashes live beside the log, keyed by position: tampering the stream does not move them."""
    return [(p, data, recorded.get(p)) for p, data in stream]


logs = st.lists(st.binary(max_size=24), min_size=1, max_size=60, unique=True)


@st.composite
def log_and_heads(draw: st.DrawFn) -> tuple[Log, list[tuple[int, bytes]]]:
    log = draw(logs)
    sizes = draw(st.lists(st.integers(0, len(log)), max_size=5))
    return log, heads(log, [*sizes, len(log)])  # the latest signed head always covers the whole log


@PROPERTY
@given(log_and_heads())
def test_an_honest_log_verifies(case: tuple[Log, list[tuple[int, bytes]]]) -> None:
    log, trusted = case
    recorded = {i: leaf_hash(e) for i, e in enumerate(log)}
    for stream in (list(enumerate(log)), with_recorded(list(enumerate(log)), recorded)):
        report = verify_log(stream, trusted)
        assert report.ok, report.reason
        assert report.events_checked == len(log)
        assert report.first_bad_position is None
        assert report.checked_checkpoints == len(trusted)


ATTACKS = ["edit", "delete", "delete_renumber", "swap_order", "swap_bytes", "insert", "insert_renumber"]


def attack(log: Log, kind: str, k: int, new: bytes) -> list[tuple[int, bytes]]:
    stream = list(enumerate(log))
    if kind == "edit":
        stream[k] = (k, new)
    elif kind == "delete":
        del stream[k]
    elif kind == "delete_renumber":
        stream = list(enumerate(log[:k] + log[k + 1 :]))
    elif kind == "swap_order":
        stream[k], stream[k + 1] = stream[k + 1], stream[k]
    elif kind == "swap_bytes":
        stream[k], stream[k + 1] = (k, log[k + 1]), (k + 1, log[k])
    elif kind == "insert":
        stream.insert(k, (k, new))
    elif kind == "insert_renumber":
        stream = list(enumerate([*log[:k], new, *log[k:]]))
    return stream


@st.composite
def tampered(draw: st.DrawFn) -> tuple[Log, list[tuple[int, bytes]], str, int, list[tuple[int, bytes]]]:
    log, trusted = draw(log_and_heads())
    kind = draw(st.sampled_from(ATTACKS))
    last = len(log) - (2 if kind.startswith("swap") else 1)
    if last < 0:
        log = [*log, b"\xff" * 25]  # swaps need two events; 25 bytes cannot collide with drawn ones
        trusted = heads(log, [len(log)])
        last = 0
    k = draw(st.integers(0, last))
    new = draw(st.binary(max_size=24).filter(lambda b: b not in log))
    return log, trusted, kind, k, attack(log, kind, k, new)


@PROPERTY
@given(tampered())
def test_one_tampering_is_found_and_named_with_recorded_hashes(
    case: tuple[Log, list[tuple[int, bytes]], str, int, list[tuple[int, bytes]]],
) -> None:
    log, trusted, kind, k, stream = case
    recorded = {i: leaf_hash(e) for i, e in enumerate(log)}
    report = verify_log(with_recorded(stream, recorded), trusted)
    assert not report.ok, kind
    assert report.first_bad_position == k, (kind, report)
    assert report.events_checked == k
    assert report.checked_checkpoints == sum(1 for n, _ in trusted if n <= k)


@PROPERTY
@given(tampered())
def test_one_tampering_is_found_from_checkpoints_alone(
    case: tuple[Log, list[tuple[int, bytes]], str, int, list[tuple[int, bytes]]],
) -> None:
    log, trusted, kind, k, stream = case
    report = verify_log(stream, trusted)
    assert not report.ok, kind
    if report.first_bad_position is None:  # content change: only the covering head's root disagrees
        assert kind in ("edit", "swap_bytes", "delete_renumber", "insert", "insert_renumber")
        covering = min(n for n, _ in trusted if n > k)
        assert f"[{max([0, *(n for n, _ in trusted if n <= k)])}, {covering})" in report.reason
    elif kind == "delete_renumber":  # the log is one short: the first missing position is at the end
        assert report.first_bad_position in (k, len(log) - 1)
    else:
        assert report.first_bad_position == k


def test_tail_deletion_is_caught_by_the_latest_head() -> None:
    log = [b"a", b"b", b"c", b"d"]
    report = verify_log(list(enumerate(log[:3])), heads(log, [2, 4]))
    assert not report.ok
    assert report.first_bad_position == 3 and report.events_checked == 3 and report.checked_checkpoints == 1
    assert "deleted" in report.reason


def test_events_after_the_latest_head_are_only_checked_against_recorded_hashes() -> None:
    log = [b"a", b"b", b"c"]
    assert verify_log(list(enumerate([*log, b"new"])), heads(log, [3])).ok
    report = verify_log([*enumerate(log), (3, b"new", leaf_hash(b"old"))], heads(log, [3]))
    assert not report.ok and report.first_bad_position == 3


def test_heads_may_be_checkpoints_in_any_order() -> None:
    log = [bytes([i]) for i in range(10)]
    pairs = heads(log, [0, 7, 3, 10, 3])
    trusted = [Checkpoint("log", n, r, T0) for n, r in pairs]
    report = verify_log(enumerate(log), trusted)
    assert report.ok and report.checked_checkpoints == 5
    report = verify_log(enumerate(log), [*trusted, Checkpoint("log", 3, pairs[0][1], T0)])
    assert not report.ok and report.checked_checkpoints == 3 and report.first_bad_position is None
    assert "disagree" in report.reason


def test_a_wrong_empty_head_fails_before_any_event() -> None:
    report = verify_log(enumerate([b"a"]), [(0, leaf_hash(b"a"))])
    assert not report.ok and report.events_checked == 0 and report.first_bad_position is None


def test_resume_from_a_builder_state() -> None:
    log = [bytes([i]) * 3 for i in range(50)]
    full = heads(log, [20, 35, 50])
    builder = TreeBuilder()
    assert verify_log(enumerate(log[:20]), full[:1], builder).ok
    saved = builder.state()
    resumed = TreeBuilder.restore(saved)
    report = verify_log(((i, log[i]) for i in range(20, 50)), full, resumed)
    assert report.ok and report.events_checked == 30 and report.checked_checkpoints == 3  # 20 at start
    assert resumed.size == 50 and resumed.root() == full[-1][1]
    report = verify_log(((i, log[i]) for i in range(19, 50)), full, TreeBuilder.restore(saved))
    assert not report.ok and report.first_bad_position == 19


def test_malformed_heads_are_programming_errors() -> None:
    with pytest.raises(ValueError):
        verify_log([], [(-1, b"\x00" * 32)])
    with pytest.raises(ValueError):
        verify_log([], [(1, b"short")])


def chunked(stream: list[tuple[int, bytes, bytes | None]], cuts: list[int]) -> list[Batch]:
    """The stream as batches: a new batch at every drawn cut and wherever positions stop running on."""
    batches: list[Batch] = []
    for i, (position, data, recorded) in enumerate(stream):
        last = batches[-1] if batches else None
        if last is None or i in cuts or position != last[0] + len(last[1]):
            batches.append((position, [], []))
            last = batches[-1]
        cast_data, cast_recorded = last[1], last[2]
        assert isinstance(cast_data, list) and isinstance(cast_recorded, list)
        cast_data.append(data)
        cast_recorded.append(recorded)
    return batches


@PROPERTY
@given(tampered(), st.lists(st.integers(0, 60), max_size=8), st.booleans())
def test_batches_of_any_size_report_what_the_stream_reports(
    case: tuple[Log, list[tuple[int, bytes]], str, int, list[tuple[int, bytes]]],
    cuts: list[int], with_hashes: bool,
) -> None:
    """The fast path (runs of leaves entering the tree as subtrees) finds the same fault, same words."""
    log, trusted, _kind, _k, stream = case
    recorded = {i: leaf_hash(e) for i, e in enumerate(log)} if with_hashes else {}
    entries = with_recorded(stream, recorded)
    assert verify_batches(chunked(entries, cuts), trusted) == verify_log(entries, trusted)
    honest = with_recorded(list(enumerate(log)), recorded)
    assert verify_batches(chunked(honest, cuts), trusted) == verify_log(honest, trusted)
