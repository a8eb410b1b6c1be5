"""Import a public-data camera CSV: parse, turn sites into cameras, upsert in one write."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from broker.adapters.importers.camera_csv import CameraRecord, parse_camera_csv
from broker.application.core import BrokerApp
from broker.domain.camera import CameraSpec


@dataclass(frozen=True)
class ImportReport:
    encoding: str
    rows: int
    created: int
    updated: int
    unchanged: int
    errors: list[tuple[int, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "encoding": self.encoding,
            "rows": self.rows,
            "cameras": {"created": self.created, "updated": self.updated,
                        "unchanged": self.unchanged},
            "errors": [{"line": line, "reason": reason} for line, reason in self.errors],
        }


def specs_for(record: CameraRecord) -> list[CameraSpec]:
    """A site with N cameras becomes N cameras keyed ``<site key>#<n>``, stable across imports."""
    label = record.address or record.agency
    return [
        CameraSpec(
            key=f"{record.site_key}#{n}",
            name=f"{label} #{n}" if record.camera_count > 1 else label,
            agency=record.agency,
            purpose=record.purpose,
            purpose_category=record.purpose_category,
            address=record.address,
            lat=record.lat,
            lon=record.lon,
            coverage_m=record.coverage_m,
            retention_days=record.retention_days,
            installed=record.installed,
        )
        for n in range(1, record.camera_count + 1)
    ]


def import_cameras(app: BrokerApp, data: bytes) -> ImportReport:
    """Good rows land (atomically), bad rows are reported by line; re-import changes nothing."""
    parsed = parse_camera_csv(data)
    specs = [spec for record in parsed.records for spec in specs_for(record)]
    outcomes = Counter(outcome for _, outcome in app.upsert_cameras(specs))
    return ImportReport(
        encoding=parsed.encoding,
        rows=len(parsed.records) + len(parsed.errors),
        created=outcomes["created"],
        updated=outcomes["updated"],
        unchanged=outcomes["unchanged"],
        errors=[(error.line, error.reason) for error in parsed.errors],
    )
