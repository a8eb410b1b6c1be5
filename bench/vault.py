"""Clip encryption through the vault vs raw AES-GCM and a plain file copy, in one run.

Writes a file of random bytes (default 1 GiB) in a temp dir, then times:

- ``vault encrypt``: file -> ``encrypt_stream`` -> ``FilesystemBlobStore.put`` (fsync, rename);
- ``vault decrypt``: ``ClipVault.read`` (the whole clip, as the API serves it) -> output file
  (fsync), whose SHA-256 is then checked against the source (untimed);
- ``baseline file copy``: a read/write loop in the same chunk size, fsync at the end (the I/O
  the vault cannot avoid; ``shutil.copyfile`` would copy inside the kernel, which no encrypting
  path can);
- ``baseline aesgcm encrypt|decrypt``: ``AESGCM`` over the same bytes, one chunk at a time: the
  file is read chunk by chunk untimed and only the AEAD calls are timed, so memory holds one
  chunk and its ciphertext, never the whole file.

The disk of a shared machine swings several-fold from one second to the next, so the runs are
interleaved over ``--rounds`` rounds and each figure is the best of its rounds. MB is 10^6
bytes. Each ratio compares a vault figure with the slower of its two baselines.

    python bench/vault.py [--size-mib 1024] [--chunk-kib 1024] [--rounds 3] [--dir DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from broker.adapters.vault import kek, stream
from broker.adapters.vault.blobs import BlobStore, FilesystemBlobStore
from broker.adapters.vault.clipvault import ClipVault
from broker.adapters.vault.keystore import Keystore, SQLiteKeystore


def read_chunks(path: Path, size: int) -> Iterator[bytes]:
    with open(path, "rb", buffering=0) as file:
        while chunk := file.read(size):
            yield chunk


def write_all(path: Path, chunks: Iterator[bytes]) -> None:
    with open(path, "wb") as file:
        for chunk in chunks:
            file.write(chunk)
        file.flush()
        os.fsync(file.fileno())


def sha256_of(path: Path, size: int) -> str:
    digest = hashlib.sha256()
    for chunk in read_chunks(path, size):
        digest.update(chunk)
    return digest.hexdigest()


def make_source(path: Path, total: int, size: int) -> str:
    digest = hashlib.sha256()

    def random_chunks() -> Iterator[bytes]:
        for offset in range(0, total, size):
            chunk = os.urandom(min(size, total - offset))
            digest.update(chunk)
            yield chunk

    write_all(path, random_chunks())
    return digest.hexdigest()


def timed(action: Callable[[], object]) -> float:
    """Seconds ``action`` takes, starting from a settled disk.

    ``os.sync`` first, untimed: on a file system mounted with ``discard`` the blocks of a
    deleted gigabyte are trimmed at the next journal commit, which would otherwise land on
    whatever runs next.
    """
    os.sync()
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def file_copy(source: Path, target: Path, chunk_size: int) -> None:
    write_all(target, read_chunks(source, chunk_size))


def vault_encrypt(
    keystore: Keystore, blobs: BlobStore, clip_id: str, source: Path, chunk_size: int
) -> None:
    key = keystore.create_key(clip_id)
    plaintext = read_chunks(source, chunk_size)
    blobs.put(clip_id, stream.encrypt_stream(key, clip_id, clip_id, plaintext, chunk_size))


def vault_decrypt(vault: ClipVault, clip_id: str, target: Path, size: int) -> None:
    write_all(target, vault.read(clip_id, clip_id, clip_id, size))


def aesgcm_baseline(source: Path, chunk_size: int) -> tuple[float, float]:
    """Seconds spent in AESGCM encrypt and decrypt over the file, one chunk in memory at a time."""
    aead = AESGCM(AESGCM.generate_key(256))
    aad = os.urandom(64)  # about the size of the vault's header + clip id
    encrypting = decrypting = 0.0
    for counter, chunk in enumerate(read_chunks(source, chunk_size)):
        nonce = counter.to_bytes(12, "big")
        started = time.perf_counter()
        sealed = aead.encrypt(nonce, chunk, aad)
        middle = time.perf_counter()
        aead.decrypt(nonce, sealed, aad)
        decrypting += time.perf_counter() - middle
        encrypting += middle - started
    return encrypting, decrypting


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024, help="clip size (default 1024)")
    parser.add_argument(
        "--chunk-kib",
        type=int,
        default=stream.DEFAULT_CHUNK_SIZE // 1024,
        help="stream chunk and I/O size (default: the vault's default)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="best of N rounds (default 3)")
    parser.add_argument("--dir", type=Path, default=None, help="where the temp dir goes")
    args = parser.parse_args()
    total, chunk_size = args.size_mib << 20, args.chunk_kib << 10
    best: dict[str, float] = {}

    def record(name: str, seconds: float) -> None:
        best[name] = max(best.get(name, 0.0), total / seconds / 1e6)

    with tempfile.TemporaryDirectory(prefix="broker-bench-vault-", dir=args.dir) as work:
        root = Path(work)
        source, copy, output = root / "source.bin", root / "copy.bin", root / "output.bin"
        expected = make_source(source, total, chunk_size)
        kek.init_keyfile(root / "keys")
        keystore = SQLiteKeystore(root / "keystore.db", kek.KeyFile(root / "keys"))
        blobs = FilesystemBlobStore(root / "blobs")
        vault = ClipVault(keystore, blobs, chunk_size)

        for _ in range(args.rounds):
            clip_id = str(uuid.uuid4())
            encrypt = partial(vault_encrypt, keystore, blobs, clip_id, source, chunk_size)
            decrypt = partial(vault_decrypt, vault, clip_id, output, total)
            # Interleaved, so that the disk's good and bad moments fall on every figure.
            record("baseline file copy", timed(partial(file_copy, source, copy, chunk_size)))
            copy.unlink()
            record("vault encrypt", timed(encrypt))
            record("vault decrypt", timed(decrypt))
            if sha256_of(output, chunk_size) != expected:
                sys.exit("vault decrypt: SHA-256 mismatch")
            output.unlink()
            keystore.shred(clip_id)
            blobs.delete(clip_id)
            aes_encrypt_s, aes_decrypt_s = aesgcm_baseline(source, chunk_size)
            record("baseline aesgcm encrypt", aes_encrypt_s)
            record("baseline aesgcm decrypt", aes_decrypt_s)
        keystore.close()

    copy_rate = best["baseline file copy"]
    slower_for_encrypt = min(best["baseline aesgcm encrypt"], copy_rate)
    slower_for_decrypt = min(best["baseline aesgcm decrypt"], copy_rate)
    peak_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"size: {args.size_mib} MiB")
    print(f"chunk size: {args.chunk_kib} KiB")
    for name in ("vault encrypt", "vault decrypt", "baseline aesgcm encrypt",
                 "baseline aesgcm decrypt", "baseline file copy"):  # fmt: skip
        print(f"{name}: {best[name]:.1f} MB/s")
    print(f"ratio vault encrypt / slower baseline: {best['vault encrypt'] / slower_for_encrypt:.2f}")
    print(f"ratio vault decrypt / slower baseline: {best['vault decrypt'] / slower_for_decrypt:.2f}")
    print("sha256 verified: yes")
    print(f"peak rss: {peak_rss_mib:.0f} MiB")


if __name__ == "__main__":
    main()
