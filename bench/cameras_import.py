"""Importing a camera register through the application, end to end, against bare CSV parsing.

Generates a register shaped like the real public files (tests/support/cctv_files.py: 11
agencies, about two cameras per row, a third of the rows with 보관일수 0, a sixth with a year
and a dash for 설치연월, a few without a position) and imports it into a fresh embedded
deployment (SQLite) with ``Cameras.import_csv``: parsing, identity matching, one Registered
event per camera and the import's own record in one atomic write, and the read model brought
up to it (the cameras are searchable when the call returns). Then the same file again
(nothing changes) and its next release (renumbered, a row gone, moves and retention changes).
The baseline is decoding and splitting the same bytes with the csv module, in the same run.

With ``--issue-file``: a register shaped like the file of issue #15 instead (13,760 rows, 11
agencies, exactly 4,452 rows with 보관일수 0 and 2,122 with 설치연월 ``2017-  ``), and its next
release only renumbered (one row removed; no moves, no retention changes).

    python bench/cameras_import.py [--rows 20000 | --issue-file]
"""

from __future__ import annotations

import argparse
import csv
import io
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from broker.adapters.vault.kek import init_keyfile
from broker.application.actors import Actor
from broker.bootstrap import build
from broker.clock import FixedClock
from broker.config import Settings
from tests.support.cctv_files import ISSUE_FILE, next_release, register


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--dir", help="where the deployment goes (default: the temp dir)")
    parser.add_argument("--issue-file", action="store_true",
                        help="the 13,760-row file of issue #15, its next release only renumbered")
    args = parser.parse_args()
    if args.issue_file:
        args.rows = ISSUE_FILE["rows"]
        sample = register(args.rows, seed=args.seed, flaws={
            "retention_zero": ISSUE_FILE["retention_zero"], "partial_date": ISSUE_FILE["partial_date"]})
        following, changes = next_release(sample, moved=0, retention_changes=0)
    else:
        sample = register(args.rows, seed=args.seed)
        following, changes = next_release(sample)
    data = sample.encoded("cp949")
    shell = Actor.shell()

    started = time.perf_counter()
    rows = list(csv.reader(io.StringIO(data.decode("cp949"), newline="")))
    baseline = time.perf_counter() - started
    assert len(rows) == args.rows + 1

    with tempfile.TemporaryDirectory(prefix="bench-import-", dir=args.dir) as tmp:
        init_keyfile(Path(tmp) / "keys")
        broker = build(Settings(data_dir=Path(tmp) / "var", keys_dir=Path(tmp) / "keys"),
                       FixedClock(datetime(2026, 11, 20, tzinfo=UTC)))
        try:
            cpu, started = cpu_seconds(), time.perf_counter()
            first = broker.cameras.import_csv(shell, data)
            seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
            started = time.perf_counter()
            again = broker.cameras.import_csv(shell, data)
            unchanged = time.perf_counter() - started
            started = time.perf_counter()
            update = broker.cameras.import_csv(shell, following.encoded("utf-8-sig"))
            release = time.perf_counter() - started
        finally:
            broker.close()

    if first.created != sample.camera_count or again.unchanged != sample.camera_count:
        raise SystemExit("the import did not create every camera, or the re-import changed some")
    if update.created or len(update.moved) != changes["moved"]:
        raise SystemExit("the next release created cameras or lost moves")
    print(f"rows: {args.rows} count")
    print(f"cameras: {first.created} count")
    print(f"imported: {first.rows_imported} rows")
    print(f"with warnings: {first.rows_with_warnings} rows")
    print(f"rejected: {len(first.errors)} rows")
    print(f"camera import: {args.rows / seconds:.0f} rows/s")
    print(f"{args.rows} rows: {seconds:.2f} s")
    print(f"{args.rows} rows cpu: {cpu:.2f} s")
    print(f"re-import unchanged: {unchanged:.2f} s")
    print(f"next release ({len(update.moved)} moved, {update.updated} updated): {release:.2f} s")
    print(f"next release created: {update.created} cameras")
    print(f"next release updated: {update.updated} cameras")
    print(f"next release unchanged: {update.unchanged} cameras")
    print(f"next release not in file: {len(update.not_in_file)} cameras")
    print(f"bare csv parse: {baseline:.3f} s")
    print(f"ratio import / bare csv parse: {seconds / baseline:.0f}")


if __name__ == "__main__":
    main()
