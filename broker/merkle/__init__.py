"""The audit chain's tamper-evident log core: RFC 9162 Merkle trees, proofs, signed checkpoints.

Pure computation, no I/O: storage supplies leaves or subtree roots and persists builder states.
"""

from __future__ import annotations

from broker.merkle.checkpoint import (
    Checkpoint,
    CheckpointError,
    format_checkpoint,
    key_hash,
    parse_checkpoint,
    sign_checkpoint,
    sign_note,
    verify_checkpoint,
    verify_note,
)
from broker.merkle.hashing import EMPTY_ROOT, HASH_SIZE, leaf_hash, node_hash
from broker.merkle.proofs import (
    consistency_proof,
    consistency_proof_lazy,
    inclusion_proof,
    inclusion_proof_lazy,
    verify_consistency,
    verify_inclusion,
)
from broker.merkle.tree import BuilderState, RangeRoot, TreeBuilder, range_root_from_leaves, root_hash
from broker.merkle.verify import Entry, TrustedHead, VerificationReport, verify_log

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "BuilderState",
    "Checkpoint",
    "CheckpointError",
    "Entry",
    "RangeRoot",
    "TreeBuilder",
    "TrustedHead",
    "VerificationReport",
    "consistency_proof",
    "consistency_proof_lazy",
    "format_checkpoint",
    "inclusion_proof",
    "inclusion_proof_lazy",
    "key_hash",
    "leaf_hash",
    "node_hash",
    "parse_checkpoint",
    "range_root_from_leaves",
    "root_hash",
    "sign_checkpoint",
    "sign_note",
    "verify_checkpoint",
    "verify_consistency",
    "verify_inclusion",
    "verify_log",
    "verify_note",
]
