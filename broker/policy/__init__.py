"""Legal-basis policy: packs from ``policies/*.toml`` and a pure evaluator that explains itself.

Nothing here reads a clock or touches storage; ``load_pack`` is the only I/O.
"""

from __future__ import annotations

from broker.policy.completeness import MissingField, missing_fields
from broker.policy.decision import Decision, Outcome, Reason, ReviewRecord, Scope
from broker.policy.digest import canonical_json, sha256_digest
from broker.policy.evaluate import RULES, cameras_in_reach, evaluate
from broker.policy.pack import (
    ONWARD_TRANSFERS,
    REQUEST_FIELDS,
    BasisDecision,
    LegalBasis,
    OnwardTransfer,
    PolicyPack,
    PolicyPackError,
    RequestField,
    load_pack,
    pack_digest,
    pack_from_toml,
    parse_pack,
)
from broker.policy.report import describe, pack_public_view
from broker.policy.request import (
    CameraSite,
    CameraStatus,
    EvaluationRequest,
    GeoPoint,
    Requester,
    Site,
    TimeWindow,
)
from broker.policy.review import ReviewError, approve_review, deny_review
from broker.policy.values import MODES, ROLES, Mode, Role

__all__ = [
    "MODES",
    "ONWARD_TRANSFERS",
    "REQUEST_FIELDS",
    "ROLES",
    "RULES",
    "BasisDecision",
    "CameraSite",
    "CameraStatus",
    "Decision",
    "EvaluationRequest",
    "GeoPoint",
    "LegalBasis",
    "MissingField",
    "Mode",
    "OnwardTransfer",
    "Outcome",
    "PolicyPack",
    "PolicyPackError",
    "Reason",
    "RequestField",
    "Requester",
    "ReviewError",
    "ReviewRecord",
    "Role",
    "Scope",
    "Site",
    "TimeWindow",
    "approve_review",
    "cameras_in_reach",
    "canonical_json",
    "deny_review",
    "describe",
    "evaluate",
    "load_pack",
    "missing_fields",
    "pack_digest",
    "pack_from_toml",
    "pack_public_view",
    "parse_pack",
    "sha256_digest",
]
