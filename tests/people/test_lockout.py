"""The lockout rule and the Person aggregate's invariants, without any store."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from broker.domain.errors import DomainConflict, DomainInvalid
from broker.domain.person import FREE_ATTEMPTS, LONGEST_LOCK, Person, lock_duration
from tests.conftest import T0


def account(role: str = "privacy_officer") -> Person:
    return Person.register(person_id=uuid4(), username="kim", display_name="Kim", role=role,
                           agency="city", source="local", federated_subject=None,
                           sealed_credentials="sealed", subject_key_id="subject:person:x",
                           totp=True, by="cli:root", at=T0)


def test_the_first_failures_are_free_then_the_lock_doubles_up_to_an_hour():
    assert [lock_duration(n) for n in range(FREE_ATTEMPTS)] == [timedelta(0)] * FREE_ATTEMPTS
    assert lock_duration(5) == timedelta(minutes=1) and lock_duration(6) == timedelta(minutes=2)
    assert lock_duration(100) == LONGEST_LOCK


@given(st.lists(st.tuples(st.booleans(), st.integers(min_value=0, max_value=7200)), max_size=40))
def test_a_locked_account_never_signs_in(attempts):
    """Whatever the sequence of right and wrong attempts and pauses, a sign-in succeeds only
    while the account is not locked; a locked one refuses even the right credentials."""
    person = account()
    now = T0
    for step, (right, pause) in enumerate(attempts):
        now += timedelta(seconds=pause)
        locked = person.locked_until is not None and now < person.locked_until
        if locked:
            assert not person.may_try(now)
            with pytest.raises(DomainConflict):
                person.sign_in(f"s{step}", "0" * 64, "password", None, now + timedelta(hours=1), at=now)
            with pytest.raises(DomainConflict):
                person.fail_sign_in("password", at=now)
        elif right:
            person.sign_in(f"s{step}", "0" * 64, "password", None, now + timedelta(hours=1), at=now)
            assert person.failures == 0
        else:
            before = person.failures
            person.fail_sign_in("password", at=now)
            assert person.failures == before + 1
            assert (person.locked_until is not None) == (person.failures >= FREE_ATTEMPTS)


def test_a_code_is_never_accepted_twice():
    person = account()
    person.sign_in("s1", "0" * 64, "password", 1000, T0 + timedelta(hours=1), at=T0)
    with pytest.raises(DomainConflict):
        person.sign_in("s2", "0" * 64, "password", 1000, T0 + timedelta(hours=1), at=T0)


def test_officers_and_operators_must_have_a_second_factor_and_clients_roles_are_refused():
    for role in ("privacy_officer", "operator"):
        with pytest.raises(DomainInvalid):
            Person.register(person_id=uuid4(), username="x1", display_name="X", role=role,
                            agency="a", source="local", federated_subject=None,
                            sealed_credentials="s", subject_key_id="k", totp=False, by="cli", at=T0)
    with pytest.raises(DomainInvalid):
        account(role="police")


def test_disabling_ends_every_session():
    person = account()
    person.sign_in("s1", "0" * 64, "password", None, T0 + timedelta(hours=1), at=T0)
    person.disable("left the office", "cli:root", at=T0)
    assert person.sessions == {} and not person.may_try(T0)
