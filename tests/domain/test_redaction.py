"""The Redaction aggregate under any order of operations: nothing is downloadable (or
watchable) before a privacy officer's approval and the render that follows it, never more often
than allowed or after expiry or a purge; watching spends no download; a refused operation
changes nothing; the events rebuild the state."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st

from broker.domain.errors import DomainConflict, DomainInvalid
from broker.domain.redaction import MAX_WATCHES, Redaction

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
CLIPS = ["clip-a", "clip-b"]
MAX_DOWNLOADS = 3
EXPIRES = T0 + timedelta(hours=5)
FILMS = [{"clip_id": clip, "sha256": "aa" * 32, "frames_masked": 3} for clip in reversed(CLIPS)]

operations = st.one_of(
    st.tuples(st.just("start"), st.sampled_from([*CLIPS, "clip-x"])),
    st.tuples(st.just("draft"), st.sampled_from([*CLIPS, "clip-x"])),
    st.tuples(st.just("fail"), st.sampled_from(["decode", "render", "nonsense"])),
    st.tuples(st.just("requeue"), st.none()),
    st.tuples(st.just("keep"), st.sampled_from(CLIPS)),
    st.tuples(st.just("manual"), st.tuples(st.sampled_from(CLIPS), st.integers(-2, 12))),
    st.tuples(st.just("approve"), st.none()),
    st.tuples(st.just("render"), st.none()),
    st.tuples(st.just("download"), st.integers(0, 6)),  # hours after T0
    st.tuples(st.just("watch"), st.tuples(st.integers(0, 3), st.integers(0, 6))),  # clip, hours
    st.tuples(st.just("purge"), st.none()),
)


def _state(redaction: Redaction) -> dict[str, Any]:
    return copy.deepcopy({k: v for k, v in vars(redaction).items() if not k.startswith("_")})


def _apply(redaction: Redaction, op: str, arg: Any, at: datetime) -> Any:
    if op == "start":
        return redaction.start_clip(arg, 0, "centerface", at=at)
    if op == "draft":
        return redaction.draft_ready(arg, f"key-{arg}", f"blob-{arg}", "ab" * 32, 100, 10,
                                     {"face": 2, "plate": 1, "person": 0}, 0, at=at)
    if op == "fail":
        return redaction.fail(None, arg, "it broke", at=at)
    if op == "requeue":
        return redaction.requeue("officer", at=at)
    if op == "keep":
        return redaction.correct("officer", arg, ["face-1"], [], [], [], "the requester", at=at)
    if op == "manual":
        clip, last = arg
        box = {"x": 1.0, "y": 2.0, "w": 30.0, "h": 40.0, "from_frame": 0, "to_frame": last}
        return redaction.correct("officer", clip, [], [], [box], [], "a missed face", at=at)
    if op == "approve":
        return redaction.approve("officer", "looked at every track", at=at)
    if op == "render":
        return redaction.rendered("delivery-1", "key-d", "blob-d", "cd" * 32, 1000, "ef" * 32,
                                  EXPIRES.isoformat(), MAX_DOWNLOADS, FILMS, at=at)
    if op == "download":
        return redaction.download("portal", at=T0 + timedelta(hours=arg))
    if op == "watch":
        number, hours = arg
        return redaction.watch(number, "portal", at=T0 + timedelta(hours=hours))
    assert op == "purge"
    return redaction.purge("the request ended", at=at)


# The way to a download, in order, with any operation slipped in anywhere (random operations
# alone almost never get that far).
HAPPY = [("start", "clip-a"), ("draft", "clip-a"), ("draft", "clip-b"), ("approve", None),
         ("render", None)]


@st.composite
def histories(draw: st.DrawFn) -> list[tuple[str, Any]]:
    ops = HAPPY[:draw(st.just(len(HAPPY)) | st.integers(0, len(HAPPY)))]
    ops += [("download", draw(st.integers(0, 6))) for _ in range(draw(st.integers(0, 5)))]
    ops += [("watch", (draw(st.integers(0, 3)), draw(st.integers(0, 6))))
            for _ in range(draw(st.integers(0, 3)))]
    for noise in draw(st.lists(operations, max_size=12)):
        ops.insert(draw(st.integers(0, len(ops))), noise)
    return ops


@settings(max_examples=300, deadline=None)
@given(own_image=st.booleans(), ops=histories())
def test_only_an_approved_rendered_copy_is_downloaded_within_its_limits(own_image, ops):
    redaction = Redaction(request_id="3f1c2a4e-0000-4000-8000-000000000001", grant_id="grant-1",
                          clip_ids=CLIPS, own_image=own_image, by="officer", at=T0)
    approved = rendered = purged = False
    downloads = watches = 0
    for op, arg in ops:
        before = _state(redaction)
        try:
            result = _apply(redaction, op, arg, T0)
        except (DomainConflict, DomainInvalid):
            assert _state(redaction) == before, f"a refused {op} changed the redaction"
            if op == "download" and rendered and not purged:
                assert downloads == MAX_DOWNLOADS or T0 + timedelta(hours=arg) >= EXPIRES
            if op == "watch" and rendered and not purged:
                assert arg[0] not in (1, 2) or T0 + timedelta(hours=arg[1]) >= EXPIRES
            continue
        if op == "approve":
            assert all(clip in redaction.drafts for clip in CLIPS)
            approved = True
        elif op == "render":
            assert approved and not purged
            rendered = True
        elif op == "download":
            assert approved and rendered and not purged
            assert T0 + timedelta(hours=arg) < EXPIRES
            downloads += 1
            assert result == downloads <= MAX_DOWNLOADS
        elif op == "watch":
            assert approved and rendered and not purged
            assert T0 + timedelta(hours=arg[1]) < EXPIRES
            watches += 1
            assert result == sorted(CLIPS)[arg[0] - 1]  # the package's order: by clip id
        elif op == "purge":
            purged = True
        elif op in ("fail", "requeue"):
            assert arg != "nonsense" and not purged and redaction.status != "ready"
        else:  # start, draft, keep, manual: only before the approval
            assert not approved
            assert op != "keep" or own_image, "a detection was kept on a request not own-image"
    event(f"downloads: {downloads}")
    event(f"watches: {min(watches, 2)}")
    assert redaction.downloads == downloads and redaction.watches == watches
    assert redaction.provided == (downloads + watches > 0)
    events = redaction.collect_events()
    rebuilt = None
    for stored in events:
        rebuilt = stored.mutate(rebuilt)
    assert rebuilt is not None and _state(rebuilt) == _state(redaction)


def test_watching_has_its_own_wider_bound_and_spends_no_download():
    redaction = Redaction(request_id="3f1c2a4e-0000-4000-8000-000000000002", grant_id="grant-1",
                          clip_ids=CLIPS, own_image=False, by="officer", at=T0)
    for op, arg in HAPPY:
        _apply(redaction, op, arg, T0)
    for _ in range(MAX_WATCHES):
        redaction.watch(1, "portal", at=T0)
    before = _state(redaction)
    try:
        redaction.watch(2, "portal", at=T0)
    except DomainConflict as refused:
        assert "played" in refused.detail
    else:
        raise AssertionError("a watch beyond MAX_WATCHES was allowed")
    assert _state(redaction) == before
    assert redaction.download("portal", at=T0) == 1  # every download is still there
