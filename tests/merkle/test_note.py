"""C2SP signed notes and verifier keys: the spec's and the reference implementations' vectors, the
syntax rules, and properties (round trips; any single-byte edit of a signed note is rejected)."""

from __future__ import annotations

import base64
import contextlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from broker.merkle import (
    COSIGNATURE_V1_ALGORITHM,
    ED25519_ALGORITHM,
    MAX_SIGNATURE_LINES,
    CheckpointError,
    NoteSignature,
    VerifierKey,
    format_vkey,
    key_hash,
    key_id,
    parse_note,
    parse_vkey,
    sign_note,
    valid_key_name,
    verify_note,
)

PROPERTY = settings(max_examples=200, deadline=None)


def seed_key(skey: str) -> Ed25519PrivateKey:
    """The Ed25519 key in a Go-style ``PRIVATE+KEY+<name>+<id>+<base64(0x01 || seed)>`` string."""
    blob = base64.b64decode(skey.split("+", 4)[4])
    assert blob[0] == ED25519_ALGORITHM
    return Ed25519PrivateKey.from_private_bytes(blob[1:])


# --- Vectors ----------------------------------------------------------------------------------

# https://github.com/C2SP/C2SP/blob/main/signed-note.md, "Verifier keys" > "Example".
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n"
    "\n"
    "— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"  # noqa: E501
)
# https://github.com/C2SP/C2SP/blob/main/signed-note.md, opening example: the text has a blank line
# of its own; the key is not published, so it can only be parsed.
QUASIMODO = (
    "Ognuno sta solo sul cuor della terra\n"
    "trafitto da un raggio di sole:\n"
    "\n"
    "ed è subito sera.\n"
    "\n"
    "— quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n"  # noqa: E501
)

# https://github.com/golang/mod/blob/master/sumdb/note/note_test.go (the reference implementation).
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
PETER_SIG = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"  # noqa: E501
ENOCH_SIG = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"  # noqa: E501


def go_splice(line: str, at: int, insert: str) -> str:
    """``line[:at] + insert + line[at:]`` with ``at`` a byte offset, as the Go test slices strings."""
    raw = line.encode()
    return (raw[:at] + insert.encode() + raw[at:]).decode()


# (skey, vkey) pairs: the vkey is what the reference tools derive from the private key.
# https://github.com/transparency-dev/formats/blob/main/log/note_test.go,
# https://github.com/transparency-dev/formats/blob/main/note/note_verifier_test.go,
# https://github.com/transparency-dev/witness/blob/main/witness/witness_test.go, and golang/mod above.
KEY_PAIRS = [
    (PETER_SKEY, PETER_VKEY),
    ("PRIVATE+KEY+Log+2271c621+AdEIq9FLRQni54Wg68T96VJO+iayOaulswav2DUMKgvQ",
     "Log+2271c621+AemuH5ooBpEPcr+W8onrjA1NfuzBVHdezakU81Ekarvs"),
    ("PRIVATE+KEY+Known+451c786d+AQPRoE2+Z+Ed1HaHBA9F/FfracvcZ2rDU39kCecMEoci",
     "Known+451c786d+AXAQ0T7lbwuY4ABJ9/MYY9bWV3hmSyOGVt2x42NkmdUH"),
    ("PRIVATE+KEY+KnownAgain+4893b26c+ARhZda/l25zjGZswYLDZsLNRzNpmv5wYTN9IoTr1OJ2+",
     "KnownAgain+4893b26c+AQ+LR7BFF/F/dkpIBjBpSvT0crkteizuUkavAoGeaYMj"),
    ("PRIVATE+KEY+Unknown+fdbb2e08+Aav2knTC6orbhXX8pMWuNiWgO+Wwk2DB+h1eU2Q1W1nU",
     "Unknown+fdbb2e08+AWgRIYZ+8x1Vl+1Q+sR8zciNHiYI1SdlBjNw+RV0rots"),
    ("PRIVATE+KEY+logandmap+38581672+AXJ0FKWOcO2ch6WC8kP705Ed3Gxu7pVtZLhfHAQwp+FE",
     "logandmap+38581672+Ab/PCr1eCclRPRMBqw/r5An1xO71MCnImLiospEq6b4l"),
    ("PRIVATE+KEY+monkeys+db4d9f7e+ATWIAF3yVBG+Hv1rZFQoNt/BaURkLPtOFMAM2HrEeIr6",
     "monkeys+db4d9f7e+AULaJMvTtDLHPUcUrjdDad9vDlh/PTfC2VV60JUtCfWT"),
    ("PRIVATE+KEY+witness+f13a86db+AaLa/dfyBhyo/m0Z7WCi98ENVZWtrP8pxgRNrx7tIWiA",
     "witness+f13a86db+AdYV1Ztajd9BvyjP2HgpwrqYL6TjOwIjGMOq8Bu42xbN"),
]

# Verifier keys the reference implementations accept, with their signature type.
# https://github.com/transparency-dev/formats/blob/main/note/note_cosigv1_test.go (TestCoSigV1NewVerifier)
# and https://github.com/transparency-dev/witness-network/blob/main/lists/testing/log-list.1.
GOOD_VKEYS = [
    (SPEC_VKEY, ED25519_ALGORITHM),
    (PETER_VKEY, ED25519_ALGORITHM),
    (ENOCH_VKEY, ED25519_ALGORITHM),
    ("TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6", ED25519_ALGORITHM),
    ("remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2", COSIGNATURE_V1_ALGORITHM),
    ("arche2025h1.staging.ct.transparency.dev+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f",
     ED25519_ALGORITHM),
]

SIGSTORE_KEY_MATERIAL = (  # an ECDSA (type 0x02) key: valid elsewhere, unsupported here
    "AjBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABNhtmPtrWm3U1eQXBogSMdGvXwBcK5AW5i0hrZLOC96l+smGNM7nwZ4QvFK/4sueRoVj//QP22Ni4Qt9DPfkWLc="
)
BAD_VKEYS = [
    # golang/mod note_test.go TestNewVerifier: wrong-length key and unknown algorithm, ids adjusted.
    "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
    "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    # transparency-dev/formats note_verifier_test.go and note_cosigv1_test.go failure cases.
    "bananas.sigstore.dev+12344556",
    "rekor.sigstore.dev+12345678+THIS_IS_NOT_BASE64!",
    "rekor.sigstore.dev+12345678+AwEB",
    "rekor.sigstore.dev+NOT_A_NUMBER+" + SIGSTORE_KEY_MATERIAL,
    "rekor.sigstore.dev+00000000+" + SIGSTORE_KEY_MATERIAL,
    "rekor.sigstore.dev+c0d23d6a+" + SIGSTORE_KEY_MATERIAL,  # the real ECDSA key: type unsupported
    # Ours: the spec's hex is lowercase; a key id for the wrong type; an empty name.
    SPEC_VKEY.replace("530d903a", "530D903A"),
    "remora.n621.de+da77ade7+AevN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2",
    "+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
    "",
]


# --- Verifier keys --------------------------------------------------------------------------------

@pytest.mark.parametrize(("vkey", "algorithm"), GOOD_VKEYS)
def test_reference_vkeys_parse_and_format_back(vkey: str, algorithm: int) -> None:
    parsed = parse_vkey(vkey)
    assert parsed.algorithm == algorithm
    assert format_vkey(parsed) == str(parsed) == vkey
    name, hex_id, _ = vkey.split("+", 2)
    assert parsed.name == name and parsed.key_id.hex() == hex_id
    assert key_id(name, algorithm, parsed.key) == parsed.key_id


def test_spec_vkey_fields() -> None:
    parsed = parse_vkey(SPEC_VKEY)
    assert parsed.name == "example.com/foo"
    assert parsed.key == bytes.fromhex("e932791ae6e7a840a46164c904786426d5e7821dd8b29a00d61cae72afdd4da4")


@pytest.mark.parametrize(("skey", "vkey"), KEY_PAIRS)
def test_vkeys_derived_from_private_keys_match_the_reference_tools(skey: str, vkey: str) -> None:
    name = skey.split("+")[2]
    public = seed_key(skey).public_key()
    assert str(VerifierKey.ed25519(name, public)) == vkey
    assert key_hash(name, public).hex() == vkey.split("+")[1]


@pytest.mark.parametrize("vkey", BAD_VKEYS)
def test_bad_vkeys_are_refused(vkey: str) -> None:
    with pytest.raises(CheckpointError):
        parse_vkey(vkey)


def test_every_mangling_of_a_vkey_is_refused() -> None:
    # golang/mod note_test.go TestNewVerifier: every proper substring, and every character + 1.
    for i in range(len(PETER_VKEY) + 1):
        for j in range(i + 1, len(PETER_VKEY) + 1):
            if (i, j) != (0, len(PETER_VKEY)):
                with pytest.raises(CheckpointError):
                    parse_vkey(PETER_VKEY[i:j])
    for i, c in enumerate(PETER_VKEY):
        with pytest.raises(CheckpointError):
            parse_vkey(PETER_VKEY[:i] + chr(ord(c) + 1) + PETER_VKEY[i + 1 :])


@pytest.mark.parametrize(
    ("name", "algorithm", "key"),
    [("", 1, b"\x00" * 32), ("a b", 1, b"\x00" * 32), ("a+b", 1, b"\x00" * 32), ("a\nb", 1, b"\x00" * 32),
     ("a", 2, b"\x00" * 32), ("a", 6, b"\x00" * 32), ("a", 1, b"\x00" * 31), ("a", 4, b"\x00" * 33)],
)
def test_verifier_key_construction_is_validated(name: str, algorithm: int, key: bytes) -> None:
    with pytest.raises(ValueError):
        VerifierKey(name, algorithm, key)


def test_cosignature_key_ids_use_type_0x04() -> None:
    public = seed_key(PETER_SKEY).public_key()
    plain, cosig = VerifierKey.ed25519("w", public), VerifierKey.cosignature("w", public)
    assert plain.key == cosig.key and plain.key_id != cosig.key_id
    assert cosig.key_id == key_id("w", 0x04, cosig.key)


key_names = st.text(st.characters(exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp")), min_size=1, max_size=30)
key_names = key_names.filter(valid_key_name)


@PROPERTY
@given(key_names, st.sampled_from([ED25519_ALGORITHM, COSIGNATURE_V1_ALGORITHM]),
       st.binary(min_size=32, max_size=32))
def test_vkey_round_trip(name: str, algorithm: int, key: bytes) -> None:
    vkey = VerifierKey(name, algorithm, key)
    assert parse_vkey(format_vkey(vkey)) == vkey


# --- Notes ------------------------------------------------------------------------------------

def test_spec_example_note_verifies_with_its_vkey() -> None:
    assert verify_note(SPEC_NOTE, parse_vkey(SPEC_VKEY)) == "This is an example message.\n"
    assert verify_note(SPEC_NOTE.encode(), parse_vkey(SPEC_VKEY)) == "This is an example message.\n"
    with pytest.raises(CheckpointError, match="no signature"):
        verify_note(SPEC_NOTE, parse_vkey(PETER_VKEY))


def test_the_last_blank_line_separates_text_from_signatures() -> None:
    note = parse_note(QUASIMODO)
    assert note.text == QUASIMODO[: QUASIMODO.rindex("\n\n") + 1]
    assert note.text.endswith("ed è subito sera.\n") and "\n\n" in note.text
    [sig] = note.signatures
    assert sig.key_name == "quasimodo.example/salvatore" and len(sig.signature) == 64
    assert str(note) == QUASIMODO


def test_go_reference_note_and_keys() -> None:
    peter, enoch = parse_vkey(PETER_VKEY), parse_vkey(ENOCH_VKEY)
    assert sign_note(TEXT, seed_key(PETER_SKEY), "PeterNeumann") == TEXT + "\n" + PETER_SIG
    both = TEXT + "\n" + PETER_SIG + ENOCH_SIG
    assert verify_note(both, peter) == verify_note(both, enoch) == TEXT
    assert verify_note(both, peter.public_key(), "PeterNeumann") == TEXT
    with pytest.raises(CheckpointError):
        verify_note(both, parse_vkey(SPEC_VKEY))
    note = parse_note(both)
    assert [s.key_name for s in note.signatures] == ["PeterNeumann", "EnochRoot"]
    assert note.signatures[0].key_id.hex() == "c74f20a3" and note.signatures[1].key_id.hex() == "af0cfe78"


def test_signature_limit_counts_every_line() -> None:
    # golang/mod note_test.go: 101 copies of one signature is "malformed note", verified or not.
    peter = parse_vkey(PETER_VKEY)
    assert verify_note(TEXT + "\n" + PETER_SIG * MAX_SIGNATURE_LINES, peter) == TEXT
    for key in (peter, parse_vkey(SPEC_VKEY)):
        with pytest.raises(CheckpointError, match="more than 100"):
            verify_note(TEXT + "\n" + PETER_SIG * (MAX_SIGNATURE_LINES + 1), key)


def test_identical_lines_are_one_signature_but_every_distinct_one_by_the_key_must_verify() -> None:
    peter, enoch = parse_vkey(PETER_VKEY), parse_vkey(ENOCH_VKEY)
    enoch_abcd = go_splice(ENOCH_SIG, 60, "ABCD")  # golang/mod note_test.go: a corrupted Enoch line
    note = TEXT + "\n" + PETER_SIG + PETER_SIG + ENOCH_SIG + ENOCH_SIG + enoch_abcd
    assert verify_note(note, peter) == TEXT
    assert len(parse_note(note).signatures) == 3
    # The spec: a known key's signature that fails to verify SHOULD reject the note. Go's reader
    # skips every line after the first by the same key; this one checks them all.
    with pytest.raises(CheckpointError, match="does not verify"):
        verify_note(note, enoch)
    with pytest.raises(CheckpointError, match="does not verify"):
        verify_note(TEXT + "\n" + go_splice(PETER_SIG, 60, "ABCD"), peter)


BAD_NOTES: list[str | bytes] = [
    # golang/mod note_test.go TestOpen, "Invalid encoded message syntax".
    TEXT,
    TEXT + "\n",
    TEXT + "\n" + PETER_SIG[:-1],
    "\x01" + TEXT + "\n" + PETER_SIG,
    b"\xff" + (TEXT + "\n" + PETER_SIG).encode(),
    TEXT + "\n" + "— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",  # noqa: E501
    TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
    # Ours, from the signed-note rules.
    "",
    "\n\n" + PETER_SIG[:-1],
    TEXT.replace("\n", "\r\n", 1) + "\n" + PETER_SIG,
    TEXT.replace(" ", "\t", 1) + "\n" + PETER_SIG,
    TEXT + "\n" + PETER_SIG.replace("x08go", "x08\x00go"),
    TEXT + "\n" + PETER_SIG + "\n",
    TEXT + "\n" + PETER_SIG.replace("— ", "-- "),
    TEXT + "\n" + PETER_SIG.replace("— ", "—"),
    TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Peter+Neumann"),
    TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Peter\u00a0Neumann"),
    TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Peter\u3000Neumann"),
    TEXT + "\n" + PETER_SIG.replace("PeterNeumann ", "PeterNeumann  "),
    TEXT + "\n" + PETER_SIG.replace("JnAM=", "JnAM"),
    TEXT + "\n" + PETER_SIG.replace("JnAM=", "JnAN="),
    TEXT + "\n— PeterNeumann x08g\n",
    TEXT + "\n— PeterNeumann \n",
    TEXT + "\n" + "\ud800" + PETER_SIG,
]


@pytest.mark.parametrize("note", BAD_NOTES)
def test_malformed_notes_are_refused_before_any_key_is_tried(note: str | bytes) -> None:
    with pytest.raises(CheckpointError):
        parse_note(note)
    with pytest.raises(CheckpointError):
        verify_note(note, parse_vkey(PETER_VKEY))


@pytest.mark.parametrize(
    "text", ["", "no newline", "tab\there\n", "nul\x00\n", "cr\r\n", "surrogate \ud800\n"],
)
def test_sign_note_refuses_texts_no_verifier_could_read(text: str) -> None:
    with pytest.raises(ValueError):
        sign_note(text, seed_key(PETER_SKEY), "PeterNeumann")


@pytest.mark.parametrize("name", ["", "a b", "a+b", "a\nb", "a\u00a0b", "a\u2028b", "a\x1fb"])
def test_bad_key_names_are_refused_when_signing_and_verifying(name: str) -> None:
    assert not valid_key_name(name)
    key = seed_key(PETER_SKEY)
    with pytest.raises(ValueError):
        sign_note(TEXT, key, name)
    with pytest.raises(ValueError):
        verify_note(TEXT + "\n" + PETER_SIG, key.public_key(), name)


def test_key_names_follow_the_spec_not_stricter_rules() -> None:
    # Only spaces, "+" and control characters are out: format characters and DEL are allowed.
    for name in ("a\u200bb", "a\x7fb", "ünïcode.example/ключ", "oid/1.3.6.1.4.1.44363.47.1"):
        assert valid_key_name(name)
        note = sign_note(TEXT, seed_key(PETER_SKEY), name)
        assert verify_note(note, seed_key(PETER_SKEY).public_key(), name) == TEXT


def test_verify_note_key_arguments_must_agree() -> None:
    peter = parse_vkey(PETER_VKEY)
    note = TEXT + "\n" + PETER_SIG
    assert verify_note(note, peter, "PeterNeumann") == TEXT
    with pytest.raises(ValueError):
        verify_note(note, peter, "EnochRoot")
    with pytest.raises(ValueError):
        verify_note(note, peter.public_key())
    with pytest.raises(ValueError):
        verify_note(note, VerifierKey(peter.name, COSIGNATURE_V1_ALGORITHM, peter.key))


def test_signature_line_text() -> None:
    sig = parse_note(TEXT + "\n" + PETER_SIG).signatures[0]
    assert sig == NoteSignature("PeterNeumann", bytes.fromhex("c74f20a3"), sig.signature)
    assert sig.line() == PETER_SIG


# --- Properties ---------------------------------------------------------------------------------

CONTROLS_BUT_NEWLINE = [chr(i) for i in range(32) if i != 10]
text_chars = st.characters(exclude_categories=["Cs"], exclude_characters=CONTROLS_BUT_NEWLINE)
texts = st.text(text_chars, max_size=60).map(lambda s: s + "\n")
KEY = seed_key(PETER_SKEY)


@PROPERTY
@given(texts, key_names)
def test_sign_parse_verify_round_trip(text: str, name: str) -> None:
    note = sign_note(text, KEY, name)
    parsed = parse_note(note)
    assert parsed.text == text and str(parsed) == note
    assert verify_note(note, VerifierKey.ed25519(name, KEY.public_key())) == text


@PROPERTY
@given(texts, key_names, st.data())
def test_any_single_byte_edit_of_a_signed_note_is_rejected(text: str, name: str, data: st.DataObject) -> None:
    note = sign_note(text, KEY, name).encode()
    i = data.draw(st.integers(0, len(note) - 1), label="offset")
    b = data.draw(st.integers(0, 255).filter(lambda v: v != note[i]), label="byte")
    with pytest.raises(CheckpointError):
        verify_note(note[:i] + bytes([b]) + note[i + 1 :], KEY.public_key(), name)


@PROPERTY
@given(texts, key_names, st.data())
def test_any_single_byte_deletion_or_insertion_is_rejected(text: str, name: str, data: st.DataObject) -> None:
    note = sign_note(text, KEY, name).encode()
    i = data.draw(st.integers(0, len(note) - 1), label="offset")
    b = data.draw(st.integers(0, 255), label="byte")
    for forged in (note[:i] + note[i + 1 :], note[:i] + bytes([b]) + note[i:]):
        with pytest.raises(CheckpointError):
            verify_note(forged, KEY.public_key(), name)


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.binary(max_size=200), st.text(max_size=200)))
def test_parse_note_fails_only_with_checkpoint_error(data: bytes | str) -> None:
    with contextlib.suppress(CheckpointError):
        parse_note(data)
