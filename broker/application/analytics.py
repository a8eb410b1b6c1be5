"""What the city learns from its requests: where the next cameras should go.

Aggregates only (``readmodel/coverage.py``): no location, no request, no person; a cell with
fewer than k = 5 requests is never shown.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from broker.application.actors import Actor, allowed
from broker.application.context import UseCases
from broker.common.grid import BASE_CELL_M
from broker.domain.roles import Role
from broker.errors import InvalidInput
from broker.readmodel.coverage import MIN_COUNT, CoverageQuery, coverage_report

DEFAULT_PERIOD = timedelta(days=365)


def period(now: datetime, start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    """``[from, to)``; by default the year up to and including now (or up to ``to``)."""
    end = end or (now + timedelta(seconds=1)).replace(microsecond=0)
    return start or end - DEFAULT_PERIOD, end


class Analytics(UseCases):
    @allowed(Role.PRIVACY_OFFICER, Role.OPERATOR)
    def coverage(self, actor: Actor, start: datetime | None = None, end: datetime | None = None,
                 *, cell_m: int = BASE_CELL_M, min_count: int = MIN_COUNT,
                 legal_basis: str | None = None, agency_kind: str | None = None,
                 top: int = 10) -> dict[str, Any]:
        """Requests per grid cell over a period (the past year by default), by legal basis and
        agency kind; blind spots (cells with requests that no fixed camera reaches, with the
        nearest camera); cameras no request named within their retention; drone-station
        reach. Aggregates only: cells with fewer than `min_count` (k, at least 5) requests
        are suppressed."""
        now = self.ctx.clock.now()
        start, end = period(now, start, end)
        try:
            query = CoverageQuery(start=start, end=end, cell_m=cell_m, min_count=min_count,
                                  legal_basis=legal_basis, agency_kind=agency_kind, top=top)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None
        self.ctx.consistency.latest()
        with self.read() as conn:
            return coverage_report(conn, query, now)
