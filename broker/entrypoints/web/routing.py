"""Console routes answer every failure with a page: a use case's error becomes a friendly
page with its status, a missing sign-in a redirect to the sign-in page; never a traceback."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from broker.entrypoints.web import i18n
from broker.entrypoints.web.render import error_page, redirect
from broker.entrypoints.web.visitor import SignInRequired
from broker.errors import BrokerError, Unauthenticated

logger = logging.getLogger("broker.entrypoints.web")

SIGN_IN_PATHS = ("/login", "/oidc/callback")
"""Where a refusal is the answer to a sign-in, shown as a page (not sent back to sign in)."""


class PageRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except (SignInRequired, Unauthenticated) as exc:
                if request.url.path.endswith(SIGN_IN_PATHS):
                    return error_page(request, 401, i18n.gettext("Sign-in refused"), exc.detail)
                target = request.app.state.console["login"] + "?next=" + quote(request.url.path)
                return redirect(getattr(request.state, "visitor", None), target, request)
            except BrokerError as exc:
                return error_page(request, exc.status, exc.title, exc.detail)
            except RequestValidationError as exc:
                fields = ", ".join(".".join(str(p) for p in e.get("loc", ())[1:]) for e in exc.errors())
                return error_page(request, 422, "Invalid input",
                                  f"check these fields: {fields}" if fields else "the form is invalid")
            except HTTPException as exc:
                return error_page(request, exc.status_code, "Error", str(exc.detail))
            except Exception:
                logger.exception("console page %s %s failed", request.method, request.url.path)
                return error_page(request, 500, "Internal error",
                                  "something went wrong on our side; it has been logged")

        return handle
