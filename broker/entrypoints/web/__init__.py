"""The web console for people (``/console``: privacy officers, auditors, operators) and the
citizens' page (``/portal``): server-rendered Jinja2 pages, htmx for partial updates, vendored
static assets (``/console/static``) with cache headers; no CDN, no build step.

Pages call the same application use cases as the API, as the signed-in person.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from broker.bootstrap import Broker
from broker.entrypoints.web import zones
from broker.entrypoints.web.render import error_page
from broker.entrypoints.web.routes import auth, operations, oversight, portal, redactions
from broker.entrypoints.web.security import SecurityHeaders, Signer, content_security_policy, cookie_key

STATIC_DIR = Path(__file__).resolve().parent / "static"
IMPORT_PATH = "/console/cameras/import"


class CachedStatic(StaticFiles):
    """Assets change only with a release: a day in the browser's cache, then revalidated."""

    def file_response(self, *args: Any, **kwargs: Any) -> Any:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "public, max-age=86400"
        return response

    async def get_response(self, path: str, scope: Scope) -> Any:
        return await super().get_response(path, scope)


def _site(broker: Broker, signer: Signer, config: dict[str, Any], *routers: Any) -> FastAPI:
    site = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    site.state.broker = broker
    site.state.signer = signer
    site.state.console = config
    for router in routers:
        site.include_router(router)

    @site.exception_handler(StarletteHTTPException)
    async def no_such_page(request: Request, exc: StarletteHTTPException) -> Response:
        """A URL no route answers (a mistyped link, a wrong method): the console's error page."""
        title = "Not found" if exc.status_code == 404 else "Error"
        return error_page(request, exc.status_code, title, "there is no such page here")

    site.add_middleware(SecurityHeaders, csp=content_security_policy(config["tile_url"]))
    return site


def mount(app: FastAPI, broker: Broker) -> None:
    settings = broker.settings
    signer = Signer(cookie_key(broker.signing_key))
    config = {"login": "/console/login", "tile_url": settings.console_tile_url,
              "tile_attribution": settings.console_tile_attribution,
              "jurisdiction": broker.policy.jurisdiction,
              "zone": zones.zone_for(settings.console_timezone, broker.policy.jurisdiction)}
    app.mount("/console/static", CachedStatic(directory=STATIC_DIR), name="console-static")
    app.mount("/console", _site(broker, signer, config, auth.router, oversight.router,
                                redactions.router, operations.router))
    app.mount("/portal", _site(broker, signer, config, portal.router))

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/console/", status_code=307)
