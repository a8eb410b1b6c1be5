"""Coverage analytics and policy replay: aggregates only, never a location or a person."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, Field

from broker.entrypoints.api.schemas.common import Body, LocationPublic, Public, Window


class Period(Public):
    from_: AwareDatetime = Field(alias="from")
    to: AwareDatetime


class CoverageFilters(Public):
    legal_basis: str | None
    agency_kind: str | None


class CoverageTotals(Public):
    total: int = Field(description="requests in the period (superseded versions left out)")
    in_listed_cells: int
    in_suppressed_cells: int = Field(description="in cells under the minimum count: not shown")
    without_cell: int = Field(description="personal data erased, or no incident location")


class Withheld(Public):
    legal_basis: int
    agency_kind: int


class CoverageCell(Public):
    id: str = Field(description="`<size>m:<row>:<column>` of the broker's nested grid")
    centre: LocationPublic
    bounds: list[float] = Field(description="south, west, north, east (degrees)")
    requests: int
    by_legal_basis: dict[str, int] = Field(description="only bases with at least k requests")
    by_agency_kind: dict[str, int] = Field(description="only kinds with at least k requests")
    withheld: Withheld = Field(description="requests of bases or kinds under k, not broken down")
    no_camera_in_reach: int | None = Field(
        description="requests that found no camera in reach (null under k)")
    covered: bool = Field(description="some fixed camera's coverage reaches into the cell")
    blind_spot: bool
    nearest_camera_m: int | None = Field(
        description="blind spots: from the cell's centre to the nearest fixed camera")
    drone_reach: list[str] = Field(description="drone stations whose reach takes the cell in")


class CameraBrief(Public):
    id: str
    name: str
    address: str
    agency: str
    distance_m: int


class BlindSpot(Public):
    cell: str
    centre: LocationPublic
    requests: int
    nearest_camera: CameraBrief | None
    drone_reach: list[str]


class BlindSpots(Public):
    count: int
    requests: int
    top: list[BlindSpot] = Field(description="the most requested first")


class IdleCamera(Public):
    id: str
    name: str
    address: str
    agency: str
    retention_days: int
    last_requested_at: AwareDatetime | None
    location: LocationPublic


class IdleCameras(Public):
    as_of: AwareDatetime
    count: int
    items: list[IdleCamera]


class DroneStation(Public):
    id: str
    name: str
    address: str
    reach_m: float
    location: LocationPublic
    cells_in_reach: int = Field(description="listed cells its reach takes in")
    requests_in_reach: int
    blind_spots_in_reach: int


class CameraCounts(Public):
    active: int
    fixed: int
    drone_stations: int


class CoverageReport(Public):
    """Where requests were and no camera is, in aggregates: cells under k are suppressed."""

    period: Period
    cell_m: int
    min_count: int
    filters: CoverageFilters
    requests: CoverageTotals
    cells: list[CoverageCell]
    suppressed_cells: int
    blind_spots: BlindSpots
    idle_cameras: IdleCameras
    drone_stations: list[DroneStation]
    cameras: CameraCounts


class CellGeometry(Public):
    type: Literal["Polygon"]
    coordinates: list[list[list[float]]]


class CellFeature(Public):
    type: Literal["Feature"]
    id: str
    geometry: CellGeometry
    properties: dict[str, Any]


class CoverageGeoJSON(Public):
    """RFC 7946 FeatureCollection: one polygon per listed cell (``?format=geojson``)."""

    type: Literal["FeatureCollection"]
    features: list[CellFeature]
    properties: dict[str, Any]


# policy replay ------------------------------------------------------------------------------

class ReplayBody(Body):
    """A draft pack (TOML text, as `broker policy check` reads it) and the period to replay."""

    pack: str = Field(min_length=1, max_length=256 * 1024, description="the draft pack, TOML")
    window: Window | None = Field(
        default=None, description="requests submitted in [start, end); default: the past year")
    examples: int = Field(default=5, ge=0, le=50, description="request ids per kind of change")


class PackRef(Public):
    id: str
    version: str
    digest: str


class PackChange(Public):
    path: str = Field(description="e.g. `bases[crime_investigation].max_lookback_days`")
    change: Literal["added", "removed", "changed"]
    old: Any = None
    new: Any = None


class ReplayChange(Public):
    change: str = Field(description="`granted→denied`, `denied→granted`, `review→auto`, ...")
    recorded: str
    replayed: str
    count: int
    by_legal_basis: dict[str, int]
    by_reason: dict[str, int] = Field(
        description="the rules whose verdict flipped (`decision` when only the basis's "
                    "decision kind changed)")
    examples: list[str] = Field(description="request ids")


class NotReplayable(Public):
    personal_data_erased: int
    undecided: int


class Reproduced(Public):
    inputs: int = Field(description="replayed with the recorded input digest")
    cameras: int = Field(description="replayed with the recorded camera registry digest")
    input_mismatches: list[str]
    camera_mismatches: list[str]


class ReplayReport(Public):
    """What a draft pack would have decided; nothing is recorded."""

    draft: PackRef
    active: PackRef
    diff: list[PackChange]
    period: Period
    requests: int
    replayed: int
    not_replayable: NotReplayable
    unchanged: int
    reasons_changed: int = Field(description="same outcome, different reasons")
    changed: int
    changes: list[ReplayChange]
    decided_under: dict[str, int] = Field(description="recorded decisions by `pack_id version`")
    reproduced: Reproduced
    seconds: float
