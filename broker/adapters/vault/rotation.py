"""KEK rotation: a new version wraps every data key, then the old versions retire.

Resumable: each batch is its own transaction, and a rotation whose old versions are not yet
retired is continued rather than started again, so rerunning after a crash converges.
"""

from __future__ import annotations

from dataclasses import dataclass

from broker.adapters.vault import kek
from broker.adapters.vault.keystore import Keystore
from broker.common.progress import Progress, no_progress

DEFAULT_BATCH_SIZE = 500


@dataclass(frozen=True, slots=True)
class RotationReport:
    """What one run of :func:`rotate` did, for the CLI to print."""

    active: int
    resumed: bool
    rewrapped: int
    retired: tuple[int, ...]
    removed: tuple[int, ...]
    remaining: dict[int, int]
    """Keys still under an old version (a writer with a stale key file); rerun to finish."""


def rotate(
    keystore: Keystore,
    keys_dir: kek.StrPath,
    batch_size: int = DEFAULT_BATCH_SIZE,
    *,
    remove_unused: bool = False,
    progress: Progress = no_progress,
) -> RotationReport:
    """Rotate to a new KEK version, or finish an interrupted rotation.

    ``remove_unused`` also drops retired versions from the key file; do it once keystore
    backups older than the rotation are gone (see :func:`broker.vault.kek.remove_retired`).
    """
    if batch_size < 1:
        raise ValueError("batch size must be at least 1")
    keyring = kek.load_keyring(keys_dir)
    resumed = _in_progress(keyring)
    if not resumed:
        kek.add_version(keys_dir)
        keyring = kek.load_keyring(keys_dir)
    rewrapped = 0
    total = sum(n for v, n in keystore.count_by_kek_version().items() if v != keyring.active)
    progress("re-wrapping", 0, total)
    while moved := keystore.rewrap_batch(keyring, batch_size):
        rewrapped += moved
        progress("re-wrapping", rewrapped, max(total, rewrapped))
    counts = keystore.count_by_kek_version()
    retired = tuple(
        v
        for v in keyring.versions
        if v != keyring.active and not keyring.version(v).retired and not counts.get(v)
    )
    for version in retired:
        kek.retire(keys_dir, version)
    removed = tuple(kek.remove_retired(keys_dir, counts)) if remove_unused else ()
    remaining = {v: n for v, n in counts.items() if v != keyring.active}
    return RotationReport(keyring.active, resumed, rewrapped, retired, removed, remaining)


def prune(keystore: Keystore, keys_dir: kek.StrPath) -> tuple[int, ...]:
    """Drop retired KEK versions no data key uses, and rotate nothing (see
    :func:`broker.adapters.vault.kek.remove_retired` for when that is safe)."""
    return tuple(kek.remove_retired(keys_dir, keystore.count_by_kek_version()))


def _in_progress(keyring: kek.Keyring) -> bool:
    return any(v != keyring.active and not keyring.version(v).retired for v in keyring.versions)
