"""``broker analytics coverage``, ``broker policy diff`` and ``broker policy replay``."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from broker.entrypoints.cli import cli
from tests.analytics.history import ACTIVE_TOML

runner = CliRunner()


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("BROKER_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("BROKER_KEYS_DIR", str(tmp_path / "keys"))
    invoke("keys", "init")
    invoke("demo")
    return tmp_path


def invoke(*args: str) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_coverage_in_every_format(env):
    assert "blind spots: 0 cells" in invoke("analytics", "coverage")
    assert "cameras never requested within their retention" in invoke("analytics", "coverage")
    report = json.loads(invoke("analytics", "coverage", "--format", "json", "--cell-m", "1000"))
    assert report["cell_m"] == 1000 and report["cameras"]["drone_stations"] == 1
    assert json.loads(invoke("analytics", "coverage", "--format", "geojson"))["type"] == (
        "FeatureCollection")
    assert invoke("analytics", "coverage", "--format", "csv").startswith("\ufeffcell,")
    bad = runner.invoke(cli, ["analytics", "coverage", "--min-count", "3"])
    assert bad.exit_code != 0 and "at least 5" in str(bad.exception)


def test_policy_diff_names_each_rule_change(env, tmp_path):
    draft = tmp_path / "draft.toml"
    draft.write_text(ACTIVE_TOML.replace("max_lookback_days = 30", "max_lookback_days = 14", 1)
                     .replace('version = "1.2.0"', 'version = "1.3.0"'), encoding="utf-8")
    output = invoke("policy", "diff", "kr-pipa", str(draft))
    assert "~ version: '1.2.0' -> '1.3.0'" in output
    assert "~ bases[crime_investigation].max_lookback_days: 30 -> 14" in output
    assert "no rule changes" in invoke("policy", "diff", "kr-pipa", "kr-pipa")
    across = invoke("policy", "diff", "kr-pipa", "eu-gdpr-led")
    assert "+ bases[" in across and "- bases[" in across


def test_policy_replay_prints_what_would_change(env, tmp_path):
    draft = tmp_path / "draft.toml"
    draft.write_text(ACTIVE_TOML, encoding="utf-8")
    output = invoke("policy", "replay", str(draft))
    assert "0 rule changes" in output and "changed: 0" in output
    report = json.loads(invoke("policy", "replay", str(draft), "--format", "json"))
    assert report["changed"] == 0 and report["diff"] == []
    broken = tmp_path / "broken.toml"
    broken.write_text("id = 'x'", encoding="utf-8")
    failed = runner.invoke(cli, ["policy", "replay", str(broken)])
    assert failed.exit_code != 0 and "draft pack is invalid" in str(failed.exception)
