"""A person who signs in to the console: an officer, auditor or operator acting as themselves.

Every event a person causes names them (``person:<id>``), never a shared role key. Credentials
(the argon2id password hash, the TOTP secret) are never in an event in the clear: they are
sealed under the person's own subject key (``sealed_credentials``), like requesters' personal
data. Lockout is a pure rule of this module (``lock_duration``): the aggregate records each
failure and when the account opens again; a locked or disabled account cannot sign in.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from broker.domain.errors import DomainConflict, DomainInvalid
from broker.domain.roles import Role
from broker.domain.topics import topic

PERSON_PREFIX = "person:"
"""How a person is named as an actor: ``person:<uuid>``."""
FREE_ATTEMPTS = 5
"""Failures allowed before the first lockout."""
FIRST_LOCK = timedelta(minutes=1)
LONGEST_LOCK = timedelta(hours=1)
TOTP_ROLES = frozenset({Role.PRIVACY_OFFICER, Role.OPERATOR})
"""Local accounts of these roles must have a second factor."""
PERSON_ROLES = frozenset({Role.PRIVACY_OFFICER, Role.AUDITOR, Role.OPERATOR})
"""People sign in to the console in these roles; agencies and portals are machine clients."""
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")


def actor_id(person_id: object) -> str:
    return f"{PERSON_PREFIX}{person_id}"


def is_person(client_id: str | None) -> bool:
    return bool(client_id) and str(client_id).startswith(PERSON_PREFIX)


def lock_duration(failures: int) -> timedelta:
    """How long the account stays shut after ``failures`` consecutive failures: none for the
    first few, then one minute, doubling with each further failure, at most an hour."""
    if failures < FREE_ATTEMPTS:
        return timedelta(0)
    return min(FIRST_LOCK * 2 ** min(failures - FREE_ATTEMPTS, 16), LONGEST_LOCK)


def check_username(username: str) -> str:
    name = username.strip().lower()
    if not USERNAME.match(name):
        raise DomainInvalid("a username is 2 to 63 characters: lower-case letters, digits, . _ -")
    return name


class Person(Aggregate):
    TOPIC = topic("Person")

    class Event(Aggregate.Event):
        TOPIC = topic("Person.Event")

    @event("Registered", topic=topic("Person.Registered"))
    def __init__(self, id: UUID, username: str, display_name: str, role: str, agency: str, source: str,
                 federated_subject: str | None, sealed_credentials: str | None,
                 subject_key_id: str, totp: bool, by: str, at: datetime) -> None:
        self.username = username
        self.display_name = display_name
        self.role = role
        self.agency = agency
        self.source = source
        self.federated_subject = federated_subject
        self.sealed_credentials = sealed_credentials
        self.subject_key_id = subject_key_id
        self.totp = totp
        self.failures = 0
        self.locked_until: datetime | None = None
        self.disabled_at: datetime | None = None
        self.last_totp_step = -1
        self.sessions: dict[str, datetime] = {}

    @classmethod
    def register(cls, *, person_id: UUID, username: str, display_name: str, role: str, agency: str,
                 source: str,
                 federated_subject: str | None, sealed_credentials: str | None,
                 subject_key_id: str, totp: bool, by: str, at: datetime) -> Person:
        if role not in {r.value for r in PERSON_ROLES}:
            raise DomainInvalid(f"people sign in as {', '.join(sorted(r.value for r in PERSON_ROLES))}; "
                                f"{role!r} is a role for API clients")
        if not display_name.strip() or not agency.strip():
            raise DomainInvalid("a person needs a display name and an agency")
        if source == "local" and sealed_credentials is None:
            raise DomainInvalid("a local account needs credentials")
        if source == "local" and Role(role) in TOTP_ROLES and not totp:
            raise DomainInvalid(f"a {role} must have a second factor (TOTP)")
        return cls(id=person_id, username=check_username(username), display_name=display_name.strip(),
                   role=role, agency=agency.strip(), source=source,
                   federated_subject=federated_subject, sealed_credentials=sealed_credentials,
                   subject_key_id=subject_key_id, totp=totp, by=by, at=at)

    @property
    def actor_id(self) -> str:
        return actor_id(self.id)

    @property
    def is_active(self) -> bool:
        return self.disabled_at is None

    def locked_at(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until

    def may_try(self, now: datetime) -> bool:
        """Whether a sign-in attempt is even looked at now."""
        return self.is_active and not self.locked_at(now)

    # signing in --------------------------------------------------------------------------

    def fail_sign_in(self, why: str, at: datetime) -> None:
        """One more failure; from the fifth on the account is shut for a growing while."""
        if not self.may_try(at):
            raise DomainConflict("the account is locked or disabled")
        failures = self.failures + 1
        duration = lock_duration(failures)
        self._sign_in_failed(why=why, failures=failures,
                             locked_until=at + duration if duration else None, at=at)

    @event("SignInFailed", topic=topic("Person.SignInFailed"))
    def _sign_in_failed(self, why: str, failures: int, locked_until: datetime | None,
                        at: datetime) -> None:
        self.failures = failures
        self.locked_until = locked_until

    def sign_in(self, session_id: str, token_sha256: str, method: str, totp_step: int | None,
                expires_at: datetime, at: datetime) -> None:
        if not self.may_try(at):
            raise DomainConflict("the account is locked or disabled")
        if totp_step is not None and totp_step <= self.last_totp_step:
            raise DomainConflict("this one-time code was used already")
        self._signed_in(session_id=session_id, token_sha256=token_sha256, method=method,
                        totp_step=totp_step, expires_at=expires_at, at=at)

    @event("SignedIn", topic=topic("Person.SignedIn"))
    def _signed_in(self, session_id: str, token_sha256: str, method: str, totp_step: int | None,
                   expires_at: datetime, at: datetime) -> None:
        self.failures = 0
        self.locked_until = None
        if totp_step is not None:
            self.last_totp_step = totp_step
        self.sessions[session_id] = expires_at

    def sign_out(self, session_id: str, reason: str, at: datetime) -> None:
        if session_id not in self.sessions:
            raise DomainConflict("no such session")
        self._signed_out(session_id=session_id, reason=reason, at=at)

    @event("SignedOut", topic=topic("Person.SignedOut"))
    def _signed_out(self, session_id: str, reason: str, at: datetime) -> None:
        self.sessions.pop(session_id, None)

    # administration ----------------------------------------------------------------------

    def change_credentials(self, sealed_credentials: str, totp: bool, what: str, by: str,
                           at: datetime) -> None:
        """New password or new TOTP secret: every open session ends, the lock is lifted."""
        if self.source != "local":
            raise DomainConflict("an account of the identity provider has no local credentials")
        if Role(self.role) in TOTP_ROLES and not totp:
            raise DomainInvalid(f"a {self.role} must keep a second factor (TOTP)")
        self._credentials_changed(sealed_credentials=sealed_credentials, totp=totp, what=what,
                                  by=by, ended_sessions=sorted(self.sessions), at=at)

    @event("CredentialsChanged", topic=topic("Person.CredentialsChanged"))
    def _credentials_changed(self, sealed_credentials: str, totp: bool, what: str, by: str,
                             ended_sessions: list[str], at: datetime) -> None:
        self.sealed_credentials = sealed_credentials
        self.totp = totp
        self.failures = 0
        self.locked_until = None
        self.last_totp_step = -1
        self.sessions = {}

    def update_profile(self, display_name: str, role: str, agency: str, by: str,
                       at: datetime) -> bool:
        """What the identity provider now says of the person; False if nothing changed."""
        if (display_name, role, agency) == (self.display_name, self.role, self.agency):
            return False
        if role not in {r.value for r in PERSON_ROLES}:
            raise DomainInvalid(f"{role!r} is not a role a person signs in as")
        self._profile_changed(display_name=display_name, role=role, agency=agency, by=by,
                              ended_sessions=sorted(self.sessions), at=at)
        return True

    @event("ProfileChanged", topic=topic("Person.ProfileChanged"))
    def _profile_changed(self, display_name: str, role: str, agency: str, by: str,
                         ended_sessions: list[str], at: datetime) -> None:
        self.display_name = display_name
        self.role = role
        self.agency = agency
        self.sessions = {}

    def disable(self, reason: str, by: str, at: datetime) -> None:
        if self.disabled_at is not None:
            raise DomainConflict(f"{self.username} is already disabled")
        self._disabled(reason=reason, by=by, ended_sessions=sorted(self.sessions), at=at)

    @event("Disabled", topic=topic("Person.Disabled"))
    def _disabled(self, reason: str, by: str, ended_sessions: list[str], at: datetime) -> None:
        self.disabled_at = at
        self.sessions = {}

    def enable(self, by: str, at: datetime) -> None:
        if self.disabled_at is None:
            raise DomainConflict(f"{self.username} is not disabled")
        self._enabled(by=by, at=at)

    @event("Enabled", topic=topic("Person.Enabled"))
    def _enabled(self, by: str, at: datetime) -> None:
        self.disabled_at = None
        self.failures = 0
        self.locked_until = None


def describe(person: Person) -> dict[str, Any]:
    """What the shell and the console show of an account (never a credential)."""
    return {"id": str(person.id), "actor_id": person.actor_id, "username": person.username,
            "display_name": person.display_name, "role": person.role, "agency": person.agency,
            "source": person.source, "totp": person.totp,
            "status": "active" if person.is_active else "disabled"}
