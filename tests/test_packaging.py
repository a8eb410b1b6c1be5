"""An installed wheel works outside the checkout: the policy packs and the read-model
migrations travel inside the package."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_carries_packs_and_migrations_and_runs_from_elsewhere(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path / "dist"), str(ROOT)], check=True,
                   capture_output=True)
    [wheel] = (tmp_path / "dist").glob("footage_broker-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"broker/policies/kr-pipa.toml", "broker/policies/eu-gdpr-led.toml",
            "broker/readmodel/migrations/env.py"} <= names
    assert any(name.startswith("broker/readmodel/migrations/versions/0001") for name in names)
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    script = (
        "import broker, sys\n"
        "from broker.adapters.vault.kek import init_keyfile\n"
        "from broker.bootstrap import build\n"
        "from broker.config import Settings\n"
        f"assert broker.__file__.startswith({str(site)!r}), broker.__file__\n"
        "init_keyfile('keys')\n"
        "b = build(Settings(data_dir='var', keys_dir='keys', policy_pack='eu-gdpr-led'))\n"
        "print(b.policy.id)\n"
        "b.close()\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=elsewhere, capture_output=True,
                            text=True, env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "eu-gdpr-led"
