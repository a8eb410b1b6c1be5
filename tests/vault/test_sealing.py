from __future__ import annotations

import pytest

from broker.adapters.vault.errors import IntegrityError, KeyShreddedError
from broker.adapters.vault.keystore import Keystore
from broker.adapters.vault.sealing import Sealer

SUBJECT = "subject:5d0c8f7e-3a1b-4c2d-9e8f-7a6b5c4d3e2f"


@pytest.fixture
def sealer(keystore: Keystore) -> Sealer:
    keystore.create_key(SUBJECT)
    return Sealer(keystore)


def test_sealed_values_open_until_the_subject_key_is_shredded(
    sealer: Sealer, keystore: Keystore
) -> None:
    blob = sealer.seal(SUBJECT, "홍길동 010-1234-5678".encode())
    assert "홍길동".encode() not in blob
    assert sealer.open_sealed(SUBJECT, blob) == "홍길동 010-1234-5678".encode()
    assert sealer.seal(SUBJECT, b"same") != sealer.seal(SUBJECT, b"same")
    keystore.shred(SUBJECT)
    with pytest.raises(KeyShreddedError):
        sealer.open_sealed(SUBJECT, blob)
    with pytest.raises(KeyShreddedError):
        sealer.seal(SUBJECT, b"new data for an erased subject")


def test_a_sealed_value_is_bound_to_its_subject_and_context(
    sealer: Sealer, keystore: Keystore
) -> None:
    other = "subject:other"
    keystore.create_key(other)
    blob = sealer.seal(SUBJECT, b"caller location", context=b"FootageRequested.caller")
    assert sealer.open_sealed(SUBJECT, blob, context=b"FootageRequested.caller")
    damaged = bytearray(blob)
    damaged[-1] ^= 1
    attempts = [
        (SUBJECT, blob, b""),
        (SUBJECT, blob, b"CitizenFiled.name"),
        (other, blob, b"FootageRequested.caller"),
        (SUBJECT, bytes(damaged), b"FootageRequested.caller"),
        (SUBJECT, blob[:20], b"FootageRequested.caller"),
        (SUBJECT, b"XXXX" + blob[4:], b"FootageRequested.caller"),
    ]
    for key_id, candidate, context in attempts:
        with pytest.raises(IntegrityError):
            sealer.open_sealed(key_id, candidate, context=context)


def test_personal_data_opens_a_batch_with_one_key_read(keystore: Keystore) -> None:
    from broker.adapters.vault.personal_data import PersonalData

    personal = PersonalData(keystore)
    sealed = [(f"subject:{i}", personal.seal(f"subject:{i}", {"n": i}, "ctx")) for i in range(5)]
    personal.erase("subject:2")
    assert personal.open_many(sealed, "ctx") == [{"n": 0}, {"n": 1}, None, {"n": 3}, {"n": 4}]
    assert personal.open_many(sealed[:1], "ctx") == [personal.open(*sealed[0], "ctx")]
    with pytest.raises(IntegrityError):
        personal.open_many(sealed[:1], "another context")
