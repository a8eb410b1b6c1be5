"""Server-rendered pages: one Jinja2 environment (autoescaped), translated through Babel's
catalogues, and the friendly error page every console failure ends in (never a stack trace)."""

from __future__ import annotations

import logging
import re
import uuid
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from broker.entrypoints.web import i18n, zones
from broker.entrypoints.web.describe import actor_label, describe
from broker.entrypoints.web.visitor import Visitor

TEMPLATES = Path(__file__).resolve().parent / "templates"
PERSON_ID = re.compile(r"person:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
logger = logging.getLogger("broker.entrypoints.web")

env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True),
                  undefined=StrictUndefined, extensions=["jinja2.ext.i18n"], trim_blocks=True,
                  lstrip_blocks=True)
env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]


def short(value: Any, n: int = 8) -> str:
    return str(value or "")[:n]


def named(text: Any, people: dict[str, str]) -> str:
    """``person:<uuid>`` in a recorded text, as the person's name (the id stays in the record)."""
    return PERSON_ID.sub(lambda found: people.get(found.group(0), found.group(0)), str(text or ""))


env.filters["short"] = short
env.filters["named"] = named
env.filters["when"] = zones.shown
env.filters["local_input"] = zones.for_input
env.globals["zone_label"] = zones.label
env.globals["actor_label"] = actor_label
env.globals["describe"] = describe  # called while the page renders: in the page's language


def page(request: Request, who: Visitor | None, template: str, http_status: int = 200,
         **context: Any) -> Response:
    language = who.language if who else "en"
    token = i18n.current.set(language)
    zone = zones.current.set(who.zone if who else request.app.state.console["zone"])
    try:
        html = env.get_template(template).render(
            request=request, who=who, lang=language, path=request.url.path,
            console=request.app.state.console, **context)
    finally:
        zones.current.reset(zone)
        i18n.current.reset(token)
    response = HTMLResponse(html, status_code=http_status)
    return who.apply(response) if who else response


def redirect(who: Visitor | None, url: str, request: Request | None = None) -> Response:
    """303 to ``url``; htmx requests are told with HX-Redirect instead."""
    if request is not None and request.headers.get("hx-request"):
        response: Response = Response(status_code=204, headers={"HX-Redirect": url})
    else:
        response = RedirectResponse(url, status_code=303)
    return who.apply(response) if who else response


def error_page(request: Request, status: int, title: str, detail: str) -> Response:
    who: Visitor | None = getattr(request.state, "visitor", None)
    instance = str(uuid.uuid4())
    if status >= 500:
        logger.error("console error %s on %s %s", instance, request.method, request.url.path)
    return page(request, who, "error.html", http_status=status, status_code=status, title=title,
                detail=detail, instance=instance)
