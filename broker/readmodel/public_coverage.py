"""Coverage for the public transparency report: a count of blind spots and requests by
district, never a cell, a place or a camera.

The analytics report (``coverage.py``) is for the privacy officer and the operator; what is
published to anyone is coarser still and obeys the same k (at least 5):

- **Blind spots** only as a count, with the requests they hold: 250 m cells with at least k
  requests that no fixed camera reaches (a sum of cells of at least k each).
- **Requests by district**: every located request, suppressed cells included, counted in the
  district of the camera nearest its cell's centre. A district with fewer than k requests is
  pooled into ``requests_in_other_districts``, and the pool itself is never between 1 and
  k - 1: while it is, the smallest listed district joins it. So no count under k is published
  for any district or set of districts, and none can be recovered by subtracting the listed
  ones from the located total.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from broker.readmodel.coverage import (
    CoverageQuery,
    NearestCamera,
    active_cameras,
    count_cells,
    reached_cells,
)

DISTRICT_ENDINGS = ("구", "군")
"""Korean addresses: ``대전광역시 서구 둔산동 ...``; the district is the first 구 or 군, else
the first city (시) after the province, else the camera's agency."""


def district_of(address: str, agency: str) -> str:
    tokens = address.split()
    for token in tokens:
        if len(token) > 1 and token.endswith(DISTRICT_ENDINGS):
            return token
    for token in tokens[1:] + tokens[:1]:
        if len(token) > 1 and token.endswith("시"):
            return token
    return agency.strip() or "unknown"


def pooled(counts: Counter[str], k: int) -> tuple[dict[str, int], int]:
    """The entries of at least k, and the pool of the rest: 0 or at least k (while it is
    smaller, the smallest listed entry joins it), unless nothing is left to list."""
    listed = {key: n for key, n in counts.items() if n >= k}
    pool = sum(counts.values()) - sum(listed.values())
    while 0 < pool < k and listed:
        smallest = min(listed, key=lambda key: (listed[key], key))
        pool += listed.pop(smallest)
    return listed, pool


def public_coverage(conn: Connection, start: datetime, end: datetime) -> dict[str, Any]:
    """The period's blind spots as a count and its requests by district (see the module)."""
    query = CoverageQuery(start=start, end=end)
    tallies, unlocated = count_cells(conn, query)
    k = query.min_count
    shown = {cell: tally for cell, tally in tallies.items() if tally.total >= k}
    points = active_cameras(conn)
    covered = reached_cells([p for p in points if not p.drone], shown, query.cell_m)
    blind = [tally.total for cell, tally in shown.items() if cell not in covered]
    nearest = NearestCamera(points)
    districts: Counter[str] = Counter()
    for cell, tally in tallies.items():
        hit = nearest.nearest(*cell.centre)
        districts[district_of(hit[0].address, hit[0].agency) if hit else "unknown"] += tally.total
    listed, pool = pooled(districts, k)
    return {
        "cell_m": query.cell_m,
        "min_count": k,
        "blind_spots": len(blind),
        "requests_in_blind_spots": sum(blind),
        "requests_by_district": [{"district": name, "requests": n}
                                 for name, n in sorted(listed.items(), key=lambda i: (-i[1], i[0]))],
        "requests_in_other_districts": pool,
        "requests_without_location": unlocated,
    }
