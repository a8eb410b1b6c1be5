"""Using a grant: scope, Range, views recorded, signed exports, expiry, purge, live tokens."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import timedelta
from uuid import UUID

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from broker.adapters.evidence import verify_package
from broker.domain.clip import Clip
from broker.domain.roles import Role
from tests.api.conftest import bearer
from tests.api.helpers import add_cameras, crime_request
from tests.api.test_auth import assert_problem
from tests.conftest import SHELL, T0
from tests.support.videos import padded


def ingest(broker, camera_id: str, start_minutes_ago: float, minutes: float = 1,
           size: int = 200_000) -> tuple[str, bytes]:
    body = padded(size)
    clip, _ = broker.clips.ingest(SHELL,
        camera_id=UUID(camera_id), start=T0 - timedelta(minutes=start_minutes_ago),
        end=T0 - timedelta(minutes=start_minutes_ago - minutes), chunks=[body])
    return clip["id"], body


@pytest.fixture
def scene(api, broker, keys):
    """Cameras, clips in and out of scope, and a granted police request (window 2h..1h ago)."""
    cameras = add_cameras(broker)
    inside, inside_body = ingest(broker, cameras[0], start_minutes_ago=100, size=2_500_000)
    second, second_body = ingest(broker, cameras[1], start_minutes_ago=90)
    straddling, _ = ingest(broker, cameras[0], start_minutes_ago=60.5)  # ends after the window
    before, _ = ingest(broker, cameras[0], start_minutes_ago=150)
    far_camera, _ = ingest(broker, cameras[4], start_minutes_ago=100)  # camera not in scope
    police = bearer(keys[Role.POLICE])
    request = api.post("/v1/requests", json=crime_request(), headers=police).json()
    assert request["status"] == "granted"
    return {"grant": request["grant"]["id"], "request": request["id"], "police": police,
            "inside": (inside, inside_body), "second": (second, second_body),
            "straddling": straddling, "before": before, "far_camera": far_camera}


def content_url(scene, clip_id: str) -> str:
    return f"/v1/grants/{scene['grant']}/clips/{clip_id}/content"


def test_listing_shows_only_clips_wholly_inside_the_grant(api, scene):
    items = api.get(f"/v1/grants/{scene['grant']}/clips", headers=scene["police"]).json()["items"]
    assert [item["id"] for item in items] == [scene["inside"][0], scene["second"][0]]


def test_content_streams_whole_or_by_range_and_every_read_is_recorded(api, broker, scene):
    clip_id, body = scene["inside"]
    whole = api.get(content_url(scene, clip_id), headers=scene["police"])
    assert whole.status_code == 200 and whole.content == body
    assert whole.headers["x-clip-sha256"] == hashlib.sha256(body).hexdigest()
    ranged = api.get(content_url(scene, clip_id), headers={**scene["police"],
                                                           "Range": "bytes=1048570-2097160"})
    assert ranged.status_code == 206
    assert ranged.content == body[1048570:2097161]
    assert ranged.headers["content-range"] == f"bytes 1048570-2097160/{len(body)}"
    suffix = api.get(content_url(scene, clip_id), headers={**scene["police"], "Range": "bytes=-10"})
    assert suffix.content == body[-10:]
    assert_problem(api.get(content_url(scene, clip_id),
                           headers={**scene["police"], "Range": f"bytes={len(body)}-"}), 416)
    views = [e for e in broker.app.recorder.select_events(UUID(scene["request"]))
             if e.topic.endswith("FootageRequest.Viewed")]
    assert len(views) == 3
    event = broker.app.mapper.to_domain_event(views[1])
    assert (event.clip_id, event.byte_range, event.grant_id) == (clip_id, "1048570-2097160",
                                                                 scene["grant"])
    assert event.client_id


def test_clips_outside_the_grant_are_forbidden(api, scene):
    for clip_id in (scene["straddling"], scene["before"], scene["far_camera"]):
        assert_problem(api.get(content_url(scene, clip_id), headers=scene["police"]), 403)
    assert_problem(api.get(content_url(scene, "00000000-0000-0000-0000-0000000000aa"),
                           headers=scene["police"]), 404)


def test_another_client_cannot_see_the_grant(api, broker, scene):
    _, other = broker.clients.register(SHELL, name="other", role="police", agency="세종경찰청")
    assert_problem(api.get(f"/v1/grants/{scene['grant']}/clips", headers=bearer(other)), 404)
    assert_problem(api.get(content_url(scene, scene["inside"][0]), headers=bearer(other)), 404)


def test_expired_grant_is_forbidden(api, broker, clock, scene):
    clock.advance(timedelta(hours=73))
    assert_problem(api.get(content_url(scene, scene["inside"][0]), headers=scene["police"]), 403)


def test_purged_clip_is_gone(api, broker, clock, scene):
    clip = broker.app.load(UUID(scene["second"][0]), Clip, "clip")
    broker.vault.destroy(clip.key_id, clip.blob_id)
    clip.purge("retention", at=clock.now())
    broker.app.record(clip)
    broker.projector.catch_up()  # a purge recorded behind the API's back
    assert_problem(api.get(content_url(scene, scene["second"][0]), headers=scene["police"]), 410)


def test_closed_request_ends_access(api, scene):
    api.post(f"/v1/requests/{scene['request']}/close", headers=scene["police"])
    assert_problem(api.get(content_url(scene, scene["inside"][0]), headers=scene["police"]), 403)
    assert_problem(api.post(f"/v1/grants/{scene['grant']}/exports", headers=scene["police"]), 403)


def test_export_is_a_signed_package_that_verifies_offline(api, broker, scene, tmp_path):
    response = api.post(f"/v1/grants/{scene['grant']}/exports", headers=scene["police"])
    assert response.status_code == 200, response.text
    assert response.headers["content-length"] == str(len(response.content))  # told up front
    package = tmp_path / "export.zip"
    package.write_bytes(response.content)
    public_key = broker.signing_key.public_key()
    check = verify_package(package, public_key)
    assert check.ok, check.problems
    manifest = check.manifest
    assert manifest["legal_basis"]["id"] == "crime_investigation"
    assert manifest["decision"]["pack_id"] == "kr-pipa"
    assert manifest["recipient"]["role"] == "police"
    assert manifest["restrictions"]
    assert {c["clip_id"] for c in manifest["clips"]} == {scene["inside"][0], scene["second"][0]}
    inside = next(c for c in manifest["clips"] if c["clip_id"] == scene["inside"][0])
    assert inside["file"] == f"clips/cam_0_20261120T072000Z_{scene['inside'][0][:8]}.mp4"
    assert inside["camera"] == {"name": "cam 0", "address": "둔산동"}
    [report] = manifest["documents"]
    assert (report["file"], report["media_type"]) == ("chain-of-custody.pdf", "application/pdf")
    with zipfile.ZipFile(package) as archive:
        assert archive.read(inside["file"]) == scene["inside"][1]
        assert archive.read("chain-of-custody.pdf").startswith(b"%PDF-")
    exported = [e for e in broker.app.recorder.select_events(UUID(scene["request"]))
                if e.topic.endswith("FootageRequest.Exported")]
    assert len(exported) == 1
    assert broker.app.mapper.to_domain_event(exported[0]).export_id == manifest["export_id"]

    assert not verify_package(package, Ed25519PrivateKey.generate().public_key()).ok
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(package) as source, zipfile.ZipFile(tampered, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.startswith("clips/cam_0"):
                data = data[:-1] + bytes([data[-1] ^ 1])
            target.writestr(item, data)
    problems = verify_package(tampered, public_key).problems
    assert problems and "does not match the manifest" in problems[0]


def test_export_of_a_chosen_subset_and_refusals(api, scene):
    url = f"/v1/grants/{scene['grant']}/exports"
    subset = api.post(url, json={"clip_ids": [scene["second"][0]]}, headers=scene["police"])
    names = zipfile.ZipFile(io.BytesIO(subset.content)).namelist()
    assert names == ["manifest.json", "manifest.sig", "chain-of-custody.pdf",
                     f"clips/cam_1_20261120T073000Z_{scene['second'][0][:8]}.mp4"]
    assert_problem(api.post(url, json={"clip_ids": [scene["far_camera"]]}, headers=scene["police"]),
                   403)


def test_public_keys_are_published_without_authentication(api, broker):
    keys = api.get("/v1/keys/public").json()["keys"]
    assert keys[0]["algorithm"] == "Ed25519" and "BEGIN PUBLIC KEY" in keys[0]["public_key_pem"]


def test_live_grant_carries_tokens_a_gateway_can_verify(api, broker, keys):
    add_cameras(broker, count=2)
    fire = bearer(keys[Role.FIRE])
    body = crime_request(legal_basis="imminent_danger", mode="live",
                         window={"start": T0.isoformat(), "end": (T0 + timedelta(hours=1)).isoformat()})
    granted = api.post("/v1/requests", json=body, headers=fire).json()
    assert granted["status"] == "granted", granted["decision"]["reasons"]
    tokens = granted["grant"]["live_tokens"]
    assert [t["camera_id"] for t in tokens] == granted["grant"]["camera_ids"]
    gateway = bearer(keys[Role.OPERATOR])
    verdict = api.post("/v1/live/verify", json={"token": tokens[0]["token"]}, headers=gateway).json()
    assert verdict["valid"] is True and verdict["camera_id"] == tokens[0]["camera_id"]
    forged = tokens[0]["token"][:-4] + ("AAAA" if not tokens[0]["token"].endswith("AAAA") else "BBBB")
    assert api.post("/v1/live/verify", json={"token": forged}, headers=gateway).json()["valid"] is False
    api.post(f"/v1/requests/{granted['id']}/close", headers=fire)
    after = api.post("/v1/live/verify", json={"token": tokens[0]["token"]}, headers=gateway).json()
    assert after == {"valid": False, "reason": "grant is no longer active"}
    assert_problem(api.post("/v1/live/verify", json={"token": "x"}, headers=fire), 403)


def test_police_exports_name_clips_readably_and_carry_a_chain_of_custody_report(
        api, broker, keys, tmp_path):
    """Camera name + start time + the real extension; the PDF says who got what, on what basis."""
    from fractions import Fraction

    from pypdf import PdfReader

    from broker.domain.camera import CameraSpec
    from tests.video.samples import encode_pyav

    [(camera_id, _)] = broker.cameras.upsert(SHELL, [CameraSpec(
        key="dunsan-1", name="둔산동 시청앞/교차로 1", agency="대전광역시 서구청", purpose="생활방범",
        purpose_category="crime_prevention", address="대전 서구 둔산로 100", lat=36.3504,
        lon=127.3845, coverage_m=50.0, retention_days=30)])
    encode_pyav(tmp_path / "clip.mp4", "libx264", frames=5, width=64, height=48, fps=Fraction(10))
    video = (tmp_path / "clip.mp4").read_bytes()
    encode_pyav(tmp_path / "clip.mkv", "libx264", frames=5, width=64, height=48, fps=Fraction(10))
    clips = []
    for minutes_ago, body in ((100, video), (95, (tmp_path / "clip.mkv").read_bytes())):
        clip, _ = broker.clips.ingest(SHELL, camera_id=camera_id,
                                      start=T0 - timedelta(minutes=minutes_ago),
                                      end=T0 - timedelta(minutes=minutes_ago - 1), chunks=[body])
        clips.append(clip)
    police = bearer(keys[Role.POLICE])
    grant = api.post("/v1/requests", json=crime_request(), headers=police).json()["grant"]["id"]
    response = api.post(f"/v1/grants/{grant}/exports", headers=police)
    assert response.status_code == 200, response.text
    package = tmp_path / "export.zip"
    package.write_bytes(response.content)
    check = verify_package(package, broker.signing_key.public_key())
    assert check.ok, check.problems
    manifest = check.manifest
    assert manifest["format"] == "footage-broker-export/2"
    files = [c["file"] for c in manifest["clips"]]
    assert files == [f"clips/둔산동_시청앞_교차로_1_20261120T072000Z_{clips[0]['id'][:8]}.mp4",
                     f"clips/둔산동_시청앞_교차로_1_20261120T072500Z_{clips[1]['id'][:8]}.mkv"]
    with zipfile.ZipFile(package) as archive:
        assert archive.read(files[0]) == video
        report = archive.read("chain-of-custody.pdf")
    [document] = manifest["documents"]
    assert document["sha256"] == hashlib.sha256(report).hexdigest()

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(report)).pages)
    # pypdf puts a NUL before each character of this (CFF, Identity-H) font; poppler does not.
    # Extraction may break lines anywhere in ids and digests: compare without white space.
    flat = "".join(text.replace("\x00", "").split())
    for needed in ("Chain-of-custody report", manifest["export_id"], "crime_investigation",
                   manifest["legal_basis"]["citation"], manifest["decision"]["decision_id"],
                   manifest["recipient"]["agency"], manifest["recipient"]["client_id"],
                   manifest["signing_key_id"], "둔산동 시청앞/교차로 1", "대전 서구 둔산로 100",
                   *(c["sha256"] for c in manifest["clips"]), *files, *manifest["restrictions"]):
        assert "".join(needed.split()) in flat, needed

    for name in ("chain-of-custody.pdf", files[0]):  # the report is covered like a clip
        tampered = tmp_path / "tampered.zip"
        with zipfile.ZipFile(package) as source, zipfile.ZipFile(tampered, "w") as target:
            for item in source.infolist():
                data = source.read(item)
                target.writestr(item, data + b" " if item.filename == name else data)
        assert verify_package(tampered, broker.signing_key.public_key()).problems == [
            f"{name}: content does not match the manifest"]


def test_a_view_is_recorded_once_even_when_the_request_changed_since_it_was_checked(
        api, broker, scene, monkeypatch):
    """The request checked is the one recorded on; if another write came first, it is loaded
    again and the view recorded on that (never twice, never lost)."""
    from broker.application.core import RecordConflict

    record, attempts = broker.app.record, []

    def conflicting_once(*aggregates):
        attempts.append(len(aggregates))
        if len(attempts) == 1:
            raise RecordConflict("another process wrote first")
        return record(*aggregates)

    monkeypatch.setattr(broker.app, "record", conflicting_once)
    clip_id, body = scene["inside"]
    response = api.get(content_url(scene, clip_id), headers={**scene["police"], "Range": "bytes=0-9"})
    assert response.status_code == 206 and response.content == body[:10]
    assert len(attempts) == 2
    views = [e for e in broker.app.recorder.select_events(UUID(scene["request"]))
             if e.topic.endswith("FootageRequest.Viewed")]
    assert len(views) == 1
