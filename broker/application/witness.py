"""Witnessing a broker's log from outside (C2SP tlog-witness ideas, pulled instead of pushed).

A witness is someone other than the city: a court, a data protection authority, a civic
group. It keeps its own key and its own file of the checkpoints it cosigned. Each run it
fetches the broker's newest checkpoint, checks the log's signature and that the log only grew
since the last one it cosigned (an RFC 9162 consistency proof), and cosigns. A broker that
rewrote its history can no longer show a checkpoint this witness would cosign, and
``broker audit verify --checkpoints <witness file> --witness-key <vkey>`` says so.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from broker.adapters.checkpoint_archive import CheckpointLogFile
from broker.errors import InvalidInput
from broker.merkle import (
    Checkpoint,
    CheckpointError,
    VerifierKey,
    check_consistency,
    cosign_checkpoint,
    verify_checkpoint,
)


@dataclass(frozen=True)
class Cosigned:
    tree_size: int
    previous_size: int
    note: str


def cosign_latest(*, latest: Callable[[], str], proof: Callable[[int, int], list[str]],
                  log_key: VerifierKey, witness_key: Ed25519PrivateKey, witness_name: str,
                  state: CheckpointLogFile, now: datetime) -> Cosigned:
    """Cosign the log's newest checkpoint if it is consistent with the last one cosigned.

    Raises CheckpointError (nothing cosigned, nothing recorded) for a bad signature, a log that
    shrank, forked at the same size, or changed its past.
    """
    note = latest()
    new = verify_checkpoint(note, log_key)
    previous: Checkpoint | None = None
    previous_note = ""
    for kept in state.notes():
        head = verify_checkpoint(kept, log_key)
        if previous is None or head.tree_size >= previous.tree_size:
            previous, previous_note = head, kept
    if previous is not None and previous.tree_size == new.tree_size \
            and previous.root_hash == new.root_hash:
        return Cosigned(tree_size=new.tree_size, previous_size=new.tree_size, note=previous_note)
    nodes: list[bytes] = []
    if previous is not None and previous.tree_size not in (0, new.tree_size):
        try:
            nodes = [base64.b64decode(node) for node in proof(previous.tree_size, new.tree_size)]
        except CheckpointError:
            raise
        except InvalidInput as exc:
            raise CheckpointError(f"the log gives no consistency proof from size "
                                  f"{previous.tree_size} to {new.tree_size} ({exc.detail})") from None
    if previous is not None and previous.tree_size == new.tree_size:
        raise CheckpointError(f"the log shows two different trees of size {new.tree_size}: a fork")
    check_consistency(previous, new, nodes)
    cosigned = cosign_checkpoint(note, witness_key, witness_name, int(now.timestamp()))
    state.append(cosigned, new.tree_size)
    return Cosigned(tree_size=new.tree_size,
                    previous_size=previous.tree_size if previous else 0, note=cosigned)
