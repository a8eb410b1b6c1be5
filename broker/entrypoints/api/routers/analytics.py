"""``/v1/analytics``: what the city learns from its requests, in aggregates."""

from __future__ import annotations

import json
from enum import IntEnum
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from broker.application.analytics import Analytics
from broker.common.grid import CELL_SIZES
from broker.domain.roles import Role
from broker.entrypoints.api.deps import ActorDep, BrokerDep
from broker.entrypoints.api.operations import operation
from broker.entrypoints.api.schemas.analytics import CoverageGeoJSON, CoverageReport
from broker.entrypoints.api.schemas.common import Instant
from broker.readmodel import coverage

router = APIRouter(prefix="/analytics", tags=["analytics"])
Format = Literal["json", "geojson", "csv"]
CellSize = IntEnum("CellSize", [(f"m{size}", size) for size in CELL_SIZES])  # type: ignore[misc]
"""The grid's sizes, 250 m doubled up to 16 km: the only ones that nest."""
GEOJSON = "application/geo+json"
FORMATS = {"content": {
    GEOJSON: {"schema": {"$ref": "#/components/schemas/CoverageGeoJSON"}},
    "text/csv": {"schema": {"type": "string"}}},
    "description": "the report (JSON), its cells as GeoJSON, or its cells as CSV"}


@router.get("/coverage", response_model=CoverageReport | CoverageGeoJSON,
            **operation(Analytics.coverage, "Coverage analytics: requests per cell, blind spots",
                        422, responses={200: FORMATS}))
def coverage_analytics(
    broker: BrokerDep,
    actor: ActorDep,
    start: Annotated[Instant | None, Query(alias="from")] = None,
    end: Annotated[Instant | None, Query(alias="to")] = None,
    cell_m: Annotated[CellSize, Query(description="cell size (m): 250 doubled up to 16,000")] = (
        CellSize(250)),
    min_count: Annotated[int, Query(ge=coverage.MIN_COUNT, le=10_000)] = coverage.MIN_COUNT,
    legal_basis: Annotated[str | None, Query(max_length=64)] = None,
    agency_kind: Role | None = None,
    top: Annotated[int, Query(ge=1, le=1000)] = 10,
    format: Format = "json",
) -> Any:
    report = broker.analytics.coverage(actor, start, end, cell_m=int(cell_m), min_count=min_count,
                                       legal_basis=legal_basis,
                                       agency_kind=agency_kind.value if agency_kind else None, top=top)
    if format == "json":
        return report
    if format == "geojson":
        body = json.dumps(coverage.to_geojson(report), ensure_ascii=False, separators=(",", ":"))
        return Response(body.encode("utf-8"), media_type=GEOJSON)
    return Response(coverage.to_csv(report), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="coverage.csv"'})
