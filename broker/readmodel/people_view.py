"""People and their console sessions, as signing in reads them.

Sessions are projected from ``Person.SignedIn`` and ended by ``SignedOut``, a change of
credentials or profile, or disabling the account; so a session is valid in every process as
soon as the read model shows it, and ends everywhere at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from sqlalchemy import Connection, RowMapping, insert, select, update

from broker.domain import events
from broker.readmodel.projection import ViewProjection
from broker.readmodel.tables import clients, people, person_sessions


class PeopleView(ViewProjection):
    """Rows are written at once (not held for the batch): the audit trail, later in the same
    batch, looks up the role and agency of the person who acted."""

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """Not a person event."""

    def _person(self, event: Any, **values: Any) -> None:
        self.conn.execute(update(people).where(people.c.id == str(event.originator_id))
                          .values(**values))

    def _end(self, session_ids: Iterable[str], reason: str, at: datetime) -> None:
        ids = list(session_ids)
        if ids:
            self.conn.execute(update(person_sessions)
                              .where(person_sessions.c.id.in_(ids),
                                     person_sessions.c.ended_at.is_(None))
                              .values(ended_at=at, end_reason=reason))

    @process_event.register(events.PersonRegistered)
    def _registered(self, event: Any, tracking: Tracking) -> None:
        self.conn.execute(insert(people).values(
            id=str(event.originator_id), username=event.username,
            display_name=event.display_name, role=event.role, agency=event.agency,
            source=event.source, federated_subject=event.federated_subject,
            sealed_credentials=event.sealed_credentials, subject_key_id=event.subject_key_id,
            totp=event.totp, status="active", failures=0, locked_until=None,
            registered_at=event.at, last_sign_in_at=None))

    @process_event.register(events.PersonSignInFailed)
    def _failed(self, event: Any, tracking: Tracking) -> None:
        self._person(event, failures=event.failures, locked_until=event.locked_until)

    @process_event.register(events.PersonSignedIn)
    def _signed_in(self, event: Any, tracking: Tracking) -> None:
        self._person(event, failures=0, locked_until=None, last_sign_in_at=event.at)
        self.conn.execute(insert(person_sessions).values(
            id=event.session_id, person_id=str(event.originator_id),
            token_sha256=event.token_sha256, method=event.method, started_at=event.at,
            expires_at=event.expires_at, ended_at=None, end_reason=None))

    @process_event.register(events.PersonSignedOut)
    def _signed_out(self, event: Any, tracking: Tracking) -> None:
        self._end([event.session_id], event.reason, event.at)

    @process_event.register(events.PersonCredentialsChanged)
    def _credentials(self, event: Any, tracking: Tracking) -> None:
        self._person(event, sealed_credentials=event.sealed_credentials, totp=event.totp,
                     failures=0, locked_until=None)
        self._end(event.ended_sessions, "credentials changed", event.at)

    @process_event.register(events.PersonProfileChanged)
    def _profile(self, event: Any, tracking: Tracking) -> None:
        self._person(event, display_name=event.display_name, role=event.role,
                     agency=event.agency)
        self._end(event.ended_sessions, "profile changed", event.at)

    @process_event.register(events.PersonDisabled)
    def _disabled(self, event: Any, tracking: Tracking) -> None:
        self._person(event, status="disabled")
        self._end(event.ended_sessions, "account disabled", event.at)

    @process_event.register(events.PersonEnabled)
    def _enabled(self, event: Any, tracking: Tracking) -> None:
        self._person(event, status="active", failures=0, locked_until=None)


# queries ----------------------------------------------------------------------------------

def by_username(conn: Connection, username: str) -> RowMapping | None:
    return conn.execute(select(people).where(people.c.username == username)).mappings().one_or_none()


def by_federated_subject(conn: Connection, subject: str) -> RowMapping | None:
    query = select(people).where(people.c.federated_subject == subject)
    return conn.execute(query).mappings().one_or_none()


def by_id(conn: Connection, person_id: str) -> RowMapping | None:
    return conn.execute(select(people).where(people.c.id == person_id)).mappings().one_or_none()


def all_people(conn: Connection) -> list[RowMapping]:
    return list(conn.execute(select(people).order_by(people.c.username)).mappings())


def session_with_person(conn: Connection, session_id: str) -> RowMapping | None:
    """The session and its person's current state, in one lookup."""
    s, p = person_sessions.c, people.c
    query = (select(s.id, s.token_sha256, s.started_at, s.expires_at, s.ended_at, s.method,
                    p.id.label("person_id"), p.username, p.display_name, p.role, p.agency,
                    p.status)
             .select_from(person_sessions.join(people, p.id == s.person_id))
             .where(s.id == session_id))
    return conn.execute(query).mappings().one_or_none()


def actor_names(conn: Connection, actor_ids: Iterable[str]) -> dict[str, str]:
    """Display names of the people and API clients among these actor ids."""
    from broker.domain.person import PERSON_PREFIX

    wanted = set(actor_ids)
    person_ids = [a[len(PERSON_PREFIX):] for a in wanted if a.startswith(PERSON_PREFIX)]
    client_ids = [a for a in wanted if not a.startswith(PERSON_PREFIX)]
    names: dict[str, str] = {}
    if person_ids:
        for person_id, display_name in conn.execute(
                select(people.c.id, people.c.display_name).where(people.c.id.in_(person_ids))):
            names[PERSON_PREFIX + person_id] = display_name
    if client_ids:
        for client_id, name in conn.execute(
                select(clients.c.id, clients.c.name).where(clients.c.id.in_(client_ids))):
            names[client_id] = name
    return names
