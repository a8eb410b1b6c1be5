"""The command line, run in-process against real files in a temp dir."""

from __future__ import annotations

import json
import stat

import pytest
from typer.testing import CliRunner

from broker.cli import cli

runner = CliRunner()


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("BROKER_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("BROKER_KEYS_DIR", str(tmp_path / "keys"))
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
    assert "created 2" in output and "1 bad rows" in output
    again = invoke("cameras", "import", str(csv_file))
    assert "created 0" in again and "unchanged 2" in again


def test_policy_check_prints_the_digest_and_rejects_bad_packs(env, tmp_path):
    from broker.config import PROJECT_ROOT

    output = invoke("policy", "check", str(PROJECT_ROOT / "policies" / "kr-pipa.toml"))
    assert "sha256:" in output and "crime_investigation" in output
    bad = tmp_path / "bad.toml"
    bad.write_text('id = "x"\n')
    result = runner.invoke(cli, ["policy", "check", str(bad)])
    assert result.exit_code != 0
