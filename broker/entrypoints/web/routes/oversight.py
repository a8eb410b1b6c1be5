"""Privacy officers and auditors: the dashboard, reviews, the audit trail, the ledger, the
chain and the transparency report. Each route parses, makes one application call, renders."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from broker.common import csvout
from broker.domain.events import NAMES
from broker.entrypoints.web import zones
from broker.entrypoints.web.exports import XLSX, xlsx
from broker.entrypoints.web.render import page, redirect
from broker.entrypoints.web.routing import PageRoute
from broker.entrypoints.web.visitor import FormDep, VisitorDep
from broker.errors import InvalidInput
from broker.policy import Scope, TimeWindow
from broker.readmodel import audit_query, ledger_view
from broker.readmodel.audit_query import AuditFilter

router = APIRouter(route_class=PageRoute)
PAGE = 50
Text = Annotated[str, Query(max_length=200)]
Types = Annotated[list[str], Query(max_length=len(NAMES))]


@router.get("/")
def dashboard(request: Request, who: VisitorDep) -> Response:
    return page(request, who, "dashboard.html", board=who.broker.dashboard.overview(who.actor))


@router.get("/reviews")
def reviews(request: Request, who: VisitorDep) -> Response:
    return page(request, who, "reviews.html", queue=who.broker.reviews.queue(who.actor)["items"])


@router.get("/reviews/{request_id}")
def review_case(request: Request, who: VisitorDep, request_id: UUID) -> Response:
    case = who.broker.reviews.case(who.actor, request_id)
    return page(request, who, "review.html", case=case, request_id=str(request_id))


@router.get("/reviews/{request_id}/clips/{number}")
def preview(request: Request, who: VisitorDep, request_id: UUID,
            number: Annotated[int, Path(ge=1, le=10_000)]) -> Response:
    previewed = who.broker.reviews.preview(who.actor, request_id, number)
    return Response(previewed.body, media_type="video/mp4", headers={
        "Cache-Control": "private, no-store", "Content-Disposition": "inline",
        "ETag": f'"{previewed.sha256}"'})


KEEP = "keep-"


@router.post("/reviews/{request_id}")
def review_decision(request: Request, who: VisitorDep, form: FormDep, request_id: UUID) -> Response:
    decision = form.get("decision")
    if decision not in ("approve", "deny"):
        raise InvalidInput("choose approve or deny")
    narrower = _narrower(form, who.zone) if decision == "approve" else None
    who.broker.reviews.review(who.actor, request_id, approve=decision == "approve",
                              reason=form.get("reason", "")[:2000], narrower=narrower)
    return redirect(who, f"/console/reviews/{request_id}", request)


def _narrower(form: dict[str, str], zone: ZoneInfo) -> Scope | None:
    """The scope an approval keeps: the cameras ticked (``keep-<id>``; none ticked keeps them
    all), and a window if both its ends are given."""
    cameras = tuple(sorted(name[len(KEEP):] for name, value in form.items()
                           if name.startswith(KEEP) and value == "on"))
    start, end = zones.read(form.get("start"), zone), zones.read(form.get("end"), zone)
    if not cameras and start is None and end is None:
        return None
    if (start is None) != (end is None):
        raise InvalidInput("a narrower window needs both its start and its end")
    window = TimeWindow(start=start, end=end) if start and end else None
    return Scope(camera_ids=cameras, window=window)


def _uuid(value: str | None, name: str) -> str | None:
    if not value:
        return None
    try:
        return str(UUID(value.strip()))
    except ValueError:
        raise InvalidInput(f"{name} must be an id (a UUID)") from None


def audit_filter(camera: str | None, agency: str | None, person: str | None,
                 request_id: str | None, basis: str | None, start: str | None, end: str | None,
                 types: list[str], exclude: list[str], zone: ZoneInfo) -> AuditFilter:
    known = set(NAMES)
    if not set(types) <= known or not set(exclude) <= known:
        raise InvalidInput("unknown event type")
    if person and not (person.startswith("person:") and _uuid(person[7:], "person")) \
            and not _uuid(person, "person"):
        raise InvalidInput("person must be a person or a client")
    return AuditFilter(camera_id=(camera or "").strip() or None, agency=agency or None,
                       client_id=person or None, request_id=_uuid(request_id, "request"),
                       legal_basis=basis or None, start=zones.read(start, zone), end=zones.read(end, zone),
                       include_types=tuple(types), exclude_types=tuple(exclude), newest_first=True)


def _query(request: Request) -> dict[str, Any]:
    q = request.query_params
    return {"camera": q.get("camera", "")[:200], "agency": q.get("agency", "")[:200],
            "person": q.get("person", "")[:64], "request_id": q.get("request", "")[:64],
            "basis": q.get("basis", "")[:64], "start": q.get("from", "")[:32],
            "end": q.get("to", "")[:32], "types": q.getlist("type")[:len(NAMES)],
            "exclude": q.getlist("exclude")[:len(NAMES)]}


@router.get("/audit")
def audit(request: Request, who: VisitorDep, cursor: Annotated[str | None, Query(max_length=200)] = None,
          partial: bool = False) -> Response:
    chosen = _query(request)
    flt = audit_filter(**chosen, zone=who.zone)
    result = who.broker.oversight.audit_page(who.actor, flt, limit=PAGE, cursor=cursor)
    template = "_audit_rows.html" if partial else "audit.html"
    query = request.url.query.replace("partial=true", "").strip("&")
    return page(request, who, template, items=result["page"]["items"], chosen=chosen, names=NAMES,
                people=result["people"], next_cursor=result["page"]["next_cursor"],
                query="&".join(p for p in query.split("&") if p and not p.startswith("cursor=")))


@router.get("/audit/export")
def audit_export(request: Request, who: VisitorDep, format: Annotated[str, Query(pattern="^(csv|xlsx)$")]
                 ) -> Response:
    flt = audit_filter(**_query(request), zone=who.zone)
    page_ = who.broker.oversight.audit_events(who.actor, flt, limit=10_000, output=format)
    rows = [audit_query.csv_row(item) for item in page_["items"]]
    return _download("audit-events", audit_query.CSV_COLUMNS, rows, format)


@router.get("/ledger")
def ledger(request: Request, who: VisitorDep, start: Annotated[str, Query(alias="from", max_length=32)] = "",
           end: Annotated[str, Query(alias="to", max_length=32)] = "") -> Response:
    rows = who.broker.oversight.ledger(who.actor, zones.read(start, who.zone),
                                       zones.read(end, who.zone), output="html")
    return page(request, who, "ledger.html", rows=rows["items"], start=start, end=end)


@router.get("/ledger/export")
def ledger_export(request: Request, who: VisitorDep, format: Annotated[str, Query(pattern="^(csv|xlsx)$")],
                  start: Annotated[str, Query(alias="from", max_length=32)] = "",
                  end: Annotated[str, Query(alias="to", max_length=32)] = "") -> Response:
    rows = who.broker.oversight.ledger(who.actor, zones.read(start, who.zone),
                                       zones.read(end, who.zone), output=format)
    columns = ledger_view.LEDGER_COLUMNS
    return _download("provision-ledger", columns, [[row[c] for c in columns] for row in rows["items"]],
                     format)


def _download(name: str, columns: Any, rows: list[Any], format: str) -> Response:
    if format == "xlsx":
        body, media = xlsx(name, columns, rows), XLSX
    else:
        body = csvout.render(columns, [[str(v) for v in row] for row in rows])
        media = "text/csv; charset=utf-8"
    return Response(body, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="{name}.{format}"', "Cache-Control": "no-store"})


@router.get("/chain")
def chain(request: Request, who: VisitorDep) -> Response:
    return page(request, who, "chain.html", status=who.broker.oversight.chain_status(who.actor, 10),
                report=None)


@router.post("/chain/verify")
def chain_verify(request: Request, who: VisitorDep, form: FormDep) -> Response:
    report = who.broker.oversight.verify(who.actor)
    return page(request, who, "_chain_report.html" if request.headers.get("hx-request") else "chain.html",
                report=report, status=None)


@router.get("/transparency")
def transparency(request: Request, who: VisitorDep,
                 year: Annotated[int | None, Query(ge=2000, le=2200)] = None) -> Response:
    chosen = year or who.broker.clock.now().year
    return page(request, who, "transparency.html", year=chosen,
                report=who.broker.oversight.transparency(chosen))
