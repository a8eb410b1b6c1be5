"""Evidence packages: safe readable names, documents under the signature, constant memory."""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from broker.adapters import evidence

START = datetime(2026, 11, 20, 7, 30, 5, tzinfo=UTC)
CLIP = "3f2a9c1b-0d4e-4f6a-8b7c-1234567890ab"


def test_a_clip_is_named_by_its_camera_start_and_id():
    name = evidence.clip_file_name("둔산동 시청앞 교차로 1", START, CLIP, ".mp4")
    assert name == "clips/둔산동_시청앞_교차로_1_20261120T073005Z_3f2a9c1b.mp4"
    kst = START.astimezone(timezone(timedelta(hours=9)))
    assert evidence.clip_file_name("둔산동 시청앞 교차로 1", kst, CLIP, ".mp4") == name


@pytest.mark.parametrize(("camera", "expected"), [
    ("../../etc/passwd", "etc_passwd"),
    ("C:\\Windows\\cam", "C_Windows_cam"),
    ("cam: <north> | \"gate\"?*", "cam_north_gate"),
    ("  .hidden. ", "hidden"),
    ("\x00\x1f\x7f", "camera"),
    ("", "camera"),
    ("서구청 (정문) CCTV-03", "서구청_(정문)_CCTV-03"),
    ("\u1103\u1161\u11ab", "\ub2e8"),  # Hangul in decomposed jamo: NFC, one syllable
])
def test_camera_names_are_made_safe(camera: str, expected: str):
    assert evidence.clip_file_name(camera, START, CLIP, ".bin") == \
        f"clips/{expected}_20261120T073005Z_3f2a9c1b.bin"


@given(st.text(max_size=300))
def test_no_name_escapes_the_clips_folder(camera: str):
    name = evidence.clip_file_name(camera, START, CLIP, ".mkv")
    folder, _, file = name.partition("/")
    assert folder == "clips" and file and "/" not in file and "\\" not in file
    assert not file.startswith(".")
    assert all(ch.isprintable() and not ch.isspace() for ch in file)
    assert len(file) <= evidence.MAX_CAMERA_CHARS + 40


def test_odd_extensions_fall_back_to_bin():
    assert evidence.clip_file_name("cam", START, CLIP, "/../x").endswith("_3f2a9c1b.bin")


def test_names_that_would_repeat_take_the_whole_clip_id():
    other = "3f2a9c1b-ffff-4f6a-8b7c-1234567890ab"
    names = evidence.unique_clip_file_names([("cam", START, CLIP, ".mp4"), ("cam", START, other, ".mp4"),
                                             ("cam", START + timedelta(minutes=1), CLIP, ".mp4")])
    assert names == ["clips/cam_20261120T073005Z_3f2a9c1b0d4e4f6a8b7c1234567890ab.mp4",
                     "clips/cam_20261120T073005Z_3f2a9c1bffff4f6a8b7c1234567890ab.mp4",
                     "clips/cam_20261120T073105Z_3f2a9c1b.mp4"]


def package(tmp_path: Path, body: bytes, report: bytes, key: Ed25519PrivateKey,
            tamper: str | None = None) -> Path:
    name = evidence.clip_file_name("대전 cam", START, CLIP, ".mp4")
    manifest = evidence.canonical({
        "format": evidence.FORMAT,
        "clips": [{"file": name, "size": len(body), "sha256": hashlib.sha256(body).hexdigest()}],
        "documents": [{"file": evidence.REPORT_FILE, "size": len(report),
                       "sha256": hashlib.sha256(report).hexdigest()}]})
    if tamper == "report":
        report = report[:-1] + b"?"
    documents = [] if tamper == "drop" else [(evidence.REPORT_FILE, report)]
    zipped = b"".join(evidence.stream_files(manifest, evidence.signature_document(manifest, key),
                                            [(name, lambda: iter([body]))], documents=documents))
    path = tmp_path / "export.zip"
    path.write_bytes(zipped)
    return path


def test_documents_are_listed_and_checked_like_clips(tmp_path: Path):
    key = Ed25519PrivateKey.generate()
    good = package(tmp_path, b"footage" * 100, b"%PDF-1.7 report", key)
    check = evidence.verify_package(good, key.public_key())
    assert check.ok, check.problems
    with zipfile.ZipFile(good) as archive:
        names = archive.namelist()
        assert names == ["manifest.json", "manifest.sig", evidence.REPORT_FILE,
                         "clips/대전_cam_20261120T073005Z_3f2a9c1b.mp4"]
        assert archive.getinfo(names[-1]).flag_bits & 0x800  # the name is stored as UTF-8
    altered = evidence.verify_package(package(tmp_path, b"x", b"%PDF report", key, "report"),
                                      key.public_key())
    assert altered.problems == [f"{evidence.REPORT_FILE}: content does not match the manifest"]
    dropped = evidence.verify_package(package(tmp_path, b"x", b"%PDF", key, "drop"), key.public_key())
    assert dropped.problems == [f"{evidence.REPORT_FILE}: missing"]


def test_a_member_whose_crc_fails_is_a_problem_not_a_crash(tmp_path: Path):
    key = Ed25519PrivateKey.generate()
    path = package(tmp_path, b"A" * 5000, b"%PDF", key)
    data = bytearray(path.read_bytes())
    data[data.index(b"A" * 100) + 10] ^= 1  # inside the stored clip, behind zipfile's back
    path.write_bytes(bytes(data))
    problems = evidence.verify_package(path, key.public_key()).problems
    assert len(problems) == 1 and "unreadable" in problems[0]


def test_the_zip_streams_one_chunk_at_a_time():
    """Each piece is out before the next chunk is asked for, and none is bigger than a chunk."""
    chunk = 1 << 20
    produced = 0
    handed_out = 0

    def body() -> Iterator[bytes]:
        nonlocal produced
        for _ in range(64):
            assert produced - handed_out <= chunk + 4096  # never more than one chunk behind
            produced += chunk
            yield bytes(chunk)

    for piece in evidence.stream_files(b"{}", b"{}", [("clips/a.bin", body)], documents=[("r.pdf", b"%")]):
        assert len(piece) <= chunk
        handed_out += len(piece)
    assert produced == 64 * chunk
    with zipfile.ZipFile(io.BytesIO(b"".join(evidence.stream_files(
            b"{}", b"{}", [("clips/a.bin", lambda: iter([b"abc"]))])))) as archive:
        assert archive.read("clips/a.bin") == b"abc"
