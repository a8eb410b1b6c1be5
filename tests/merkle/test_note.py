"""C2SP signed notes and verifier keys (c2sp.org/signed-note), tested with keys and notes made here:
key ids recomputed with hashlib, vkey texts built by hand, the syntax rules, and properties (round
trips; any single-byte edit of a signed note is rejected)."""

from __future__ import annotations

import base64
import contextlib
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
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


# --- Our own keys, and the spec's formulas written out independently ------------------------------

def seeded(label: str) -> Ed25519PrivateKey:
    """A fixed Ed25519 key (seed = SHA-256 of ``label``), so every run and failure is reproducible."""
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(label.encode()).digest())


def raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def expected_id(name: str, algorithm: int, key: bytes) -> bytes:
    """signed-note: the key id is the first 4 bytes of SHA-256(name || 0x0A || type || key)."""
    return hashlib.sha256(name.encode("utf-8") + b"\x0a" + bytes([algorithm]) + key).digest()[:4]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hand_vkey(name: str, algorithm: int, key: bytes) -> str:
    """signed-note: a verifier key is <name>+<hex key id>+<base64(type || key)>."""
    return f"{name}+{expected_id(name, algorithm, key).hex()}+{b64(bytes([algorithm]) + key)}"


def hand_line(name: str, key_id_bytes: bytes, signature: bytes) -> str:
    """signed-note: a signature line is an em dash, a space, the name, a space, base64(id || sig)."""
    return f"\u2014 {name} {b64(key_id_bytes + signature)}\n"


def flip_padding_bit(blob: str) -> str:
    """Another spelling of the same bytes: flip a padding bit of the last character before '='."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    last = blob.rstrip("=")
    assert len(last) < len(blob), "only padded base64 has padding bits"
    sibling = alphabet[alphabet.index(last[-1]) ^ 1]
    assert base64.b64decode(last[:-1] + sibling + blob[len(last):]) == base64.b64decode(blob)
    return last[:-1] + sibling + blob[len(last):]


ZERO = Ed25519PrivateKey.from_private_bytes(bytes(32))
ALICE, ALICE_NAME = seeded("alice"), "alice.footage-broker.example"
BOB, BOB_NAME = seeded("bob"), "bob.footage-broker.example"
CAROL, CAROL_NAME = seeded("carol"), "carol.footage-broker.example"
ALICE_RAW = raw(ALICE.public_key())
ALICE_ID = expected_id(ALICE_NAME, ED25519_ALGORITHM, ALICE_RAW)
ALICE_VKEY = hand_vkey(ALICE_NAME, ED25519_ALGORITHM, ALICE_RAW)
BOB_VKEY = hand_vkey(BOB_NAME, ED25519_ALGORITHM, raw(BOB.public_key()))

TEXT = "Camera 7 footage for 2026-11-20 was sealed.\nNo frame was withheld from the export.\n"
# The signature lines, built from the key and the spec's layout rather than by sign_note.
ALICE_SIG = hand_line(ALICE_NAME, ALICE_ID, ALICE.sign(TEXT.encode()))
BOB_SIG = hand_line(BOB_NAME, expected_id(BOB_NAME, ED25519_ALGORITHM, raw(BOB.public_key())),
                    BOB.sign(TEXT.encode()))


def renamed(line: str, name: str) -> str:
    """``line`` claimed by key name ``name`` (no validation: used to build bad lines)."""
    return f"\u2014 {name} {line[:-1].split(' ')[2]}\n"


def corrupted(line: str) -> str:
    """``line`` with the same name and key id but one bit of its signature flipped: well-formed,
    claims the same key, does not verify."""
    blob = base64.b64decode(line[:-1].split(" ")[2])
    name = line[2:].split(" ")[0]
    return hand_line(name, blob[:4], blob[4:-1] + bytes([blob[-1] ^ 1]))


# --- Verifier keys --------------------------------------------------------------------------------

# (name, signature type, private key): vkeys of our keys, as an auditor or a witness would be given.
OWN_KEYS = [
    (ALICE_NAME, ED25519_ALGORITHM, ALICE),
    (BOB_NAME, COSIGNATURE_V1_ALGORITHM, BOB),
    ("zero", ED25519_ALGORITHM, ZERO),
    ("zero", COSIGNATURE_V1_ALGORITHM, ZERO),
    ("ünïcode.example/ключ", ED25519_ALGORITHM, seeded("unicode")),
    ("a", COSIGNATURE_V1_ALGORITHM, seeded("a")),
]


@pytest.mark.parametrize(("name", "algorithm", "private"), OWN_KEYS)
def test_hand_built_vkeys_parse_and_format_back(
    name: str, algorithm: int, private: Ed25519PrivateKey,
) -> None:
    key = raw(private.public_key())
    text = hand_vkey(name, algorithm, key)
    parsed = parse_vkey(text)
    assert (parsed.name, parsed.algorithm, parsed.key) == (name, algorithm, key)
    assert parsed.key_id == key_id(name, algorithm, key) == expected_id(name, algorithm, key)
    assert format_vkey(parsed) == str(parsed) == text
    assert raw(parsed.public_key()) == key


@pytest.mark.parametrize(("name", "algorithm", "private"), OWN_KEYS)
def test_vkeys_derived_from_private_keys_match_the_spec_formula(
    name: str, algorithm: int, private: Ed25519PrivateKey,
) -> None:
    public = private.public_key()
    make = VerifierKey.ed25519 if algorithm == ED25519_ALGORITHM else VerifierKey.cosignature
    assert str(make(name, public)) == hand_vkey(name, algorithm, raw(public))
    if algorithm == ED25519_ALGORITHM:
        assert key_hash(name, public) == expected_id(name, ED25519_ALGORITHM, raw(public))


def _vkey_with(name: str, material: bytes, id_for: bytes | None = None) -> str:
    """A vkey text for ``material`` (type byte and key) whose id is right for ``id_for`` (default:
    the material itself), so each bad case below is wrong in one respect only."""
    basis = material if id_for is None else id_for
    hex_id = expected_id(name, basis[0], basis[1:]).hex() if basis else "00000000"
    return f"{name}+{hex_id}+{b64(material)}"


_ED = bytes([ED25519_ALGORITHM]) + ALICE_RAW
_ALICE_HEX = ALICE_ID.hex()
BAD_VKEYS = [
    # Key material of the wrong length, with an id that matches it.
    _vkey_with(ALICE_NAME, _ED + b"\x00"),
    _vkey_with(ALICE_NAME, _ED[:-1]),
    # Unknown signature types (0x02 is ECDSA elsewhere; 0x05 and up are not Ed25519 here).
    _vkey_with(ALICE_NAME, b"\x02" + ALICE_RAW),
    _vkey_with(ALICE_NAME, b"\x00" + ALICE_RAW),
    _vkey_with(ALICE_NAME, b"\x05" + ALICE_RAW),
    _vkey_with(ALICE_NAME, b"\xff" + ALICE_RAW),
    # Missing or unreadable parts.
    f"{ALICE_NAME}+{_ALICE_HEX}",
    f"{ALICE_NAME}+{_ALICE_HEX}+",
    ALICE_NAME,
    f"{ALICE_NAME}+{_ALICE_HEX}+not base64!",
    f"{ALICE_NAME}+{_ALICE_HEX}+{b64(_ED)[:-1]}",
    f"{ALICE_NAME}+{_ALICE_HEX}+{b64(_ED)}=",
    f"{ALICE_NAME}+{_ALICE_HEX}+{b64(_ED)[:20]}\n{b64(_ED)[20:]}",
    f"{ALICE_NAME}+{_ALICE_HEX}+{b64(_ED[:1])}",
    ALICE_VKEY + "\n",
    ALICE_VKEY + " ",
    # The key id: not 8 lowercase hex digits, or not the id of this name, type and key.
    ALICE_VKEY.replace(_ALICE_HEX, "zzzzzzzz"),
    ALICE_VKEY.replace(_ALICE_HEX, _ALICE_HEX[:7]),
    ALICE_VKEY.replace(_ALICE_HEX, _ALICE_HEX + "0"),
    ALICE_VKEY.replace(_ALICE_HEX, _ALICE_HEX.upper()),
    ALICE_VKEY.replace(_ALICE_HEX, "00000000"),
    ALICE_VKEY.replace(_ALICE_HEX, expected_id(BOB_NAME, ED25519_ALGORITHM, ALICE_RAW).hex()),
    _vkey_with(ALICE_NAME, _ED, id_for=bytes([COSIGNATURE_V1_ALGORITHM]) + ALICE_RAW),
    # Names the spec forbids.
    ALICE_VKEY.replace(ALICE_NAME, "", 1),
    _vkey_with("alice footage", _ED),
    _vkey_with("alice\tfootage", _ED),
    "",
]


def test_the_bad_vkey_cases_differ_from_a_good_one_in_one_respect() -> None:
    assert parse_vkey(_vkey_with(ALICE_NAME, _ED)) == VerifierKey.ed25519(ALICE_NAME, ALICE.public_key())
    assert _vkey_with(ALICE_NAME, _ED) == ALICE_VKEY


@pytest.mark.parametrize("vkey", BAD_VKEYS)
def test_bad_vkeys_are_refused(vkey: str) -> None:
    with pytest.raises(CheckpointError):
        parse_vkey(vkey)


def test_every_mangling_of_a_vkey_is_refused() -> None:
    # Every proper substring, and every character replaced by the next code point.
    assert parse_vkey(ALICE_VKEY).name == ALICE_NAME
    for i in range(len(ALICE_VKEY) + 1):
        for j in range(i + 1, len(ALICE_VKEY) + 1):
            if (i, j) != (0, len(ALICE_VKEY)):
                with pytest.raises(CheckpointError):
                    parse_vkey(ALICE_VKEY[i:j])
    for i, c in enumerate(ALICE_VKEY):
        with pytest.raises(CheckpointError):
            parse_vkey(ALICE_VKEY[:i] + chr(ord(c) + 1) + ALICE_VKEY[i + 1 :])


@pytest.mark.parametrize(
    ("name", "algorithm", "key"),
    [("", 1, b"\x00" * 32), ("a b", 1, b"\x00" * 32), ("a+b", 1, b"\x00" * 32), ("a\nb", 1, b"\x00" * 32),
     ("a", 2, b"\x00" * 32), ("a", 6, b"\x00" * 32), ("a", 1, b"\x00" * 31), ("a", 4, b"\x00" * 33)],
)
def test_verifier_key_construction_is_validated(name: str, algorithm: int, key: bytes) -> None:
    with pytest.raises(ValueError):
        VerifierKey(name, algorithm, key)


def test_cosignature_key_ids_use_type_0x04() -> None:
    public = ALICE.public_key()
    plain, cosig = VerifierKey.ed25519("w", public), VerifierKey.cosignature("w", public)
    assert plain.key == cosig.key == ALICE_RAW and plain.key_id != cosig.key_id
    assert plain.key_id == expected_id("w", 0x01, ALICE_RAW)
    assert cosig.key_id == expected_id("w", 0x04, ALICE_RAW) == key_id("w", 0x04, cosig.key)


key_names = st.text(st.characters(exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp")), min_size=1, max_size=30)
key_names = key_names.filter(valid_key_name)


@PROPERTY
@given(key_names, st.sampled_from([ED25519_ALGORITHM, COSIGNATURE_V1_ALGORITHM]),
       st.binary(min_size=32, max_size=32))
def test_vkey_round_trip(name: str, algorithm: int, key: bytes) -> None:
    vkey = VerifierKey(name, algorithm, key)
    assert format_vkey(vkey) == hand_vkey(name, algorithm, key)
    assert parse_vkey(format_vkey(vkey)) == vkey
    assert vkey.key_id == expected_id(name, algorithm, key)


# --- Notes ------------------------------------------------------------------------------------

def test_sign_note_writes_the_spec_layout() -> None:
    # Ed25519 is deterministic, so the note built by hand from the spec's layout is the note.
    assert sign_note(TEXT, ALICE, ALICE_NAME) == TEXT + "\n" + ALICE_SIG
    blob = base64.b64decode(ALICE_SIG[:-1].split(" ")[2])
    assert blob[:4] == ALICE_ID and len(blob) == 4 + 64
    ALICE.public_key().verify(blob[4:], TEXT.encode())


def test_a_note_verifies_with_the_vkey_of_its_key() -> None:
    note = TEXT + "\n" + ALICE_SIG
    assert verify_note(note, parse_vkey(ALICE_VKEY)) == TEXT
    assert verify_note(note.encode(), parse_vkey(ALICE_VKEY)) == TEXT
    with pytest.raises(CheckpointError, match="no signature"):
        verify_note(note, parse_vkey(BOB_VKEY))


def test_the_last_blank_line_separates_text_from_signatures() -> None:
    # signed-note: the text may contain blank lines of its own; the last one ends it.
    poem = "Erste Strophe,\nnoch die erste.\n\nZweite, après la pause.\n\n\nDritte.\n"
    note = sign_note(poem, ALICE, ALICE_NAME)
    assert note == poem + "\n" + hand_line(ALICE_NAME, ALICE_ID, ALICE.sign(poem.encode()))
    parsed = parse_note(note)
    assert parsed.text == poem and "\n\n" in parsed.text
    [sig] = parsed.signatures
    assert sig.key_name == ALICE_NAME and sig.key_id == ALICE_ID and len(sig.signature) == 64
    assert str(parsed) == note
    assert verify_note(note, parse_vkey(ALICE_VKEY)) == poem


def test_two_keys_sign_one_text() -> None:
    alice, bob = parse_vkey(ALICE_VKEY), parse_vkey(BOB_VKEY)
    assert sign_note(TEXT, BOB, BOB_NAME) == TEXT + "\n" + BOB_SIG
    both = TEXT + "\n" + ALICE_SIG + BOB_SIG
    assert verify_note(both, alice) == verify_note(both, bob) == TEXT
    assert verify_note(both, ALICE.public_key(), ALICE_NAME) == TEXT
    with pytest.raises(CheckpointError, match="no signature"):
        verify_note(both, VerifierKey.ed25519(CAROL_NAME, CAROL.public_key()))
    with pytest.raises(CheckpointError, match="no signature"):
        verify_note(both, BOB.public_key(), ALICE_NAME)  # right name, other key: another key id
    note = parse_note(both)
    assert [s.key_name for s in note.signatures] == [ALICE_NAME, BOB_NAME]
    assert [s.key_id for s in note.signatures] == [alice.key_id, bob.key_id]
    assert note.signatures[1].key_id == expected_id(BOB_NAME, 0x01, raw(BOB.public_key()))


def _foreign_line(i: int) -> str:
    """A well-formed signature line by some other key: ignored by verifiers of our keys."""
    sig = hashlib.sha512(i.to_bytes(4, "big")).digest()
    return hand_line(f"witness-{i}.example", sig[:4], sig)


def test_signature_limit_counts_every_line() -> None:
    # signed-note: verifiers limit the number of signature lines; here 100, and 101 is refused
    # whether or not the lines are copies of one verifying line.
    alice = parse_vkey(ALICE_VKEY)
    assert verify_note(TEXT + "\n" + ALICE_SIG * MAX_SIGNATURE_LINES, alice) == TEXT
    for key in (alice, parse_vkey(BOB_VKEY)):
        with pytest.raises(CheckpointError, match="more than 100"):
            verify_note(TEXT + "\n" + ALICE_SIG * (MAX_SIGNATURE_LINES + 1), key)
    foreign = "".join(_foreign_line(i) for i in range(MAX_SIGNATURE_LINES - 1))
    assert verify_note(TEXT + "\n" + foreign + ALICE_SIG, alice) == TEXT
    assert len(parse_note(TEXT + "\n" + foreign + ALICE_SIG).signatures) == MAX_SIGNATURE_LINES
    with pytest.raises(CheckpointError, match="more than 100"):
        parse_note(TEXT + "\n" + foreign + _foreign_line(MAX_SIGNATURE_LINES) + ALICE_SIG)


def test_identical_lines_are_one_signature_but_every_distinct_one_by_the_key_must_verify() -> None:
    alice, bob = parse_vkey(ALICE_VKEY), parse_vkey(BOB_VKEY)
    bad_bob = corrupted(BOB_SIG)
    assert parse_note(TEXT + "\n" + bad_bob).signatures[0].key_id == bob.key_id  # claims Bob's key
    note = TEXT + "\n" + ALICE_SIG + ALICE_SIG + BOB_SIG + BOB_SIG + bad_bob
    assert verify_note(note, alice) == TEXT
    assert len(parse_note(note).signatures) == 3
    # signed-note rule checked: a bad signature by a key the verifier knows rejects the note, here
    # even when another line by the same key verifies.
    with pytest.raises(CheckpointError, match="does not verify"):
        verify_note(note, bob)
    with pytest.raises(CheckpointError, match="does not verify"):
        verify_note(TEXT + "\n" + corrupted(ALICE_SIG), alice)


_ALICE_BLOB = ALICE_SIG[:-1].split(" ")[2]
BAD_NOTES: list[str | bytes] = [
    # No signature block, or a signature block without its final newline.
    TEXT,
    TEXT + "\n",
    TEXT + "\n" + ALICE_SIG[:-1],
    "",
    "\n\n" + ALICE_SIG[:-1],
    # signed-note: valid UTF-8 with no control character but newline, anywhere.
    "\x01" + TEXT + "\n" + ALICE_SIG,
    b"\xff" + (TEXT + "\n" + ALICE_SIG).encode(),
    TEXT.replace("\n", "\r\n", 1) + "\n" + ALICE_SIG,
    TEXT.replace(" ", "\t", 1) + "\n" + ALICE_SIG,
    TEXT + "\n" + ALICE_SIG[:-10] + "\x00" + ALICE_SIG[-10:],
    TEXT + "\n" + "\ud800" + ALICE_SIG,
    # Something other than signature lines after the last blank line.
    TEXT + "\n" + ALICE_SIG + "not a signature line\n",
    TEXT + "\n" + ALICE_SIG + "\n",
    TEXT + "\n" + ALICE_SIG.replace("\u2014 ", "-- "),
    TEXT + "\n" + ALICE_SIG.replace("\u2014 ", "\u2014"),
    TEXT + "\n" + ALICE_SIG.replace(f"{ALICE_NAME} ", f"{ALICE_NAME}  "),
    # Key names with a space, a '+' or another Unicode space.
    TEXT + "\n" + renamed(ALICE_SIG, "alice footage"),
    TEXT + "\n" + renamed(ALICE_SIG, "alice+footage"),
    TEXT + "\n" + renamed(ALICE_SIG, "alice\u00a0footage"),
    TEXT + "\n" + renamed(ALICE_SIG, "alice\u3000footage"),
    TEXT + "\n" + renamed(ALICE_SIG, ""),
    # The signature: canonical padded base64 of a key id and at least one more byte.
    TEXT + "\n" + ALICE_SIG.replace(_ALICE_BLOB, _ALICE_BLOB.rstrip("=")),
    TEXT + "\n" + ALICE_SIG.replace(_ALICE_BLOB, flip_padding_bit(_ALICE_BLOB)),
    TEXT + "\n" + ALICE_SIG.replace(_ALICE_BLOB, _ALICE_BLOB[:4]),
    TEXT + "\n" + hand_line(ALICE_NAME, ALICE_ID, b""),
    TEXT + "\n" + f"\u2014 {ALICE_NAME} \n",
    TEXT + "\n" + f"\u2014 {ALICE_NAME}\n",
]


def test_the_bad_notes_are_made_from_a_good_one() -> None:
    assert verify_note(TEXT + "\n" + ALICE_SIG, parse_vkey(ALICE_VKEY)) == TEXT


@pytest.mark.parametrize("note", BAD_NOTES)
def test_malformed_notes_are_refused_before_any_key_is_tried(note: str | bytes) -> None:
    with pytest.raises(CheckpointError):
        parse_note(note)
    with pytest.raises(CheckpointError):
        verify_note(note, parse_vkey(ALICE_VKEY))


@pytest.mark.parametrize(
    "text", ["", "no newline", "tab\there\n", "nul\x00\n", "cr\r\n", "surrogate \ud800\n"],
)
def test_sign_note_refuses_texts_no_verifier_could_read(text: str) -> None:
    with pytest.raises(ValueError):
        sign_note(text, ALICE, ALICE_NAME)


@pytest.mark.parametrize("name", ["", "a b", "a+b", "a\nb", "a\u00a0b", "a\u2028b", "a\x1fb"])
def test_bad_key_names_are_refused_when_signing_and_verifying(name: str) -> None:
    assert not valid_key_name(name)
    with pytest.raises(ValueError):
        sign_note(TEXT, ALICE, name)
    with pytest.raises(ValueError):
        verify_note(TEXT + "\n" + ALICE_SIG, ALICE.public_key(), name)


def test_key_names_follow_the_spec_not_stricter_rules() -> None:
    # Only spaces, "+" and control characters are out: format characters and DEL are allowed.
    for name in ("a\u200bb", "a\x7fb", "ünïcode.example/ключ", "oid/1.2.3.4.5"):
        assert valid_key_name(name)
        note = sign_note(TEXT, ALICE, name)
        line = hand_line(name, expected_id(name, ED25519_ALGORITHM, ALICE_RAW), ALICE.sign(TEXT.encode()))
        assert note == TEXT + "\n" + line
        assert verify_note(note, ALICE.public_key(), name) == TEXT


def test_verify_note_key_arguments_must_agree() -> None:
    alice = parse_vkey(ALICE_VKEY)
    note = TEXT + "\n" + ALICE_SIG
    assert verify_note(note, alice, ALICE_NAME) == TEXT
    with pytest.raises(ValueError):
        verify_note(note, alice, BOB_NAME)
    with pytest.raises(ValueError):
        verify_note(note, alice.public_key())
    with pytest.raises(ValueError):
        verify_note(note, VerifierKey(alice.name, COSIGNATURE_V1_ALGORITHM, alice.key))


def test_signature_line_text() -> None:
    sig = parse_note(TEXT + "\n" + ALICE_SIG).signatures[0]
    assert sig == NoteSignature(ALICE_NAME, ALICE_ID, ALICE.sign(TEXT.encode()))
    assert sig.line() == ALICE_SIG


# --- Properties ---------------------------------------------------------------------------------

CONTROLS_BUT_NEWLINE = [chr(i) for i in range(32) if i != 10]
text_chars = st.characters(exclude_categories=["Cs"], exclude_characters=CONTROLS_BUT_NEWLINE)
texts = st.text(text_chars, max_size=60).map(lambda s: s + "\n")
KEY = ALICE


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
