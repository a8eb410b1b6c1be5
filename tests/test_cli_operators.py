"""The command line as an operator meets it: one-line errors and exit codes, machine formats,
cameras by key, the watched folder, progress only on a terminal."""

from __future__ import annotations

import csv
import io
import json
import os
import time

import pytest
from rich.console import Console

from broker import __version__
from broker.entrypoints.cli import common, run
from tests.support.cctv_files import register
from tests.support.videos import tiny_video


@pytest.fixture
def bare(tmp_path, monkeypatch):
    """A shell where `broker init` has not run."""
    monkeypatch.setenv("BROKER_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("BROKER_KEYS_DIR", str(tmp_path / "keys"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def env(bare, capsys):
    assert run(["init"]) == 0
    capsys.readouterr()
    return bare


def broker(capsys, *args: str, code: int = 0) -> tuple[str, str]:
    """Run one command; (stdout, stderr), asserting its exit code."""
    assert run(list(args)) == code, capsys.readouterr()
    return capsys.readouterr()


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


def test_version(bare, capsys) -> None:
    stdout, _ = broker(capsys, "--version")
    assert stdout.strip() == f"footage-broker {__version__}"


def test_commands_before_init_point_at_init(bare, capsys) -> None:
    for command in (["clients", "list"], ["cameras", "list"], ["keys", "rotate"], ["keys", "prune"],
                    ["keys", "public"], ["purge", "--dry-run"]):
        _, stderr = broker(capsys, *command, code=2)
        assert "run `broker init` first" in one_line(stderr)
    assert not (bare / "keys").exists()  # and nothing was half-made


@pytest.mark.parametrize(("args", "code", "message"), [
    (["cameras", "import", "nothere.csv"], 1, "register nothere.csv: no such file"),
    (["audit", "verify", "--public-key", "nothere.pem"], 1, "public key nothere.pem: no such file"),
    (["audit", "verify", "--public-key", "bad.pem"], 1, "bad.pem is not a PEM public key"),
    (["export", "verify", "x.zip", "--public-key", "bad.pem"], 1, "bad.pem is not a PEM public key"),
    (["ingest", "clip.mp4", "--camera", "nope", "--start", "2026-01-01T00:00:00+09:00",
      "--end", "2026-01-01T00:01:00+09:00"], 1, "no camera with camera id, key, 관리번호 or name 'nope'"),
    (["ingest", "clip.mp4", "--camera", "00000000-0000-0000-0000-000000000000", "--start",
      "2026-01-01T00:00:00+09:00", "--end", "2026-01-01T00:01:00+09:00"], 1, "no camera with camera id"),
    (["ingest", "clip.mp4", "--camera", "x", "--start", "yesterday", "--end", "now"], 1,
     "--start 'yesterday' is not an RFC 3339 time"),
    (["ingest"], 2, "give a FILE"),
    (["ingest", "--watch", "nowhere"], 1, "--watch nowhere: no such folder"),
    (["ingest", "--watch", ".", "--pattern", "{camera}.mp4"], 2, "does not give the year"),
    (["ingest", "--watch", ".", "--timezone", "Mars/Olympus"], 1, "is not a time zone"),
    (["cameras", "list", "--near", "127.38,36.35"], 1, "latitude must be in [-90, 90]"),
    (["cameras", "list", "--near", "here"], 1, "is not LAT,LON"),
    (["cameras", "show", "nope"], 1, "no camera"),
    (["clients", "revoke", "nope"], 1, "no client"),
    (["cameras", "list", "--colour"], 2, "No such option"),
    (["nosuch"], 2, "No such command"),
])
def test_errors_are_one_line(env, capsys, args, code, message) -> None:
    (env / "bad.pem").write_text("not a key\n")
    (env / "x.zip").write_bytes(b"PK")
    (env / "clip.mp4").write_bytes(b"video")
    _, stderr = broker(capsys, *args, code=code)
    assert message in one_line(stderr)


SAMPLE = register(300, seed=7)


def test_import_list_find_show_by_key(env, capsys) -> None:
    path = env / "cctv.csv"
    path.write_bytes(SAMPLE.encoded("cp949"))
    stdout, stderr = broker(capsys, "cameras", "import", str(path), "--show", "3")
    assert (f"{len(SAMPLE.sites)} rows: {len(SAMPLE.usable) - SAMPLE.with_warnings} imported, "
            f"{SAMPLE.with_warnings} with warnings, {SAMPLE.rejected} rejected") in stdout
    assert f"cameras: created {SAMPLE.camera_count}, updated 0 (0 moved), unchanged 0" in stdout
    assert "more warning lines" in stderr and "Traceback" not in stderr
    report = json.loads(broker(capsys, "cameras", "import", str(path), "--format", "json")[0])
    assert report["cameras"]["unchanged"] == SAMPLE.camera_count

    listing = json.loads(broker(capsys, "cameras", "list", "--format", "json", "--limit", "5")[0])
    assert len(listing) == 5 and all(len(c["id"]) == 36 for c in listing)
    rows = list(csv.DictReader(io.StringIO(
        broker(capsys, "cameras", "list", "--format", "csv")[0].lstrip("\ufeff"))))
    assert len(rows) == SAMPLE.camera_count and rows[0]["id"] == listing[0]["id"]
    # A table piped is never cut at 80 columns: full ids and addresses on their lines.
    table = broker(capsys, "cameras", "list", "--limit", "3")[0]
    for camera in listing[:3]:
        assert any(camera["id"] in line and camera["key"] in line for line in table.splitlines())

    site = next(s for s in SAMPLE.usable if s.kind == "good")
    near = json.loads(broker(capsys, "cameras", "find", "--near", f"{site.lat},{site.lon}",
                             "--radius", "10", "--format", "json")[0])
    assert near and near[0]["distance_m"] < 1
    found = json.loads(broker(capsys, "cameras", "find", near[0]["key"], "--format", "json")[0])
    assert [c["id"] for c in found] == [near[0]["id"]]
    shown = json.loads(broker(capsys, "cameras", "show", near[0]["key"])[0])
    assert shown["id"] == near[0]["id"] and shown["data_date"] == SAMPLE.data_date


def test_ingest_by_key_and_from_a_watched_folder(env, capsys) -> None:
    (env / "cctv.csv").write_bytes(("관리번호,관리기관명,소재지도로명주소,카메라대수,위도,경도\n"
                                    "M-1,서구청,둔산로 1,1,36.355,127.3837\n").encode("cp949"))
    broker(capsys, "cameras", "import", str(env / "cctv.csv"))
    clip = env / "clip.mp4"
    clip.write_bytes(tiny_video())
    stdout, _ = broker(capsys, "ingest", str(clip), "--camera", "mn-M-1#1",
                       "--start", "2026-01-01T00:00:00+09:00", "--end", "2026-01-01T00:01:00+09:00")
    assert stdout.startswith("clip ") and f"{len(tiny_video())} bytes" in stdout

    export = env / "export"
    for minute in ("00", "01"):
        segment = export / "M-1" / "2026-01-02" / "09" / f"{minute}.00.mp4"
        segment.parent.mkdir(parents=True, exist_ok=True)
        segment.write_bytes(tiny_video(int(minute) + 1))
        os.utime(segment, (time.time() - 60, time.time() - 60))
    (export / "UNKNOWN" / "2026-01-02" / "09").mkdir(parents=True)
    stray = export / "UNKNOWN" / "2026-01-02" / "09" / "00.00.mp4"
    stray.write_bytes(b"x")
    os.utime(stray, (time.time() - 60, time.time() - 60))
    watch = ["ingest", "--watch", str(export), "--segment-seconds", "60", "--settle", "5", "--once"]
    stdout, stderr = broker(capsys, *watch)
    assert stdout.count("ingested M-1/2026-01-02/09/") == 2
    assert "2026-01-02T09:00:00+09:00 .. 2026-01-02T09:01:00+09:00" in stdout
    assert "failed UNKNOWN/2026-01-02/09/00.00.mp4: no camera" in stderr
    assert "stopped: 2 ingested, 1 failed" in stderr
    stdout, stderr = broker(capsys, *watch)  # a restart: nothing twice
    assert "ingested" not in stdout and "stopped: 0 ingested, 0 failed" in stderr
    failures = json.loads(broker(capsys, "ingest", "--watch", str(export), "--failures",
                                 "--format", "json")[0])
    assert [f["path"] for f in failures] == ["UNKNOWN/2026-01-02/09/00.00.mp4"]


def test_the_audit_trail_of_a_camera_by_its_key(env, capsys) -> None:
    broker(capsys, "demo")
    camera = json.loads(broker(capsys, "cameras", "list", "--format", "json", "--limit", "1")[0])[0]
    query = ["audit", "query", "--format", "json", "--camera"]
    by_id = json.loads(broker(capsys, *query, camera["id"])[0])
    by_key = json.loads(broker(capsys, *query, camera["key"])[0])
    assert by_id and [e["position"] for e in by_key][:len(by_id)] == [e["position"] for e in by_id]
    assert all(camera["id"] in e["camera_ids"] for e in by_key if e["event_type"] != "AuditAccess.Queried")
    _, stderr = broker(capsys, *query, "nope", code=1)
    assert "no camera with camera id, key, 관리번호 or name 'nope'" in one_line(stderr)


def test_keys_prune_prunes_and_rotates_nothing(env, capsys) -> None:
    stdout, _ = broker(capsys, "keys", "prune")
    assert "nothing to remove; KEK versions [1] (active 1)" in stdout
    broker(capsys, "keys", "rotate")
    stdout, _ = broker(capsys, "keys", "prune")
    assert "removed KEK versions [1]; kept [2] (active 2)" in stdout
    assert "nothing to remove; KEK versions [2] (active 2)" in broker(capsys, "keys", "prune")[0]


def test_every_list_speaks_json_and_csv(env, capsys) -> None:
    broker(capsys, "demo")
    clients = json.loads(broker(capsys, "clients", "list", "--format", "json")[0])
    assert len(clients) == 7 and all(len(c["id"]) == 36 for c in clients)
    assert broker(capsys, "clients", "list", "--format", "csv")[0].lstrip("\ufeff").startswith(
        "id,name,role,agency,status")
    due = json.loads(broker(capsys, "purge", "--dry-run", "--as-of", "2099-01-01T00:00:00+09:00",
                            "--format", "json")[0])
    assert len(due) == 3 and {d["verdict"] for d in due} == {"retention"}
    ledger = broker(capsys, "audit", "ledger", "--format", "table")[0]
    assert "provided_at" in ledger


def test_progress_bars_only_on_a_terminal(monkeypatch) -> None:
    with common.progress_bar("import") as progress:
        assert progress is common.no_progress  # tests, pipes: nothing drawn
    screen = io.StringIO()
    monkeypatch.setattr(common, "err", Console(file=screen, force_terminal=True, width=100))
    with common.progress_bar("import") as progress:
        progress("comparing", 5, 10)
    assert "import: comparing" in screen.getvalue()
