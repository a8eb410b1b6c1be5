"""Accounts through the application, on both stores: sign-in with password and TOTP, lockout,
sessions and their timeouts, disabling and resets; every event names the person, and no
credential is ever stored in the clear."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from broker.adapters import credentials
from broker.application.requests import RequestDraft
from broker.domain.roles import Role
from broker.errors import Forbidden, InvalidInput, Unauthenticated
from broker.readmodel.tables import audit_events, footage_requests
from tests.conftest import SHELL, T0
from tests.web.conftest import person


def code_now(broker, who, offset_steps: int = 0) -> str:
    return credentials.totp_code(who.totp_secret, credentials.totp_step(broker.clock.now()) + offset_steps)


def test_sign_in_names_the_person_and_ends_on_sign_out(broker):
    kim = person(broker, "kim", Role.PRIVACY_OFFICER, "Kim Minji")
    signed = broker.people.sign_in("KIM", kim.password, code_now(broker, kim))
    assert signed.actor.client_id == kim.actor_id and signed.actor.role is Role.PRIVACY_OFFICER
    session = broker.people.session(signed.token, broker.clock.now())
    assert session.actor == signed.actor and session.username == "kim"
    broker.people.sign_out(signed.token, broker.clock.now())
    with pytest.raises(Unauthenticated):
        broker.people.session(signed.token, broker.clock.now())
    with broker.readmodel.reader.connect() as conn:
        rows = conn.execute(select(audit_events.c.event_type, audit_events.c.actor_client_id,
                                   audit_events.c.actor_role)
                            .where(audit_events.c.event_type.like("Person.%"))
                            .order_by(audit_events.c.position)).all()
    assert [r[0] for r in rows] == ["Person.Registered", "Person.SignedIn", "Person.SignedOut"]
    assert rows[0][1] == SHELL.client_id
    assert all(r[1] == kim.actor_id and r[2] == "privacy_officer" for r in rows[1:])


def test_a_person_acting_is_recorded_as_the_person_on_every_store(broker):
    """An officer files a court-proceedings request as herself: her 43-character actor id fits
    every column that records who acted (PostgreSQL enforces their length)."""
    kim = person(broker, "kim", Role.PRIVACY_OFFICER)
    actor = broker.people.sign_in("kim", kim.password, code_now(broker, kim)).actor
    draft = RequestDraft(legal_basis="court_proceedings", mode="recorded", radius_m=100,
                         window_start=T0 - timedelta(hours=2), window_end=T0 - timedelta(hours=1),
                         incident_reference="2026가합1234", incident_kind="civil case",
                         location=(36.35, 127.38), occurred_at=T0 - timedelta(hours=1, minutes=30),
                         purpose="court order")
    filed = broker.requests.submit(actor, draft)
    broker.ctx.consistency.latest()
    with broker.readmodel.reader.connect() as conn:
        stored = conn.execute(select(footage_requests.c.client_id)
                              .where(footage_requests.c.id == filed["id"])).scalar_one()
        actors = {row[0] for row in conn.execute(select(audit_events.c.actor_client_id).where(
            audit_events.c.request_id == filed["id"]))}
    assert stored == kim.actor_id and kim.actor_id in actors


def test_wrong_password_wrong_code_and_a_reused_code_are_the_same_refusal(broker):
    kim = person(broker, "kim", Role.PRIVACY_OFFICER)
    good = code_now(broker, kim)
    refusals = []
    for username, password, code in (("kim", "wrong password!", good), ("kim", kim.password, "000000"),
                                     ("nobody", kim.password, good)):
        with pytest.raises(Unauthenticated) as refused:
            broker.people.sign_in(username, password, code)
        refusals.append(refused.value.detail)
    broker.people.sign_in("kim", kim.password, good)
    with pytest.raises(Unauthenticated) as replayed:
        broker.people.sign_in("kim", kim.password, good)
    assert len(set([*refusals, replayed.value.detail])) == 1


def test_five_failures_lock_the_account_even_against_the_right_password(broker, clock):
    kim = person(broker, "kim", Role.PRIVACY_OFFICER)
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            broker.people.sign_in("kim", "not the password", "123456")
    with pytest.raises(Unauthenticated):
        broker.people.sign_in("kim", kim.password, code_now(broker, kim))
    clock.advance(timedelta(minutes=1, seconds=1))
    assert broker.people.sign_in("kim", kim.password, code_now(broker, kim)).actor.client_id == kim.actor_id


def test_idle_and_absolute_timeouts(broker, clock):
    lee = person(broker, "lee", Role.AUDITOR)
    signed = broker.people.sign_in("lee", lee.password, "")
    idle = broker.people.policy.idle
    clock.advance(idle + timedelta(seconds=1))
    with pytest.raises(Unauthenticated):
        broker.people.session(signed.token, signed.expires_at - broker.people.policy.absolute)
    assert broker.people.session(signed.token, clock.now()).actor.role is Role.AUDITOR


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(min_value=1, max_value=29 * 60), min_size=1, max_size=40))
def test_no_session_survives_its_absolute_timeout(broker, clock, pauses):
    """However often it is used (each use well within the idle timeout), a session ends at its
    absolute timeout and never later."""
    if not broker.people.list(SHELL):
        person(broker, "lee", Role.AUDITOR)
    made = broker.people.list(SHELL)[0]
    assert made["username"] == "lee"
    clock.set(T0)
    password = broker.people.reset_password(SHELL, "lee").password
    signed = broker.people.sign_in("lee", password, "")
    for pause in pauses:
        clock.advance(timedelta(seconds=pause))
        if clock.now() >= signed.expires_at:
            with pytest.raises(Unauthenticated):
                broker.people.session(signed.token, clock.now())
        else:
            broker.people.session(signed.token, clock.now())
    clock.set(signed.expires_at)
    with pytest.raises(Unauthenticated):
        broker.people.session(signed.token, clock.now())


def test_disabling_and_resets_end_sessions_and_old_secrets(broker):
    park = person(broker, "park", Role.OPERATOR)
    signed = broker.people.sign_in("park", park.password, code_now(broker, park))
    fresh = broker.people.reset_totp(SHELL, "park")
    with pytest.raises(Unauthenticated):
        broker.people.session(signed.token, broker.clock.now())
    with pytest.raises(Unauthenticated):
        broker.people.sign_in("park", park.password, code_now(broker, park, 1))
    new_code = credentials.totp_code(fresh.totp_secret, credentials.totp_step(broker.clock.now()) + 1)
    again = broker.people.sign_in("park", park.password, new_code)
    broker.people.disable(SHELL, "park", "moved to another office")
    with pytest.raises(Unauthenticated):
        broker.people.session(again.token, broker.clock.now())
    with pytest.raises(Unauthenticated):
        broker.people.sign_in("park", park.password, code_now(broker, park, 1))


def test_accounts_are_managed_at_the_shell_only_and_names_are_unique(broker):
    kim = person(broker, "kim", Role.PRIVACY_OFFICER)
    with pytest.raises(InvalidInput):
        person(broker, "kim", Role.AUDITOR)
    actor = broker.people.sign_in("kim", kim.password, code_now(broker, kim)).actor
    with pytest.raises(Forbidden):
        broker.people.add(actor, username="eve", display_name="Eve", role=Role.PRIVACY_OFFICER,
                          agency="x")
    with pytest.raises(InvalidInput):
        broker.people.add(SHELL, username="mallory", display_name="M", role=Role.POLICE, agency="x")


def test_no_credential_is_stored_in_the_clear(broker):
    kim = person(broker, "kim", Role.PRIVACY_OFFICER)
    broker.people.sign_in("kim", kim.password, code_now(broker, kim))
    stored = b"".join(bytes(n.state) for n in broker.app.recorder.select_notifications(start=1, limit=1000))
    assert b"$argon2" not in stored and kim.password.encode() not in stored
    assert kim.totp_secret.encode() not in stored
    with broker.readmodel.reader.connect() as conn:
        from broker.readmodel.tables import people

        sealed = conn.execute(select(people.c.sealed_credentials)).scalar_one()
    assert "argon2" not in sealed and kim.totp_secret not in sealed
    assert UUID(kim.actor_id.removeprefix("person:"))
