"""Policy packs: a jurisdiction's legal bases, reviewed like code and stamped on decisions."""

from __future__ import annotations

import os
import tomllib
import weakref
from collections.abc import Mapping
from typing import Any, Literal, get_args

from pydantic import Field, ValidationError, ValidationInfo, field_validator

from broker.errors import ConfigurationError
from broker.policy.digest import sha256_digest
from broker.policy.values import FrozenModel, Mode, Role

BasisDecision = Literal["auto_grant", "review"]
"""``auto_grant``: granted at once when every rule passes; ``review``: a privacy officer decides."""

OnwardTransfer = Literal["prohibited", "with_approval", "with_notice", "unrestricted"]
"""What the recipient may do with the footage:

- ``prohibited``: keep it; pass it to nobody.
- ``with_approval``: pass it on only after the broker's privacy officer approves (a new provision).
- ``with_notice``: pass it on within the stated purpose, telling the broker (it is recorded).
- ``unrestricted``: the data subject's own, masked image; allowed only with ``mask_third_parties``.
"""
ONWARD_TRANSFERS: tuple[OnwardTransfer, ...] = get_args(OnwardTransfer)

RequestField = Literal[
    "incident_reference",
    "incident_kind",
    "incident_location",
    "occurred_at",
    "purpose",
    "claim_reference",
    "identity_proof",
    "consent_reference",
]
"""Optional request fields a basis may make mandatory (names of ``EvaluationRequest`` fields)."""
REQUEST_FIELDS: tuple[RequestField, ...] = get_args(RequestField)

PortalReason = Literal["insurance_claim", "own_image", "consent"]
"""Why a citizen asks, as the portal's form says it; each names at most one basis of a pack."""

SLUG = r"^[a-z][a-z0-9_]*$"
PACK_ID = r"^[a-z][a-z0-9_-]*$"


def _no_duplicates(values: tuple[Any, ...], what: str) -> None:
    """Reject repeated entries: a repeated role or field is a typo in reviewed data."""
    seen: set[Any] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"duplicate {what} {value!r}")
        seen.add(value)


class LegalBasis(FrozenModel):
    """One legal basis and the limits under which the broker may provide footage on it."""

    id: str = Field(pattern=SLUG, max_length=64)
    citation: str = Field(min_length=1)
    title: str = Field(min_length=1)
    description: str = Field(min_length=1)
    roles: tuple[Role, ...] = Field(min_length=1)
    modes: tuple[Mode, ...] = Field(min_length=1)
    required_fields: tuple[RequestField, ...] = ()
    portal_reason: PortalReason | None = None
    """The citizen portal's reason that files under this basis (citizen_portal bases only)."""
    max_radius_m: float = Field(gt=0, allow_inf_nan=False, strict=True)
    max_window_minutes: int = Field(gt=0, strict=True)
    max_lookback_days: int = Field(gt=0, strict=True)
    decision: BasisDecision
    review_deadline_days: int | None = Field(default=None, gt=0, strict=True, validate_default=True)
    grant_lifetime_hours: int = Field(gt=0, strict=True)
    mask_third_parties: bool = Field(strict=True)
    onward_transfer: OnwardTransfer
    restrictions: tuple[str, ...] = ()

    @field_validator("roles")
    @classmethod
    def _unique_roles(cls, value: tuple[Role, ...]) -> tuple[Role, ...]:
        _no_duplicates(value, "role")
        return value

    @field_validator("modes")
    @classmethod
    def _unique_modes(cls, value: tuple[Mode, ...]) -> tuple[Mode, ...]:
        _no_duplicates(value, "mode")
        return value

    @field_validator("required_fields")
    @classmethod
    def _unique_fields(cls, value: tuple[RequestField, ...]) -> tuple[RequestField, ...]:
        _no_duplicates(value, "required field")
        return value

    @field_validator("restrictions")
    @classmethod
    def _restrictions_text(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not item.strip() for item in value):
            raise ValueError("restrictions must not contain blank entries")
        _no_duplicates(value, "restriction")
        return value

    @field_validator("review_deadline_days")
    @classmethod
    def _deadline_matches_decision(cls, value: int | None, info: ValidationInfo) -> int | None:
        decision = info.data.get("decision")
        if decision == "review" and value is None:
            raise ValueError("a review basis must set review_deadline_days (the legal deadline)")
        if decision == "auto_grant" and value is not None:
            raise ValueError("review_deadline_days is only meaningful when decision = 'review'")
        return value

    @field_validator("portal_reason")
    @classmethod
    def _portal_reason_for_portal_bases(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and "citizen_portal" not in info.data.get("roles", ()):
            raise ValueError("portal_reason is only for bases the citizen portal may invoke")
        return value

    @field_validator("onward_transfer")
    @classmethod
    def _unrestricted_needs_masking(cls, value: OnwardTransfer, info: ValidationInfo) -> OnwardTransfer:
        if value == "unrestricted" and info.data.get("mask_third_parties") is not True:
            raise ValueError("onward_transfer = 'unrestricted' requires mask_third_parties = true")
        return value


class PolicyPack(FrozenModel):
    """A versioned set of legal bases for one jurisdiction."""

    id: str = Field(pattern=PACK_ID, max_length=64)
    version: str = Field(min_length=1, max_length=64)
    jurisdiction: str = Field(min_length=1)
    title: str = Field(min_length=1)
    default_retention_days: int = Field(default=30, gt=0, strict=True)
    record_retention_days: int = Field(gt=0, strict=True)
    max_hold_days: int = Field(default=90, gt=0, strict=True)
    """The longest term a requester may give a legal hold; longer needs a privacy officer."""
    bases: tuple[LegalBasis, ...] = Field(min_length=1)

    @field_validator("bases")
    @classmethod
    def _unique_basis_ids(cls, value: tuple[LegalBasis, ...]) -> tuple[LegalBasis, ...]:
        _no_duplicates(tuple(basis.id for basis in value), "basis id")
        _no_duplicates(tuple(b.portal_reason for b in value if b.portal_reason), "portal reason")
        return value

    def basis_for_portal(self, reason: str) -> LegalBasis | None:
        """The basis a citizen's reason files under in this pack (None: not offered here)."""
        return next((basis for basis in self.bases if basis.portal_reason == reason), None)

    def basis(self, basis_id: str) -> LegalBasis | None:
        """The basis with this id, or None: callers must deny on None."""
        for basis in self.bases:
            if basis.id == basis_id:
                return basis
        return None


class PolicyPackError(ConfigurationError):
    """A pack that cannot be read or validated; names the file and the offending field."""

    title = "Invalid policy pack"

    def __init__(self, source: str, field: str | None, message: str) -> None:
        self.source = source
        self.field = field
        self.message = message
        where = f"{source}: {field}" if field else source
        super().__init__(f"{where}: {message}")


def _field_path(loc: tuple[int | str, ...], data: Any) -> str:
    """Dotted path of a validation error, naming bases by id (``bases[court_order].roles[1]``)."""
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(item, int):
            label: str = str(item)
            if isinstance(node, list) and 0 <= item < len(node):
                node = node[item]
                basis_id = node.get("id") if isinstance(node, Mapping) else None
                if parts and parts[-1] == "bases" and isinstance(basis_id, str):
                    label = basis_id
            else:
                node = None
            parts[-1] = f"{parts[-1]}[{label}]" if parts else f"[{label}]"
        else:
            node = node.get(item) if isinstance(node, Mapping) else None
            parts.append(item)
    return ".".join(parts) or "(pack)"


def parse_pack(data: Mapping[str, Any], source: str = "<pack>") -> PolicyPack:
    """Validate already-parsed pack data, raising PolicyPackError that names the first bad field."""
    try:
        return PolicyPack.model_validate(data)
    except ValidationError as exc:
        problems = exc.errors(include_url=False)
        locs = [tuple(err["loc"]) for err in problems]
        # A container error caused by its items' errors (a tuple left too short) is noise.
        problems = [
            err
            for err, loc in zip(problems, locs, strict=True)
            if not any(len(other) > len(loc) and other[: len(loc)] == loc for other in locs)
        ]
        first, *rest = problems
        message = _error_text(first)
        if rest:
            message += "; also " + "; ".join(
                f"{_field_path(tuple(err['loc']), data)}: {_error_text(err)}" for err in rest
            )
        raise PolicyPackError(source, _field_path(tuple(first["loc"]), data), message) from None


def _error_text(err: Mapping[str, Any]) -> str:
    message = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] in {"literal_error", "enum", "extra_forbidden", "string_pattern_mismatch"}:
        message += f" (got {err['input']!r})"
    return message


def pack_from_toml(text: str, source: str = "<string>") -> PolicyPack:
    """Parse and validate a pack from TOML text; pure, for tests and replays."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyPackError(source, None, f"invalid TOML: {exc}") from None
    return parse_pack(data, source)


def load_pack(path: str | os.PathLike[str]) -> PolicyPack:
    """Read and validate a pack file; the only I/O in the policy package."""
    source = os.fspath(path)
    try:
        with open(source, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise PolicyPackError(source, None, f"cannot read pack: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyPackError(source, None, f"not UTF-8: {exc}") from None
    return pack_from_toml(text, source)


_DIGESTS: dict[int, tuple[weakref.ref[PolicyPack], str]] = {}


def pack_digest(pack: PolicyPack) -> str:
    """``sha256:`` + hex of the validated pack's canonical JSON: blind to TOML layout.

    Computed once per pack object (packs are frozen): the evaluator stamps it on every
    decision, and hashing the whole pack each time was a third of an evaluation.
    """
    key = id(pack)
    cached = _DIGESTS.get(key)
    if cached is not None and cached[0]() is pack:
        return cached[1]
    digest = sha256_digest(pack.model_dump(mode="json"))
    _DIGESTS[key] = (weakref.ref(pack, lambda _: _DIGESTS.pop(key, None)), digest)
    return digest
