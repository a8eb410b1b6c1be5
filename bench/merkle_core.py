"""Throughput of the audit chain's Merkle core: what a full offline verification costs per event.

Times, over N leaves (default 1,000,000) of D bytes each (default 256, about one canonical event):
``leaf_hash`` + ``TreeBuilder.append`` one at a time, ``TreeBuilder.extend`` over precomputed leaf
hashes, and ``verify_log`` with recorded leaf hashes and ten trusted heads. The baseline is bare
``hashlib.sha256`` over the same leaf bytes (the floor: every leaf must be hashed once).

    python bench/merkle_core.py [--leaves 1000000] [--data-size 256]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from broker.merkle import TreeBuilder, leaf_hash, verify_log

POOL = 4096  # distinct leaf payloads, cycled: hashing cost does not depend on repetition


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leaves", type=int, default=1_000_000)
    parser.add_argument("--data-size", type=int, default=256)
    args = parser.parse_args()
    n: int = args.leaves
    payloads = [os.urandom(args.data_size) for _ in range(POOL)]

    def data() -> Iterator[bytes]:
        for i in range(n):
            yield payloads[i % POOL]

    start = time.perf_counter()
    sha = hashlib.sha256
    for d in data():
        sha(b"\x00" + d).digest()
    baseline = n / (time.perf_counter() - start)

    start = time.perf_counter()
    builder = TreeBuilder()
    append = builder.append
    for d in data():
        append(leaf_hash(d))
    root = builder.root()
    appends = n / (time.perf_counter() - start)

    hashes = [leaf_hash(p) for p in payloads]
    start = time.perf_counter()
    bulk = TreeBuilder()
    bulk.extend(hashes[i % POOL] for i in range(n))
    extend = n / (time.perf_counter() - start)
    assert bulk.root() == root

    # Heads at ten sizes, taken from an honest pass.
    sizes = {max(1, n * k // 10) for k in range(1, 11)}
    heads: list[tuple[int, bytes]] = []
    honest = TreeBuilder()
    for i, d in enumerate(data(), start=1):
        honest.append(leaf_hash(d))
        if i in sizes:
            heads.append((i, honest.root()))
    start = time.perf_counter()
    report = verify_log(((i, d, hashes[i % POOL]) for i, d in enumerate(data())), heads)
    verify = n / (time.perf_counter() - start)
    assert report.ok, report.reason

    print(f"leaves: {n} x {args.data_size} B")
    print(f"sha256 baseline: {baseline:,.0f} leaves/s")
    print(f"leaf_hash + append: {appends:,.0f} appends/s")
    print(f"extend (precomputed hashes): {extend:,.0f} appends/s")
    print(f"verify_log (recorded hashes, {len(heads)} heads): {verify:,.0f} events/s")
    print(f"builder nodes at size {n}: {len(builder.state().nodes)} hashes")
    print(f"ratio append/baseline: {appends / baseline:.2f}")
    print(f"ratio verify/baseline: {verify / baseline:.2f}")


if __name__ == "__main__":
    main()
