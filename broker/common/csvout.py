"""CSV that opens in a spreadsheet: UTF-8 with BOM (Korean intact in Excel), RFC 4180 quoting."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence


def render(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
