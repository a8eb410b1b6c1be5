"""The audit chain's tamper-evident log core: RFC 9162 Merkle trees, proofs, signed checkpoints.

Pure computation, no I/O: storage supplies leaves or subtree roots and persists builder states.
Checkpoints follow C2SP tlog-checkpoint inside C2SP signed notes (key name == origin), witnesses
cosign per C2SP tlog-cosignature, and ``checkpoint_log`` is a torn-write-tolerant file format for
signed checkpoints whose bytes the caller reads and writes.
"""

from __future__ import annotations

from broker.merkle.checkpoint import (
    TIMESTAMP_PREFIX,
    Checkpoint,
    format_checkpoint,
    parse_checkpoint,
    sign_checkpoint,
    verify_checkpoint,
    verify_checkpoint_legacy,
)
from broker.merkle.checkpoint_log import CheckpointLog, checkpoint_log_record, parse_checkpoint_log
from broker.merkle.cosignature import (
    MAX_COSIGNATURE_TIMESTAMP,
    check_consistency,
    cosign_checkpoint,
    cosignature_line,
    cosigned_message,
    verify_cosignature,
)
from broker.merkle.hashing import EMPTY_ROOT, HASH_SIZE, leaf_hash, node_hash
from broker.merkle.note import (
    COSIGNATURE_V1_ALGORITHM,
    ED25519_ALGORITHM,
    MAX_SIGNATURE_LINES,
    CheckpointError,
    Note,
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
from broker.merkle.proofs import (
    consistency_proof,
    consistency_proof_lazy,
    inclusion_proof,
    inclusion_proof_lazy,
    verify_consistency,
    verify_inclusion,
)
from broker.merkle.tree import BuilderState, RangeRoot, TreeBuilder, range_root_from_leaves, root_hash
from broker.merkle.verify import Batch, Entry, TrustedHead, VerificationReport, verify_batches, verify_log

__all__ = [
    "COSIGNATURE_V1_ALGORITHM",
    "ED25519_ALGORITHM",
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MAX_COSIGNATURE_TIMESTAMP",
    "MAX_SIGNATURE_LINES",
    "TIMESTAMP_PREFIX",
    "Batch",
    "BuilderState",
    "Checkpoint",
    "CheckpointError",
    "CheckpointLog",
    "Entry",
    "Note",
    "NoteSignature",
    "RangeRoot",
    "TreeBuilder",
    "TrustedHead",
    "VerificationReport",
    "VerifierKey",
    "check_consistency",
    "checkpoint_log_record",
    "consistency_proof",
    "consistency_proof_lazy",
    "cosign_checkpoint",
    "cosignature_line",
    "cosigned_message",
    "format_checkpoint",
    "format_vkey",
    "inclusion_proof",
    "inclusion_proof_lazy",
    "key_hash",
    "key_id",
    "leaf_hash",
    "node_hash",
    "parse_checkpoint",
    "parse_checkpoint_log",
    "parse_note",
    "parse_vkey",
    "range_root_from_leaves",
    "root_hash",
    "sign_checkpoint",
    "sign_note",
    "valid_key_name",
    "verify_batches",
    "verify_checkpoint",
    "verify_checkpoint_legacy",
    "verify_consistency",
    "verify_cosignature",
    "verify_inclusion",
    "verify_log",
    "verify_note",
]
