"""People's accounts: created at the shell, signed in at the console (password and TOTP, or
the city's identity provider), sessions with idle and absolute timeouts.

Everything is an event of the ``Person`` aggregate: registration, each failed attempt and the
lockout it causes, each sign-in (with its session) and sign-out, changes of credentials,
profile or status. A person's id is derived from their username (or the identity provider's
subject), so the event store itself refuses a second account of the same name.

Every failure of a sign-in looks the same to the caller (``REFUSED``), costs one argon2
verification whether or not the account exists, and only a known, open account records it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from sqlalchemy import RowMapping

from broker.adapters import credentials
from broker.adapters.oidc import Authorization, OidcClient
from broker.adapters.vault.personal_data import subject_key_id
from broker.application.actors import Actor
from broker.application.context import Context, UseCases
from broker.common.times import as_utc
from broker.domain.errors import DomainConflict, DomainInvalid
from broker.domain.person import PERSON_ROLES, TOTP_ROLES, Person, actor_id, check_username, describe
from broker.domain.roles import Role
from broker.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from broker.readmodel import people_view

CREDENTIALS_CONTEXT = "Person.credentials"
"""Associated data of a person's sealed credentials: binds the seal to its use."""
REFUSED = "sign-in refused: wrong username, password or code, or the account is locked for a while"
PEOPLE_NAMESPACE = uuid5(NAMESPACE_URL, "https://footage-broker.invalid/person")


def person_id_for(username: str) -> UUID:
    return uuid5(PEOPLE_NAMESPACE, f"local:{username}")


def federated_id_for(subject: str) -> UUID:
    return uuid5(PEOPLE_NAMESPACE, f"oidc:{subject}")


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)
    issuer: str = "footage-broker"
    """How authenticator apps label the account."""


@dataclass(frozen=True)
class NewCredentials:
    """What the shell prints once: nothing here is stored in the clear."""

    person: dict[str, Any]
    password: str | None
    totp_secret: str | None
    totp_uri: str | None


@dataclass(frozen=True)
class SignIn:
    token: str
    """``<session id hex>.<secret>``: the cookie's value; only the secret's SHA-256 is kept."""
    session_id: str
    actor: Actor
    expires_at: datetime


@dataclass(frozen=True)
class ConsoleSession:
    session_id: str
    actor: Actor
    username: str
    expires_at: datetime


@dataclass(frozen=True)
class FederatedIdentity:
    """What the identity provider vouched for, roles already mapped from its claims."""

    issuer: str
    subject: str
    username: str
    display_name: str
    role: Role
    agency: str

    @property
    def key(self) -> str:
        return f"{self.issuer}|{self.subject}"


def _token_parts(token: str) -> tuple[str, str] | None:
    head, sep, secret = token.partition(".")
    if not sep or len(head) != 32 or not secret or len(secret) > 128:
        return None
    try:
        return str(UUID(hex=head)), secret
    except ValueError:
        return None


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


_NO_SESSION_HASH = _sha256("no-session")


class People(UseCases):
    def __init__(self, ctx: Context, policy: SessionPolicy | None = None,
                 oidc: OidcClient | None = None) -> None:
        super().__init__(ctx)
        self.policy = policy or SessionPolicy()
        self.oidc = oidc

    # the city's identity provider ---------------------------------------------------------

    def oidc_start(self, redirect_uri: str) -> Authorization:
        """Where to send the browser, and the state, nonce and PKCE verifier to keep."""
        return self._provider().authorization(redirect_uri)

    def oidc_finish(self, code: str, verifier: str, nonce: str, redirect_uri: str,
                    response_issuer: str | None = None) -> SignIn:
        """Exchange the code, check the ID token, map the role; sign the person in."""
        claims = self._provider().claims(code, verifier, nonce, redirect_uri, response_issuer)
        return self.sign_in_federated(FederatedIdentity(
            issuer=claims.issuer, subject=claims.subject, username=claims.username,
            display_name=claims.name, role=Role(claims.role), agency=claims.agency))

    def _provider(self) -> OidcClient:
        if self.oidc is None:
            raise NotFound("no identity provider is configured (BROKER_OIDC_ISSUER)")
        return self.oidc

    # the shell manages accounts -----------------------------------------------------------

    def add(self, actor: Actor, *, username: str, display_name: str, role: Role | str,
            agency: str, totp: bool | None = None) -> NewCredentials:
        """A local account with a generated password and, for officers and operators (or when
        asked), a TOTP secret; both are shown once. Answers once the read model knows it."""
        _require_shell(actor)
        role = Role(role) if str(role) in {r.value for r in Role} else str(role)
        with_totp = bool(totp) or role in TOTP_ROLES
        name = _username(username)
        person_id = person_id_for(name)
        if self.ctx.app.exists(person_id):
            raise InvalidInput(f"there is already an account {name!r}")
        password = credentials.new_password()
        secret = credentials.new_totp_secret() if with_totp else None
        key_id = subject_key_id("person", person_id)
        sealed, key = self.ctx.personal_data.seal_new(
            key_id, {"password": credentials.hash_password(password), "totp": secret},
            CREDENTIALS_CONTEXT)
        try:
            person = Person.register(
                person_id=person_id, username=name, display_name=display_name, role=str(role), agency=agency,
                source="local", federated_subject=None, sealed_credentials=sealed,
                subject_key_id=key_id, totp=with_totp, by=actor.client_id, at=self.ctx.clock.now())
        except DomainInvalid as exc:
            raise InvalidInput(exc.detail) from None
        self._record_new(person, key)
        return NewCredentials(person=describe(person), password=password, totp_secret=secret,
                              totp_uri=credentials.totp_uri(secret, name, self.policy.issuer)
                              if secret else None)

    def list(self, actor: Actor) -> list[dict[str, Any]]:
        _require_shell(actor)
        with self.read() as conn:
            return [_public(row) for row in people_view.all_people(conn)]

    def disable(self, actor: Actor, username: str, reason: str) -> dict[str, Any]:
        """The account can no longer sign in, and its open sessions end now."""
        _require_shell(actor)
        return self._change(username, lambda p: p.disable(reason, actor.client_id,
                                                          self.ctx.clock.now()))

    def enable(self, actor: Actor, username: str) -> dict[str, Any]:
        _require_shell(actor)
        return self._change(username, lambda p: p.enable(actor.client_id, self.ctx.clock.now()))

    def reset_password(self, actor: Actor, username: str) -> NewCredentials:
        """A new generated password (shown once); the TOTP secret is kept."""
        _require_shell(actor)
        password = credentials.new_password()
        person = self._reseal(actor, username, "password",
                              lambda old: {**old, "password": credentials.hash_password(password)})
        return NewCredentials(person=person, password=password, totp_secret=None, totp_uri=None)

    def reset_totp(self, actor: Actor, username: str) -> NewCredentials:
        """A new TOTP secret (shown once), for a lost phone; the password is kept."""
        _require_shell(actor)
        secret = credentials.new_totp_secret()
        person = self._reseal(actor, username, "totp", lambda old: {**old, "totp": secret})
        return NewCredentials(person=person, password=None, totp_secret=secret,
                              totp_uri=credentials.totp_uri(secret, person["username"],
                                                            self.policy.issuer))

    # signing in ---------------------------------------------------------------------------

    def sign_in(self, username: str, password: str, code: str) -> SignIn:
        """Password, then the one-time code if the account has one; a new session."""
        now = self.ctx.clock.now()
        try:
            name = check_username(username)
        except DomainInvalid:
            name = None
        with self.read_as_is() as conn:
            row = people_view.by_username(conn, name) if name else None
        person = self.ctx.app.find(UUID(row["id"]), Person) if row is not None else None
        if person is None or person.source != "local" or not person.may_try(now):
            credentials.verify_dummy(password)
            raise Unauthenticated(REFUSED)
        opened = self.ctx.personal_data.open(person.subject_key_id, str(person.sealed_credentials),
                                             CREDENTIALS_CONTEXT)
        if opened is None:  # its key was shredded: the account cannot be used any more
            credentials.verify_dummy(password)
            raise Unauthenticated(REFUSED)
        why = None
        step = None
        if not credentials.verify_password(opened["password"], password):
            why = "password"
        elif person.totp:
            step = credentials.verify_totp(opened["totp"], code, now).step
            if step is None:
                why = "code"
        return self._settle(person.id, why, step, "password", now)

    def sign_in_federated(self, identity: FederatedIdentity) -> SignIn:
        """After the identity provider vouched for the person: their account (made on first
        sign-in, kept in step with the claims), and a new session."""
        if identity.role not in PERSON_ROLES:
            raise Forbidden("the identity provider gave no role that may use the console")
        now = self.ctx.clock.now()
        person_id = federated_id_for(identity.key)
        person = self.ctx.app.find(person_id, Person)
        by = f"oidc:{identity.issuer}"[:64]
        if person is None:
            key_id = subject_key_id("person", person_id)
            person = Person.register(
                person_id=person_id, username=_federated_username(identity.username),
                display_name=identity.display_name,
                role=identity.role.value, agency=identity.agency, source="oidc",
                federated_subject=identity.key, sealed_credentials=None, subject_key_id=key_id,
                totp=False, by=by, at=now)
        else:
            person.update_profile(identity.display_name, identity.role.value, identity.agency,
                                  by=by, at=now)
        if not person.may_try(now):
            raise Unauthenticated(REFUSED)
        token, session_id, expires = self._new_session(person, "oidc", None, now)
        self.ctx.consistency.wait(self.ctx.app.record(person))
        return SignIn(token=token, session_id=session_id, actor=_actor(person), expires_at=expires)

    def session(self, token: str, last_seen: datetime | None) -> ConsoleSession:
        """The session behind a cookie, if it is open, unexpired, not idle too long, and its
        person may still sign in; every failure is the same 401."""
        now = self.ctx.clock.now()
        parts = _token_parts(token)
        with self.read_as_is() as conn:
            row = people_view.session_with_person(conn, parts[0]) if parts else None
        stored = row["token_sha256"] if row is not None else _NO_SESSION_HASH
        matches = hmac.compare_digest(_sha256(parts[1] if parts else "-"), stored)
        if (row is None or not matches or row["ended_at"] is not None or row["status"] != "active"
                or now >= as_utc(row["expires_at"]) or last_seen is None
                or now - last_seen > self.policy.idle or last_seen > now + timedelta(minutes=1)):
            raise Unauthenticated("not signed in, or the session has ended")
        actor = Actor(client_id=actor_id(row["person_id"]), name=row["display_name"],
                      role=Role(row["role"]), agency=row["agency"])
        return ConsoleSession(session_id=row["id"], actor=actor, username=row["username"],
                              expires_at=as_utc(row["expires_at"]))

    def sign_out(self, token: str, last_seen: datetime | None) -> None:
        """Ends the session everywhere (recorded); an unknown or ended one is already out."""
        try:
            current = self.session(token, last_seen)
        except Unauthenticated:
            return
        person_id = UUID(current.actor.client_id.removeprefix("person:"))

        def out(person: Person) -> None:
            if current.session_id in person.sessions:
                person.sign_out(current.session_id, "signed out", at=self.ctx.clock.now())

        _, position = self.ctx.app.change(person_id, Person, "person", out)
        self.ctx.consistency.wait(position)

    # helpers ------------------------------------------------------------------------------

    def _settle(self, person_id: UUID, why: str | None, step: int | None, method: str,
                now: datetime) -> SignIn:
        """Record the failure (and any lockout) or the sign-in, on the freshest state."""
        outcome: dict[str, Any] = {}

        def settle(person: Person) -> None:
            outcome.clear()
            if not person.may_try(now):
                outcome["refused"] = True
                return
            failure = why or ("reused code" if step is not None and step <= person.last_totp_step
                              else None)
            if failure:
                person.fail_sign_in(failure, at=now)
                outcome["refused"] = True
                return
            token, session_id, expires = self._new_session(person, method, step, now)
            outcome.update(token=token, session_id=session_id, expires=expires, person=person)

        _, position = self.ctx.app.change(person_id, Person, "person", settle)
        self.ctx.consistency.wait(position)
        if outcome.get("refused"):
            raise Unauthenticated(REFUSED)
        return SignIn(token=outcome["token"], session_id=outcome["session_id"],
                      actor=_actor(outcome["person"]), expires_at=outcome["expires"])

    def _new_session(self, person: Person, method: str, step: int | None,
                     now: datetime) -> tuple[str, str, datetime]:
        session = uuid4()
        secret = secrets.token_urlsafe(32)
        expires = now + self.policy.absolute
        person.sign_in(str(session), _sha256(secret), method, step, expires, at=now)
        return f"{session.hex}.{secret}", str(session), expires

    def _record_new(self, person: Person, key: Any) -> None:
        from broker.application.core import RecordConflict

        try:
            self.ctx.consistency.wait(self.ctx.app.record(person, keys=[key]))
        except RecordConflict:
            raise InvalidInput(f"there is already an account {person.username!r}") from None

    def _row(self, username: str) -> RowMapping:
        with self.read() as conn:
            row = people_view.by_username(conn, _username(username))
        if row is None:
            raise NotFound(f"no account {username!r}")
        return row

    def _change(self, username: str, mutate: Callable[[Person], None]) -> dict[str, Any]:
        row = self._row(username)
        try:
            person, position = self.ctx.app.change(UUID(row["id"]), Person, "person", mutate)
        except DomainConflict as exc:
            raise InvalidInput(exc.detail) from None
        self.ctx.consistency.wait(position)
        return describe(person)

    def _reseal(self, actor: Actor, username: str, what: str,
                new: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
        def reseal(person: Person) -> None:
            if person.source != "local":
                raise DomainConflict("this account signs in through the identity provider")
            old = self.ctx.personal_data.open(person.subject_key_id, str(person.sealed_credentials),
                                              CREDENTIALS_CONTEXT) or {"password": None, "totp": None}
            document = new(old)
            sealed = self.ctx.personal_data.seal(person.subject_key_id, document, CREDENTIALS_CONTEXT)
            person.change_credentials(sealed, totp=document["totp"] is not None, what=what,
                                      by=actor.client_id, at=self.ctx.clock.now())

        return self._change(username, reseal)


def _actor(person: Person) -> Actor:
    return Actor(client_id=person.actor_id, name=person.display_name, role=Role(person.role),
                 agency=person.agency)


def _public(row: RowMapping) -> dict[str, Any]:
    return {"id": row["id"], "actor_id": actor_id(row["id"]), "username": row["username"],
            "display_name": row["display_name"], "role": row["role"], "agency": row["agency"],
            "source": row["source"], "totp": bool(row["totp"]), "status": row["status"],
            "failures": row["failures"], "locked_until": row["locked_until"],
            "last_sign_in_at": row["last_sign_in_at"]}


def _username(username: str) -> str:
    try:
        return check_username(username)
    except DomainInvalid as exc:
        raise InvalidInput(exc.detail) from None


def _federated_username(claimed: str) -> str:
    cleaned = "".join(ch for ch in claimed.lower() if ch.isalnum() or ch in "._-")[:50]
    return f"oidc.{cleaned or 'person'}"


def _require_shell(actor: Actor) -> None:
    if not actor.is_shell:
        raise Forbidden("people's accounts are managed from the broker's own shell (broker users ...)")
