"""Signing in and out: local accounts (password and TOTP), the city's identity provider, and
the language switch. A sign-in always starts a new session (no fixation) and a new pre-session."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from broker.application.people import SignIn
from broker.entrypoints.web.i18n import LANGUAGES
from broker.entrypoints.web.render import page, redirect
from broker.entrypoints.web.routing import PageRoute
from broker.entrypoints.web.security import LANG_COOKIE, PRE_COOKIE, SESSION_COOKIE, new_pre_session
from broker.entrypoints.web.visitor import FormDep, Visitor, VisitorDep
from broker.errors import Unauthenticated

router = APIRouter(route_class=PageRoute)
OIDC_COOKIE = "fb_oidc"
Next = Annotated[str, Query(alias="next", max_length=200, pattern=r"^/console(/[\w\-/]*)?$")]


def _signed_in(who: Visitor, signed: SignIn, target: str) -> Response:
    who.pre = new_pre_session()
    who.cookie(PRE_COOKIE, who.pre, None)
    who.cookie(SESSION_COOKIE, who.signer.session_cookie(signed.token, who.broker.clock.now()), None)
    return redirect(who, target)


@router.get("/login")
def login_page(request: Request, who: VisitorDep, next: Next = "/console/") -> Response:
    if who.session is not None:
        return redirect(who, next)
    return page(request, who, "login.html", next=next, username="", refused=False,
                oidc=who.broker.people.oidc is not None)


@router.post("/login")
def login(request: Request, who: VisitorDep, form: FormDep) -> Response:
    target = form.get("next", "/console/")
    if not target.startswith("/console/") or "//" in target:
        target = "/console/"
    username = form.get("username", "")[:64]
    try:
        signed = who.broker.people.sign_in(username, form.get("password", "")[:1024],
                                           form.get("code", "")[:16])
    except Unauthenticated:
        # The form again, with the username kept and one message for every cause (never which
        # of the three was wrong).
        return page(request, who, "login.html", http_status=401, next=target, username=username,
                    refused=True, oidc=who.broker.people.oidc is not None)
    return _signed_in(who, signed, target)


@router.post("/logout")
def logout(request: Request, who: VisitorDep, form: FormDep) -> Response:
    if who.token is not None:
        who.broker.people.sign_out(who.token, who.last_seen)
    who.cookie(SESSION_COOKIE, "", 0)
    who.session = None
    return redirect(who, "/console/login")


@router.post("/language")
def language(request: Request, who: VisitorDep, form: FormDep) -> Response:
    chosen = form.get("language", "")
    if chosen in LANGUAGES:
        who.cookie(LANG_COOKIE, chosen, 365 * 24 * 3600)
    back = form.get("back", "/console/")
    return redirect(who, back if back.startswith(("/console/", "/portal/")) and "//" not in back
                    else "/console/")


def _callback_url(request: Request) -> str:
    return str(request.url_for("oidc_callback"))


@router.get("/oidc/start")
def oidc_start(request: Request, who: VisitorDep) -> Response:
    started = who.broker.people.oidc_start(_callback_url(request))
    kept = "~".join((started.state, started.nonce, started.verifier))
    who.cookie(OIDC_COOKIE, f"{kept}~{who.signer.mac('oidc', kept)}", 600, path="/console/oidc")
    return redirect(who, started.url)


@router.get("/oidc/callback", name="oidc_callback")
def oidc_callback(request: Request, who: VisitorDep,
                  code: Annotated[str, Query(max_length=2048)],
                  state: Annotated[str, Query(max_length=256)],
                  iss: Annotated[str | None, Query(max_length=512)] = None) -> Response:
    parts = (request.cookies.get(OIDC_COOKIE) or "").split("~")
    who.cookie(OIDC_COOKIE, "", 0, path="/console/oidc")
    if len(parts) != 4 or not who.signer.valid("oidc", "~".join(parts[:3]), parts[3]) or \
            not who.signer.valid("state", parts[0], who.signer.mac("state", state)):
        raise Unauthenticated("the sign-in did not start here, or took too long; start again")
    signed = who.broker.people.oidc_finish(code, parts[2], parts[1], _callback_url(request), iss)
    return _signed_in(who, signed, "/console/")
