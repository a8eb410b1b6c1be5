from __future__ import annotations

import hashlib
import itertools
import random
import struct
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from unittest import mock

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given, settings
from hypothesis import strategies as st

from broker.adapters.vault import stream as stream_module
from broker.adapters.vault.errors import BlobNotFoundError, IntegrityError
from broker.adapters.vault.stream import (
    MAX_CHUNK_SIZE,
    MAX_HEADER_SIZE,
    TAG_SIZE,
    ReadAt,
    ReadSpans,
    StreamHeader,
    Tally,
    ciphertext_size,
    decrypt_range,
    decrypt_stream,
    decrypt_whole,
    encrypt_stream,
    parse_header,
)

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
KEY_ID = "6f1c3a52-8d4e-4b7a-9c1f-2a3b4c5d6e7f"
CLIP = "0b7e6f0e-5a51-4d0c-8a25-0f2b9c7d1e3a"


def encrypt(data: bytes, chunk_size: int, pieces: Iterable[bytes] | None = None) -> bytes:
    return b"".join(encrypt_stream(KEY, KEY_ID, CLIP, pieces or [data], chunk_size))


def cut(data: bytes, points: Iterable[int]) -> list[bytes]:
    bounds = [0, *sorted(points), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


def split(ciphertext: bytes) -> tuple[bytes, list[bytes]]:
    """The header and the ciphertext chunks of a stream."""
    header = parse_header(ciphertext)
    body = ciphertext[header.size :]
    step = header.chunk_size + TAG_SIZE
    return ciphertext[: header.size], [body[i : i + step] for i in range(0, len(body), step)]


def decrypt_until_failure(ciphertext_pieces: Iterable[bytes], key: bytes = KEY, clip: str = CLIP) -> bytes:
    """Plaintext released before the IntegrityError that must come."""
    released = []
    with pytest.raises(IntegrityError):
        for plaintext in decrypt_stream(key, clip, ciphertext_pieces):
            released.append(plaintext)
    return b"".join(released)


@dataclass(frozen=True)
class Case:
    """A plaintext (from a seed, so failures print small), its chunk size and input cuts."""

    chunk_size: int
    size: int
    seed: int
    cuts: tuple[int, ...]
    kinds: tuple[type, ...]

    @cached_property
    def data(self) -> bytes:
        return random.Random(self.seed).randbytes(self.size)

    @property
    def pieces(self) -> list[bytes]:
        pieces = cut(self.data, self.cuts)
        return [self.kinds[i % len(self.kinds)](p) for i, p in enumerate(pieces)]


@st.composite
def cases(draw: st.DrawFn) -> Case:
    chunk_size = draw(
        st.one_of(st.integers(1, 64), st.integers(65, 8192), st.sampled_from([65536, 1 << 20]))
    )
    size = draw(st.integers(0, min(300_000, chunk_size * 300)))
    cuts = draw(st.lists(st.integers(0, size), max_size=12))
    kinds = draw(st.lists(st.sampled_from([bytes, bytearray, memoryview]), min_size=1, max_size=3))
    return Case(chunk_size, size, draw(st.integers(0, 2**32)), tuple(cuts), tuple(kinds))


@settings(max_examples=150, deadline=None)
@given(case=cases(), cuts=st.lists(st.integers(0, 400_000), max_size=12))
def test_round_trip_for_any_input_and_any_recutting(case: Case, cuts: list[int]) -> None:
    ciphertext = encrypt(case.data, case.chunk_size, case.pieces)
    assert len(ciphertext) == ciphertext_size(
        case.size, key_id=KEY_ID, chunk_size=case.chunk_size
    )
    header = parse_header(ciphertext)
    assert (header.key_id, header.chunk_size) == (KEY_ID, case.chunk_size)
    assert header.plaintext_size(len(ciphertext)) == case.size
    recut = cut(ciphertext, [c % (len(ciphertext) + 1) for c in cuts])
    assert b"".join(decrypt_stream(KEY, CLIP, recut)) == case.data


@settings(max_examples=150, deadline=None)
@given(case=cases(), bounds=st.tuples(st.floats(0, 1), st.floats(0, 1)))
def test_any_range_equals_the_slice_and_reads_only_its_chunks(
    case: Case, bounds: tuple[float, float]
) -> None:
    data, chunk_size = case.data, case.chunk_size
    ciphertext = encrypt(data, chunk_size)
    start, end = sorted(int(b * len(data)) for b in bounds)
    reads: list[tuple[int, int]] = []

    def read_at(offset: int, length: int) -> bytes:
        reads.append((offset, length))
        return ciphertext[offset : offset + length]

    assert b"".join(decrypt_range(KEY, CLIP, read_at, len(data), start, end)) == data[start:end]
    chunks_covered = 0 if start == end else (end - 1) // chunk_size - start // chunk_size + 1
    assert sum(length for _, length in reads) <= (
        (MAX_HEADER_SIZE if reads else 0) + chunks_covered * (chunk_size + TAG_SIZE)
    )


def test_empty_plaintext_is_one_authenticated_final_chunk() -> None:
    ciphertext = encrypt(b"", 64)
    header, chunks = split(ciphertext)
    assert len(chunks) == 1 and len(chunks[0]) == TAG_SIZE
    assert b"".join(decrypt_stream(KEY, CLIP, [ciphertext])) == b""
    assert decrypt_until_failure([header]) == b""


def test_output_is_bounded_and_lazy() -> None:
    """Memory stays constant: an endless input still yields chunks one at a time."""
    endless = itertools.repeat(b"x" * 1000)
    output = encrypt_stream(KEY, KEY_ID, CLIP, endless, chunk_size=4096)
    header, *chunks = itertools.islice(output, 4)
    assert parse_header(header).chunk_size == 4096
    assert [len(c) for c in chunks] == [4096 + TAG_SIZE] * 3


def test_decryption_releases_verified_chunks_before_reading_everything() -> None:
    data = random.Random(1).randbytes(10_000)
    ciphertext = encrypt(data, 1000)

    def then_fail() -> Iterator[bytes]:
        yield ciphertext[:2500]
        raise RuntimeError("connection lost")

    output = decrypt_stream(KEY, CLIP, then_fail())
    assert next(output) == data[:1000]
    assert next(output) == data[1000:2000]
    with pytest.raises(RuntimeError):
        next(output)


def test_nonce_prefix_is_random_per_stream() -> None:
    first, second = (parse_header(encrypt(b"same", 64)) for _ in range(2))
    assert first.nonce_prefix != second.nonce_prefix


def test_tally_counts_and_hashes_what_streams_past() -> None:
    tally = Tally()
    pieces = [b"abc", b"", b"defg"]
    assert list(tally.watch(pieces)) == pieces
    assert (tally.size, tally.sha256) == (7, hashlib.sha256(b"abcdefg").hexdigest())


class TestTampering:
    """Every attack fails authentication and releases nothing beyond the verified chunks."""

    DATA = random.Random(7).randbytes(100)
    CHUNK = 16  # 6 full chunks and a last one of 4 bytes

    @pytest.fixture
    def stream(self) -> tuple[bytes, list[bytes]]:
        return split(encrypt(self.DATA, self.CHUNK))

    def released_is_verified_prefix(self, released: bytes) -> None:
        assert self.DATA.startswith(released)
        assert len(released) % self.CHUNK == 0 and len(released) < len(self.DATA)

    def test_truncation_anywhere(self, stream: tuple[bytes, list[bytes]]) -> None:
        ciphertext = stream[0] + b"".join(stream[1])
        for length in range(len(ciphertext)):
            self.released_is_verified_prefix(decrypt_until_failure([ciphertext[:length]]))

    def test_every_single_bit_flip(self, stream: tuple[bytes, list[bytes]]) -> None:
        ciphertext = bytearray(stream[0] + b"".join(stream[1]))
        for bit in range(len(ciphertext) * 8):
            ciphertext[bit // 8] ^= 1 << (bit % 8)
            self.released_is_verified_prefix(decrypt_until_failure([bytes(ciphertext)]))
            ciphertext[bit // 8] ^= 1 << (bit % 8)

    @pytest.mark.parametrize("extra", [b"\x00", b"\x00" * TAG_SIZE, b"\x00" * 100])
    def test_trailing_bytes_after_the_last_chunk(
        self, stream: tuple[bytes, list[bytes]], extra: bytes
    ) -> None:
        header, chunks = stream
        self.released_is_verified_prefix(decrypt_until_failure([header, *chunks, extra]))

    def test_appending_a_whole_stream_or_a_chunk(self, stream: tuple[bytes, list[bytes]]) -> None:
        header, chunks = stream
        whole = header + b"".join(chunks)
        for extra in (whole, chunks[0], chunks[-1]):
            self.released_is_verified_prefix(decrypt_until_failure([whole, extra]))

    def test_reordering_dropping_and_duplicating_chunks(
        self, stream: tuple[bytes, list[bytes]]
    ) -> None:
        header, chunks = stream
        variants = []
        for i in range(len(chunks) - 1):
            swapped = list(chunks)
            swapped[i], swapped[i + 1] = swapped[i + 1], swapped[i]
            variants.append(swapped)
        for i in range(len(chunks)):
            variants.append(chunks[:i] + chunks[i + 1 :])
            variants.append(chunks[: i + 1] + chunks[i:])
        for variant in variants:
            self.released_is_verified_prefix(decrypt_until_failure([header, *variant]))

    def test_splicing_chunks_or_header_of_another_stream(
        self, stream: tuple[bytes, list[bytes]]
    ) -> None:
        header, chunks = stream
        other_header, other_chunks = split(encrypt(self.DATA, self.CHUNK))
        spliced = chunks[:2] + other_chunks[2:3] + chunks[3:]
        self.released_is_verified_prefix(decrypt_until_failure([header, *spliced]))
        assert decrypt_until_failure([other_header, *chunks]) == b""

    def test_wrong_key_or_clip_id_releases_nothing(self, stream: tuple[bytes, list[bytes]]) -> None:
        ciphertext = stream[0] + b"".join(stream[1])
        assert decrypt_until_failure([ciphertext], key=OTHER_KEY) == b""
        assert decrypt_until_failure([ciphertext], clip=CLIP.replace("0", "1")) == b""

    @pytest.mark.parametrize(
        "field",
        ["magic", "version", "nonce_prefix", "chunk_size", "key_id", "key_id_length"],
    )
    def test_header_tampering(self, stream: tuple[bytes, list[bytes]], field: str) -> None:
        header, chunks = stream
        parsed = parse_header(header)
        forged = {
            "magic": b"FBV2" + header[4:],
            "version": header[:4] + b"\x02" + header[5:],
            "nonce_prefix": StreamHeader(KEY_ID, b"\x00" * 7, self.CHUNK).to_bytes(),
            "chunk_size": StreamHeader(KEY_ID, parsed.nonce_prefix, self.CHUNK * 2).to_bytes(),
            "key_id": StreamHeader(KEY_ID[::-1], parsed.nonce_prefix, self.CHUNK).to_bytes(),
            "key_id_length": header[:16] + bytes([header[16] - 1]) + header[17:-1],
        }[field]
        assert decrypt_until_failure([forged, *chunks]) == b""

    def test_noncanonical_empty_last_chunk_is_refused(self) -> None:
        """Even the key holder cannot give one plaintext two encodings."""
        data = self.DATA[: self.CHUNK * 2]
        header, _ = split(encrypt(data, self.CHUNK))
        parsed = parse_header(header)
        aead, aad = AESGCM(KEY), header + CLIP.encode()

        def nonce(counter: int, last: bool) -> bytes:
            return struct.pack(">7sIB", parsed.nonce_prefix, counter, last)

        forged = [aead.encrypt(nonce(i, False), data[i * 16 : i * 16 + 16], aad) for i in range(2)]
        forged.append(aead.encrypt(nonce(2, True), b"", aad))
        assert decrypt_until_failure([header, *forged]) == data

    def test_range_reads_detect_tampering_and_a_wrong_size(
        self, stream: tuple[bytes, list[bytes]]
    ) -> None:
        header, chunks = stream
        ciphertext = header + b"".join(chunks)
        size = len(self.DATA)

        def reader(blob: bytes) -> ReadAt:
            return lambda offset, length: blob[offset : offset + length]

        flipped = bytearray(ciphertext)
        flipped[len(header) + 2 * (self.CHUNK + TAG_SIZE) + 3] ^= 1
        cases = [
            (reader(bytes(flipped)), size, 32, 48),
            (reader(ciphertext), size - 1, 90, size - 1),
            (reader(ciphertext), size + 1, 90, size),
            (reader(ciphertext[:-1]), size, 90, size),
            (reader(ciphertext[:10]), size, 0, 1),
        ]
        for read_at, claimed_size, start, end in cases:
            with pytest.raises(IntegrityError):
                list(decrypt_range(KEY, CLIP, read_at, claimed_size, start, end))
        with pytest.raises(IntegrityError):
            list(decrypt_range(OTHER_KEY, CLIP, reader(ciphertext), size, 0, size))
        untouched = list(decrypt_range(KEY, CLIP, reader(bytes(flipped)), size, 0, 32))
        assert b"".join(untouched) == self.DATA[:32]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"key": b"short"},
        {"chunk_size": 0},
        {"chunk_size": MAX_CHUNK_SIZE + 1},
        {"key_id": ""},
        {"key_id": "k" * 256},
    ],
)
def test_bad_arguments_are_refused_at_call_time(kwargs: dict[str, object]) -> None:
    arguments: dict[str, object] = {"key": KEY, "key_id": KEY_ID, "clip_id": CLIP, "chunks": []}
    with pytest.raises(ValueError):
        encrypt_stream(**{**arguments, **kwargs})  # type: ignore[arg-type]


def test_bad_ranges_are_refused() -> None:
    ciphertext = encrypt(b"0123456789", 4)

    def read_at(offset: int, length: int) -> bytes:
        return ciphertext[offset : offset + length]

    for start, end in [(-1, 2), (3, 2), (0, 11)]:
        with pytest.raises(ValueError):
            decrypt_range(KEY, CLIP, read_at, 10, start, end)
    assert list(decrypt_range(KEY, CLIP, read_at, 10, 5, 5)) == []


@pytest.mark.parametrize(
    "header",
    [
        b"",
        b"FBV1",
        StreamHeader(KEY_ID, bytes(7), 0).to_bytes(),
        StreamHeader(KEY_ID, bytes(7), MAX_CHUNK_SIZE + 1).to_bytes(),
        StreamHeader(KEY_ID, bytes(7), 64).to_bytes()[:-1],
        StreamHeader(KEY_ID, bytes(7), 64).to_bytes()[:16] + b"\x00",
        StreamHeader(KEY_ID, bytes(7), 64).to_bytes()[:16] + b"\x02\xff\xfe",
    ],
)
def test_malformed_headers_are_integrity_errors(header: bytes) -> None:
    with pytest.raises(IntegrityError):
        parse_header(header)


def test_sizes_that_no_plaintext_has_are_refused() -> None:
    header = StreamHeader(KEY_ID, bytes(7), 16)
    valid = {header.ciphertext_size(n) for n in range(100)}
    for size in range(header.size, max(valid)):
        if size in valid:
            assert header.ciphertext_size(header.plaintext_size(size)) == size
        else:
            with pytest.raises(IntegrityError):
                header.plaintext_size(size)


class Blob:
    """Ciphertext behind a ``read_at`` that logs its reads and, like the vault's, hands out
    views into one buffer that every read overwrites."""

    def __init__(self, ciphertext: bytes) -> None:
        self.ciphertext = ciphertext
        self.reads: list[tuple[int, int]] = []
        self._buffer = bytearray()

    def read_at(self, offset: int, length: int) -> memoryview:
        self.reads.append((offset, length))
        data = self.ciphertext[offset : offset + length]
        if len(self._buffer) < len(data):
            self._buffer = bytearray(len(data))
        self._buffer[: len(data)] = data
        return memoryview(self._buffer)[: len(data)]

    def chunk_reads(self) -> list[tuple[int, int]]:
        """The reads after the header's: (first chunk index, length) each."""
        header = parse_header(self.ciphertext)
        step = header.chunk_size + TAG_SIZE
        assert self.reads[0] == (0, MAX_HEADER_SIZE)
        found = []
        for offset, length in self.reads[1:]:
            index, misalignment = divmod(offset - header.size, step)
            assert misalignment == 0, "a read starts inside a chunk"
            found.append((index, length))
        return found


def released_before_failure(decrypt: Callable[[], Iterator[bytes]]) -> bytes:
    """Plaintext released before the IntegrityError that must come (at the call or later)."""
    released = []
    with pytest.raises(IntegrityError):
        for plaintext in decrypt():
            released.append(plaintext)
    return b"".join(released)


def covering_length(chunk_size: int, size: int, first: int, final: int) -> int:
    """Ciphertext bytes of chunks ``first`` to ``final`` of a ``size``-byte clip."""
    last = max(1, -(-size // chunk_size)) - 1
    last_length = size - last * chunk_size + TAG_SIZE
    step = chunk_size + TAG_SIZE
    return (final - first) * step + (last_length if final == last else step)


@settings(max_examples=150, deadline=None)
@given(case=cases(), per_read=st.integers(1, 5))
def test_whole_reads_are_aligned_whole_chunks(case: Case, per_read: int) -> None:
    blob = Blob(encrypt(case.data, case.chunk_size))
    with mock.patch.object(stream_module, "RANGE_READ_SIZE", per_read * (case.chunk_size + TAG_SIZE)):
        assert b"".join(decrypt_whole(KEY, CLIP, blob.read_at, case.size)) == case.data
    reads = blob.chunk_reads()
    final = max(1, -(-case.size // case.chunk_size)) - 1
    assert [index for index, _ in reads] == list(range(0, final + 1, per_read))
    # Every read but the last is per_read whole chunks; the last asks for one byte more than
    # the stream has left, to prove that nothing follows.
    assert all(length == covering_length(case.chunk_size, case.size, i, i + per_read - 1)
               for i, length in reads[:-1])
    assert reads[-1][1] == covering_length(case.chunk_size, case.size, reads[-1][0], final) + 1


@settings(max_examples=150, deadline=None)
@given(case=cases(), bounds=st.tuples(st.floats(0, 1), st.floats(0, 1)), per_read=st.integers(1, 4))
def test_ranges_read_exactly_their_chunks_in_aligned_reads(
    case: Case, bounds: tuple[float, float], per_read: int
) -> None:
    blob = Blob(encrypt(case.data, case.chunk_size))
    start, end = sorted(int(b * case.size) for b in bounds)
    with mock.patch.object(stream_module, "RANGE_READ_SIZE", per_read * (case.chunk_size + TAG_SIZE)):
        ranged = decrypt_range(KEY, CLIP, blob.read_at, case.size, start, end)
        assert b"".join(ranged) == case.data[start:end]
    if start == end:
        assert blob.reads == []
        return
    first, final = start // case.chunk_size, (end - 1) // case.chunk_size
    reads = blob.chunk_reads()
    assert [index for index, _ in reads] == list(range(first, final + 1, per_read))
    assert sum(length for _, length in reads) == covering_length(case.chunk_size, case.size, first, final)


CHUNK = 16
DATA = random.Random(11).randbytes(6 * CHUNK + 4)  # six full chunks and a last one of 4 bytes


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (0, CHUNK),  # exactly the first chunk
        (CHUNK, 3 * CHUNK),  # both ends on chunk boundaries
        (CHUNK - 1, CHUNK + 1),  # one byte either side of a boundary
        (2 * CHUNK, 2 * CHUNK + 1),  # the first byte of a chunk
        (3 * CHUNK - 1, 3 * CHUNK),  # the last byte of a chunk
        (6 * CHUNK, len(DATA)),  # exactly the last chunk
        (6 * CHUNK + 1, 6 * CHUNK + 3),  # inside the last chunk
        (len(DATA) - 1, len(DATA)),  # the very last byte
        (5 * CHUNK, len(DATA)),  # the last full chunk and the short last one
        (0, len(DATA)),
    ],
)
def test_ranges_on_and_around_chunk_boundaries(start: int, end: int) -> None:
    blob = Blob(encrypt(DATA, CHUNK))
    assert b"".join(decrypt_range(KEY, CLIP, blob.read_at, len(DATA), start, end)) == DATA[start:end]
    first, final = start // CHUNK, (end - 1) // CHUNK
    assert blob.chunk_reads() == [(first, covering_length(CHUNK, len(DATA), first, final))]


def test_a_tampered_chunk_in_the_middle_of_a_range_stops_it_there() -> None:
    ciphertext = bytearray(encrypt(DATA, CHUNK))
    header = parse_header(ciphertext)
    ciphertext[header.size + 3 * (CHUNK + TAG_SIZE) + 5] ^= 0x20  # inside chunk 3
    blob = Blob(bytes(ciphertext))
    released = released_before_failure(
        lambda: decrypt_range(KEY, CLIP, blob.read_at, len(DATA), CHUNK + 7, 5 * CHUNK + 2)
    )
    assert released == DATA[CHUNK + 7 : 3 * CHUNK]
    whole = released_before_failure(lambda: decrypt_whole(KEY, CLIP, blob.read_at, len(DATA)))
    assert whole == DATA[: 3 * CHUNK]


class TestWholeReads:
    """What :func:`decrypt_stream` refuses, :func:`decrypt_whole` refuses too."""

    def whole(self, ciphertext: bytes, size: int = len(DATA), key: bytes = KEY, clip: str = CLIP) -> bytes:
        return released_before_failure(lambda: decrypt_whole(key, clip, Blob(ciphertext).read_at, size))

    def assert_verified_prefix(self, released: bytes) -> None:
        assert DATA.startswith(released)
        assert len(released) % CHUNK == 0 and len(released) < len(DATA)

    def test_the_empty_clip_is_its_verified_lone_tag(self) -> None:
        ciphertext = encrypt(b"", CHUNK)
        blob = Blob(ciphertext)
        assert list(decrypt_whole(KEY, CLIP, blob.read_at, 0)) == [b""]
        assert blob.chunk_reads() == [(0, TAG_SIZE + 1)]
        assert list(decrypt_range(KEY, CLIP, Blob(ciphertext).read_at, 0, 0, 0)) == []
        header_only = ciphertext[:-TAG_SIZE]
        for broken in (header_only, ciphertext[:-1], ciphertext + b"\x00", ciphertext[:-1] + b"\x00"):
            assert self.whole(broken, 0) == b""
        assert self.whole(ciphertext, 0, key=OTHER_KEY) == b""

    def test_truncation_anywhere(self) -> None:
        ciphertext = encrypt(DATA, CHUNK)
        for length in range(len(ciphertext)):
            self.assert_verified_prefix(self.whole(ciphertext[:length]))

    @pytest.mark.parametrize("extra", [b"\x00", b"\x00" * TAG_SIZE, b"\x00" * 100])
    def test_bytes_after_the_last_chunk_withhold_it(self, extra: bytes) -> None:
        self.assert_verified_prefix(self.whole(encrypt(DATA, CHUNK) + extra))

    @pytest.mark.parametrize("per_read", [1, 2, 3])
    def test_a_full_last_chunk_followed_by_anything(self, per_read: int) -> None:
        """The extra byte comes with the last read, before any chunk of that read is opened."""
        data = DATA[: 3 * CHUNK]
        ciphertext = encrypt(data, CHUNK)
        with mock.patch.object(stream_module, "RANGE_READ_SIZE", per_read * (CHUNK + TAG_SIZE)):
            assert b"".join(decrypt_whole(KEY, CLIP, Blob(ciphertext).read_at, len(data))) == data
            released = released_before_failure(
                lambda: decrypt_whole(KEY, CLIP, Blob(ciphertext + b"\x00").read_at, len(data))
            )
        assert released == data[: (2 // per_read) * per_read * CHUNK]

    def test_every_single_bit_flip(self) -> None:
        ciphertext = bytearray(encrypt(DATA, CHUNK))
        for bit in range(len(ciphertext) * 8):
            ciphertext[bit // 8] ^= 1 << (bit % 8)
            self.assert_verified_prefix(self.whole(bytes(ciphertext)))
            ciphertext[bit // 8] ^= 1 << (bit % 8)

    def test_reordered_dropped_or_duplicated_chunks(self) -> None:
        header, chunks = split(encrypt(DATA, CHUNK))
        swapped = [chunks[0], chunks[2], chunks[1], *chunks[3:]]
        for variant in (swapped, chunks[:2] + chunks[3:], chunks[:3] + chunks[2:]):
            self.assert_verified_prefix(self.whole(header + b"".join(variant), len(DATA)))

    @pytest.mark.parametrize("claimed", [0, 1, len(DATA) - CHUNK, len(DATA) - 1, len(DATA) + 1, 10**6])
    def test_a_wrong_recorded_size(self, claimed: int) -> None:
        self.assert_verified_prefix(self.whole(encrypt(DATA, CHUNK), claimed))

    def test_wrong_key_or_clip_id_releases_nothing(self) -> None:
        ciphertext = encrypt(DATA, CHUNK)
        assert self.whole(ciphertext, key=OTHER_KEY) == b""
        assert self.whole(ciphertext, clip=CLIP.replace("0", "1")) == b""


def test_the_header_is_read_and_checked_at_the_call() -> None:
    """A missing blob or a foreign stream fails before a response promises any byte."""

    def missing(offset: int, length: int) -> bytes:
        raise BlobNotFoundError("no blob")

    for read_at in (missing, Blob(b"not a vault stream at all").read_at):
        with pytest.raises((BlobNotFoundError, IntegrityError)):
            decrypt_whole(KEY, CLIP, read_at, len(DATA))
        with pytest.raises((BlobNotFoundError, IntegrityError)):
            decrypt_range(KEY, CLIP, read_at, len(DATA), 1, 2)
    with pytest.raises(ValueError):
        decrypt_whole(KEY, CLIP, missing, -1)


@pytest.mark.parametrize(("start", "end"), [(0, None), (CHUNK - 1, 4 * CHUNK + 1), (3 * CHUNK + 1, None)])
def test_read_spans_is_told_every_chunk_read_and_may_read_ahead(start: int, end: int | None) -> None:
    """The same reads as ``read_at`` alone would make, here all taken before the first is used."""
    ciphertext = encrypt(DATA, CHUNK)
    told: list[tuple[int, int]] = []

    def all_at_once(spans: Iterable[tuple[int, int]]) -> list[bytes]:
        told.extend(spans)
        return [ciphertext[offset : offset + length] for offset, length in told]

    def decrypt(blob: Blob, **spans: ReadSpans) -> bytes:
        if start == 0 and end is None:
            return b"".join(decrypt_whole(KEY, CLIP, blob.read_at, len(DATA), **spans))
        stop = len(DATA) if end is None else end
        return b"".join(decrypt_range(KEY, CLIP, blob.read_at, len(DATA), start, stop, **spans))

    alone, told_ahead = Blob(ciphertext), Blob(ciphertext)
    with mock.patch.object(stream_module, "RANGE_READ_SIZE", 2 * (CHUNK + TAG_SIZE)):
        assert decrypt(told_ahead, read_spans=all_at_once) == decrypt(alone) == DATA[start:end]
    assert told_ahead.reads == [(0, MAX_HEADER_SIZE)]
    assert told == alone.reads[1:] and len(told) > 1
