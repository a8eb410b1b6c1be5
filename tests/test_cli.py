"""The command line, run in-process against real files in a temp dir."""

from __future__ import annotations

import json
import stat

import pytest
from typer.testing import CliRunner

from broker.domain.clip import Clip
from broker.entrypoints.cli import cli
from tests.support.videos import padded

runner = CliRunner()


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("BROKER_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("BROKER_KEYS_DIR", str(tmp_path / "keys"))
    invoke("keys", "init")
    return tmp_path


def invoke(*args: str):
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_demo_is_idempotent_and_writes_private_keys(env):
    first = invoke("demo")
    clients_file = env / "var" / "demo-clients.json"
    assert stat.S_IMODE(clients_file.stat().st_mode) == 0o600
    clients = json.loads(clients_file.read_text())["clients"]
    assert {c["role"] for c in clients} == {
        "police", "fire", "disaster", "operator", "privacy_officer", "auditor", "citizen_portal"}
    assert all(set(c) >= {"name", "role", "agency", "api_key"} for c in clients)
    assert "(0 new)" not in first
    second = invoke("demo")
    assert "(0 new)" in second and "0 clients created" in second
    assert json.loads(clients_file.read_text())["clients"] == clients


def test_clients_add_list_revoke(env):
    output = invoke("clients", "add", "--role", "police", "--agency", "대전경찰청")
    client_id = output.split("client id: ")[1].split()[0]
    api_key = output.strip().splitlines()[-1]
    assert api_key.startswith("fb_")
    listing = invoke("clients", "list")
    assert client_id in listing and api_key not in listing
    invoke("clients", "revoke", client_id)
    assert "revoked" in invoke("clients", "list")


def test_unknown_role_is_rejected(env):
    result = runner.invoke(cli, ["clients", "add", "--role", "mayor", "--agency", "x"])
    assert result.exit_code != 0


def test_cameras_import_reports_bad_rows(env, tmp_path):
    csv_file = tmp_path / "cctv.csv"
    csv_file.write_bytes(
        "관리기관명,소재지도로명주소,설치목적구분,카메라대수,보관일수,설치연월,위도,경도\n"
        "대전광역시 서구청,대전광역시 서구 둔산로 100,생활방범,2,30,2016-03,36.3504,127.3845\n"
        "대전광역시 서구청,대전광역시 서구 둔산로 200,생활방범,1,30,2016-03,36.35x,127.38\n"
        .encode("cp949")
    )
    output = invoke("cameras", "import", str(csv_file))
    assert "1 imported, 0 with warnings, 1 rejected" in output and "created 2" in output
    assert "line 3: rejected: 위도 (lat) '36.35x' is not a number" in output
    again = invoke("cameras", "import", str(csv_file))
    assert "created 0" in again and "unchanged 2" in again


def test_policy_check_prints_the_digest_and_rejects_bad_packs(env, tmp_path):
    from broker.config import BUNDLED_PACKS

    output = invoke("policy", "check", str(BUNDLED_PACKS / "kr-pipa.toml"))
    assert "sha256:" in output and "crime_investigation" in output
    bad = tmp_path / "bad.toml"
    bad.write_text('id = "x"\n')
    result = runner.invoke(cli, ["policy", "check", str(bad)])
    assert result.exit_code != 0


def test_keys_init_is_idempotent_and_private(env):
    keys = env / "keys"
    assert stat.S_IMODE((keys / "kek.json").stat().st_mode) == 0o600
    assert "already present" in invoke("keys", "init")
    assert "key id:" in invoke("keys", "public")


def test_exposed_key_file_refuses_to_start(env):
    (env / "keys" / "kek.json").chmod(0o644)
    result = runner.invoke(cli, ["clients", "list"])
    assert result.exit_code != 0
    assert "kek.json" in str(result.exception)


def test_ingest_and_rotate_keep_the_clip_readable(env, tmp_path):
    from broker.bootstrap import build
    from broker.config import load_settings

    invoke("demo")
    settings = load_settings()
    broker = build(settings)
    with broker.readmodel.reader.connect() as conn:
        from broker.readmodel.camera_view import cameras_near

        camera_id = cameras_near(conn, 36.3504, 127.3845, 10)[0].row["id"]
    broker.close()
    clip_file = tmp_path / "clip.mp4"
    clip_file.write_bytes(padded(1_100_000))  # a real video (every ingest is probed), ~1 MB
    output = invoke("ingest", str(clip_file), "--camera", camera_id,
                    "--start", "2026-01-01T00:00:00+09:00", "--end", "2026-01-01T00:01:00+09:00")
    clip_id = output.split("clip ")[1].split(":")[0]
    rotated = invoke("keys", "rotate")
    assert "4 data keys re-wrapped" in rotated  # three demo clips and this one
    broker = build(settings)
    try:
        from uuid import UUID

        clip = broker.app.load(UUID(clip_id), Clip, "clip")
        data = b"".join(broker.vault.read(clip_id, clip.key_id, clip.blob_id, clip.size))
        assert data == clip_file.read_bytes()
    finally:
        broker.close()


def test_audit_commands(env, tmp_path):
    invoke("demo")
    import json as jsonlib

    items = jsonlib.loads(invoke("audit", "query", "--event-type", "Camera.Registered",
                                 "--limit", "3", "--format", "json"))
    assert [item["event_type"] for item in items] == ["Camera.Registered"] * 3
    assert "pos" in invoke("audit", "query", "--limit", "3")
    csv_out = invoke("audit", "query", "--format", "csv", "--limit", "2")
    assert csv_out.lstrip("\ufeff").startswith("position,at,event_type")
    unanchored = runner.invoke(cli, ["audit", "verify"])
    assert unanchored.exit_code == 1  # nothing has signed the log yet: not a pass
    assert "footage-broker.invalid/audit" in invoke("audit", "checkpoint")
    verified = invoke("audit", "verify")
    assert verified.startswith("OK:")
    target = tmp_path / "checkpoints.json"
    invoke("audit", "export-checkpoints", str(target))
    assert "public_key_raw_base64" in target.read_text()
    assert invoke("audit", "verify", "--checkpoints", str(target)).startswith("OK:")
    assert invoke("audit", "ledger").lstrip("\ufeff").startswith("provided_at,file_name")


def test_purge_dry_run_lists_and_real_run_purges(env):
    invoke("demo")
    ahead = invoke("purge", "--dry-run", "--as-of", "2099-01-01T00:00:00+09:00")
    assert "3 due" in ahead and "retention" in ahead
    assert "0 due" in invoke("purge", "--dry-run")
    result = runner.invoke(cli, ["purge", "--as-of", "2099-01-01T00:00:00+09:00"])
    assert result.exit_code != 0  # a real purge never runs ahead of the clock
    assert "0 purged" in invoke("purge")


def test_export_verify_checks_clips_and_the_report_offline(env):
    import hashlib
    from datetime import UTC, datetime

    from broker.adapters import evidence
    from broker.adapters.vault import kek

    key = kek.load_or_create_signing_key(env / "keys")
    clip, report = b"\x00\x00\x00\x18ftypmp42" + b"v" * 5000, b"%PDF-1.7 report"
    manifest = evidence.canonical({
        "format": evidence.FORMAT, "signing_key_id": kek.export_public_key(key).key_id,
        "legal_basis": {"id": "crime_investigation"}, "recipient": {"agency": "대전경찰청"},
        "clips": [{"file": "clips/cam_20261120T072000Z_0123abcd.mp4", "size": len(clip),
                   "sha256": hashlib.sha256(clip).hexdigest()}],
        "documents": [{"file": evidence.REPORT_FILE, "size": len(report),
                       "sha256": hashlib.sha256(report).hexdigest()}]})
    signature = evidence.signature_document(manifest, key)

    def package(report_bytes: bytes) -> str:
        path = env / "export.zip"
        path.write_bytes(b"".join(evidence.stream_files(
            manifest, signature, [("clips/cam_20261120T072000Z_0123abcd.mp4", lambda: [clip])],
            documents=[(evidence.REPORT_FILE, report_bytes)], modified=datetime.now(UTC))))
        return str(path)

    output = invoke("export", "verify", package(report))
    assert "1 clips and 1 document, signed by key" in output and "대전경찰청" in output
    failed = runner.invoke(cli, ["export", "verify", package(report + b" ")])
    assert failed.exit_code == 1
    assert "chain-of-custody.pdf: content does not match the manifest" in failed.output
