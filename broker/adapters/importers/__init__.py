"""Importers: turn files operators bring (camera registers) into plain records for the app."""

from __future__ import annotations

from broker.adapters.importers.camera_csv import (
    CameraRecord,
    CsvFormatError,
    ImportResult,
    RowError,
    RowWarning,
    categorize_purpose,
    parse_camera_csv,
)

__all__ = [
    "CameraRecord",
    "CsvFormatError",
    "ImportResult",
    "RowError",
    "RowWarning",
    "categorize_purpose",
    "parse_camera_csv",
]
