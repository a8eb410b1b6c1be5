"""Who is looking at a page: a signed-in person (with their session), or an anonymous visitor
with a pre-session; their language, time zone and CSRF token. Built once per request."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Request, Response

from broker.application.actors import Actor
from broker.application.people import ConsoleSession
from broker.bootstrap import Broker
from broker.entrypoints.web import i18n
from broker.entrypoints.web.security import (
    CSRF_FIELD,
    CSRF_HEADER,
    LANG_COOKIE,
    PRE_COOKIE,
    SESSION_COOKIE,
    Signer,
    new_pre_session,
)
from broker.errors import BrokerError, Forbidden, Unauthenticated


class SignInRequired(BrokerError):
    status = 401
    title = "Sign-in required"


@dataclass
class Visitor:
    broker: Broker
    signer: Signer
    language: str
    zone: ZoneInfo
    pre: str
    secure: bool
    session: ConsoleSession | None = None
    token: str | None = None
    last_seen: datetime | None = None
    set_cookies: dict[str, tuple[str, int | None, str]] = field(default_factory=dict)

    @property
    def csrf(self) -> str:
        return self.signer.csrf_for(self.session.session_id if self.session else None, self.pre)

    @property
    def actor(self) -> Actor:
        if self.session is None:
            raise SignInRequired("sign in to see this page")
        return self.session.actor

    @property
    def role(self) -> str | None:
        return self.session.actor.role_name if self.session else None

    def cookie(self, name: str, value: str, max_age: int | None, path: str = "/") -> None:
        self.set_cookies[name] = (value, max_age, path)

    def apply(self, response: Response) -> Response:
        for name, (value, max_age, path) in self.set_cookies.items():
            if max_age == 0:
                response.delete_cookie(name, path=path, secure=self.secure, httponly=True,
                                       samesite="lax")
            else:
                response.set_cookie(name, value, max_age=max_age, path=path, secure=self.secure,
                                    httponly=True, samesite="strict" if name != SESSION_COOKIE
                                    else "lax")
        return response


def signer_of(request: Request) -> Signer:
    signer: Signer = request.app.state.signer
    return signer


def visitor(request: Request) -> Visitor:
    broker: Broker = request.app.state.broker
    signer = signer_of(request)
    secure = request.url.scheme == "https"
    pre = request.cookies.get(PRE_COOKIE) or ""
    found = Visitor(broker=broker, signer=signer, secure=secure, pre=pre,
                    language=i18n.choose(request.cookies.get(LANG_COOKIE), broker.policy.jurisdiction),
                    zone=request.app.state.console["zone"])
    if not pre or len(pre) > 64:
        found.pre = new_pre_session()
        found.cookie(PRE_COOKIE, found.pre, None)
    opened = signer.open_session_cookie(request.cookies.get(SESSION_COOKIE))
    if opened is not None:
        token, seen = opened
        try:
            found.session = broker.people.session(token, seen)
        except Unauthenticated:
            found.cookie(SESSION_COOKIE, "", 0)
        else:
            found.token, found.last_seen = token, seen
            now = broker.clock.now()
            if (now - seen).total_seconds() >= 30:  # sliding idle window, refreshed lazily
                found.cookie(SESSION_COOKIE, signer.session_cookie(token, now), None)
    elif request.cookies.get(SESSION_COOKIE):
        found.cookie(SESSION_COOKIE, "", 0)
    request.state.visitor = found
    return found


VisitorDep = Annotated[Visitor, Depends(visitor)]


async def checked_form(request: Request, who: VisitorDep) -> dict[str, str]:
    """The POSTed form, if its CSRF token (field or header) is this visitor's; 403 otherwise.
    A request from another origin is refused before the token is even looked at."""
    origin = request.headers.get("origin")
    if origin and origin != f"{request.url.scheme}://{request.url.netloc}":
        raise Forbidden("this form was sent from another site")
    form = await request.form()
    values = {key: value for key, value in form.items() if isinstance(value, str)}
    sent = request.headers.get(CSRF_HEADER) or values.get(CSRF_FIELD) or ""
    import hmac

    if not hmac.compare_digest(sent.encode(), who.csrf.encode()):
        raise Forbidden("the form's security token is missing or stale; reload the page and try again")
    return values


FormDep = Annotated[dict[str, str], Depends(checked_form)]
