"""The insider's attack: edit an event in the store, delete the read model, rebuild it from the
edited events. The checkpoints and leaf hashes kept outside the read model, and those held by
others, still catch it; a rebuild alone never re-forges the chain."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from broker.entrypoints.cli import cli

runner = CliRunner()


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("BROKER_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("BROKER_KEYS_DIR", str(tmp_path / "keys"))
    run("keys", "init")
    run("demo")
    run("audit", "checkpoint")
    return tmp_path


def run(*args: str, code: int = 0) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == code, result.output
    return result.output


def flip_one_byte(events_db: Path, position: int) -> None:
    """The insider edits the stored bytes of the event at this position, nothing else."""
    with sqlite3.connect(events_db) as conn:
        (state,) = conn.execute("SELECT state FROM stored_events WHERE rowid = ?",
                                (position + 1,)).fetchone()
        state = bytes(state)
        edited = state.replace(b"2017-06", b"2019-06", 1)
        assert edited != state
        conn.execute("UPDATE stored_events SET state = ? WHERE rowid = ?", (edited, position + 1))


def rebuild_read_model(var: Path) -> None:
    for name in ("readmodel.db", "readmodel.db-wal", "readmodel.db-shm"):
        (var / name).unlink(missing_ok=True)
    run("init")


def test_edit_plus_rebuild_is_caught_and_the_event_named(env):
    var = env / "var"
    assert run("audit", "verify").startswith("OK:")
    flip_one_byte(var / "events.db", 17)
    rebuild_read_model(var)
    failed = run("audit", "verify", code=1)
    assert "position 17" in failed and "event edited" in failed
    assert "first divergent stored event" in failed


def test_without_the_leaf_log_the_checkpoint_log_still_catches_it(env):
    var = env / "var"
    flip_one_byte(var / "events.db", 40)
    (var / "audit-leaves.bin").unlink()
    rebuild_read_model(var)
    failed = run("audit", "verify", code=1)
    assert "differs from the trusted checkpoint" in failed


def test_deleting_every_local_copy_leaves_nothing_to_anchor_but_an_outside_copy_catches_it(env):
    var = env / "var"
    public_copy = env / "auditor-copy.json"  # what an auditor fetched from GET /v1/audit/checkpoints
    run("audit", "export-checkpoints", str(public_copy))
    flip_one_byte(var / "events.db", 5)
    for name in ("checkpoints.log", "audit-leaves.bin"):
        (var / name).unlink()
    rebuild_read_model(var)
    assert "no signed checkpoint anchors the log" in run("audit", "verify", code=1)
    caught = run("audit", "verify", "--checkpoints", str(public_copy), code=1)
    assert "differs from the trusted checkpoint" in caught


def test_a_witness_file_anchors_verification_and_can_be_required(env, monkeypatch):
    """A witness cosigned the checkpoint; verification can demand that cosignature."""
    from cryptography.hazmat.primitives import serialization

    from broker.adapters.checkpoint_archive import CheckpointLogFile
    from broker.merkle import cosign_checkpoint

    var = env / "var"
    key_file = env / "witness.pem"
    vkey = run("witness", "init", "--key", str(key_file), "--name", "witness.court.example").strip()
    private = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    state = CheckpointLogFile(env / "witness-state.log")
    [note] = [json.loads(line)["note"] for line in (var / "checkpoints.log").read_text().splitlines()]
    state.append(cosign_checkpoint(note, private, "witness.court.example", 1_800_000_000), 0)
    ok = run("audit", "verify", "--checkpoints", str(state.path), "--witness-key", vkey)
    assert ok.startswith("OK:") and "cosigned by witness.court.example" in ok
    other = run("witness", "init", "--key", str(env / "other.pem"), "--name", "other.example")
    refused = run("audit", "verify", "--witness-key", other.strip(), code=1)
    assert "no checkpoint carries a cosignature of witness 'other.example'" in refused
