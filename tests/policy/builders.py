"""Test helpers: shipped packs, request and camera builders, and a small TOML writer."""

from __future__ import annotations

import copy
import json
import math
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from broker.config import BUNDLED_PACKS
from broker.policy import (
    CameraSite,
    EvaluationRequest,
    GeoPoint,
    LegalBasis,
    PolicyPack,
    Requester,
    TimeWindow,
    load_pack,
)

POLICIES = BUNDLED_PACKS
SHIPPED = ("kr-pipa", "eu-gdpr-led")
NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
CENTRE = GeoPoint(lat=37.5665, lon=126.9780)  # Seoul City Hall


def shipped_pack(name: str) -> PolicyPack:
    return load_pack(POLICIES / f"{name}.toml")


FIELD_VALUES: dict[str, Any] = {
    "incident_reference": "CASE-2025-0042",
    "incident_kind": "theft",
    "incident_location": CENTRE,
    "occurred_at": NOW - timedelta(hours=2),
    "purpose": "identify the person who took a bag",
    "claim_reference": "CLM-778899",
    "identity_proof": "portal-idv-5512",
    "consent_reference": "consent-1201",
}


def camera(
    camera_id: str,
    north_m: float = 0.0,
    east_m: float = 0.0,
    coverage_m: float = 50.0,
    status: str = "active",
    centre: GeoPoint = CENTRE,
) -> CameraSite:
    """A camera placed ``north_m``/``east_m`` metres from ``centre`` (small offsets only)."""
    point = offset(north_m, east_m, centre)
    return CameraSite(camera_id=camera_id, lat=point.lat, lon=point.lon, coverage_m=coverage_m, status=status)


def offset(north_m: float, east_m: float, centre: GeoPoint = CENTRE) -> GeoPoint:
    """The point ``north_m``/``east_m`` metres from ``centre`` (flat-earth, small offsets)."""
    lat = centre.lat + north_m / 111_195.0
    lon = centre.lon + east_m / (111_195.0 * math.cos(math.radians(centre.lat)))
    return GeoPoint(lat=lat, lon=lon)


def valid_request(basis: LegalBasis, **overrides: Any) -> EvaluationRequest:
    """A request that every rule of ``basis`` accepts (with a camera at CENTRE)."""
    minutes = min(30, basis.max_window_minutes)
    if basis.modes[0] == "live":
        window = TimeWindow(start=NOW, end=NOW + timedelta(minutes=minutes))
    else:
        window = TimeWindow(start=NOW - timedelta(minutes=minutes), end=NOW)
    data: dict[str, Any] = {
        "requester": Requester(role=basis.roles[0], client_id="client-1", agency="Agency"),
        "legal_basis": basis.id,
        "mode": basis.modes[0],
        "radius_m": min(80.0, basis.max_radius_m),
        "window": window,
        **{name: FIELD_VALUES[name] for name in basis.required_fields},
    }
    data.setdefault("incident_location", CENTRE)
    data.update(overrides)
    return EvaluationRequest(**data)


def minimal_pack_data() -> dict[str, Any]:
    """Plain data of a small valid pack, for loader tests to break one field at a time."""
    return {
        "id": "test-pack",
        "version": "0.1",
        "jurisdiction": "XX",
        "title": "Test pack",
        "default_retention_days": 30,
        "record_retention_days": 365,
        "bases": [
            {
                "id": "crime_investigation",
                "citation": "Test Act Art. 1",
                "title": "Crime",
                "description": "Crime investigation.",
                "roles": ["police"],
                "modes": ["recorded"],
                "required_fields": ["incident_reference", "purpose"],
                "max_radius_m": 500,
                "max_window_minutes": 360,
                "max_lookback_days": 30,
                "decision": "auto_grant",
                "grant_lifetime_hours": 72,
                "mask_third_parties": False,
                "onward_transfer": "prohibited",
                "restrictions": ["Use only for the case."],
            },
            {
                "id": "own_image",
                "citation": "Test Act Art. 2",
                "title": "Own image",
                "description": "Access to own image.",
                "roles": ["citizen_portal"],
                "modes": ["recorded"],
                "required_fields": ["identity_proof"],
                "max_radius_m": 100.0,
                "max_window_minutes": 60,
                "max_lookback_days": 30,
                "decision": "review",
                "review_deadline_days": 10,
                "grant_lifetime_hours": 168,
                "mask_third_parties": True,
                "onward_transfer": "unrestricted",
            },
        ],
    }


def pack_data(pack: PolicyPack) -> dict[str, Any]:
    return copy.deepcopy(pack.model_dump(mode="json"))


# --- a small TOML writer, enough for pack data --------------------------------------------


def _scalar(value: Any, rng: random.Random | None) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if rng is not None and value.is_integer() and rng.random() < 0.5:
            return str(int(value))  # 500 and 500.0 must validate (and digest) alike
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=bool(rng and rng.random() < 0.5))
    if isinstance(value, list):
        sep = ", " if rng is None or rng.random() < 0.5 else ",   "
        return "[" + sep.join(_scalar(item, rng) for item in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_scalar(v, rng)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _keys(table: dict[str, Any], rng: random.Random | None) -> list[str]:
    keys = [key for key, value in table.items() if value is not None]
    if rng is not None:
        rng.shuffle(keys)
    return keys


def dump_toml(data: dict[str, Any], seed: int | None = None) -> str:
    """Write pack data as TOML; with a seed, shuffle keys and vary layout, quoting and numbers.

    ``None`` values are left out (TOML has no null; the model's defaults are None).
    """
    rng = random.Random(seed) if seed is not None else None
    pad = (lambda: " " * rng.randint(0, 3)) if rng is not None else (lambda: "")
    lines = ["# written by tests/policy/builders.py", ""]
    bases = data.get("bases", [])
    inline_bases = rng is not None and rng.random() < 0.5
    for key in _keys({k: v for k, v in data.items() if k != "bases"}, rng):
        lines.append(f"{pad()}{key}{pad()} ={pad()} {_scalar(data[key], rng)}{pad()}")
    if inline_bases:
        items = [{k: b[k] for k in _keys(b, rng)} for b in bases]
        lines.append("bases = [")
        lines.extend(f"  {_scalar(item, rng)}," for item in items)
        lines.append("]")
    else:
        for basis in bases:
            lines += ["", "# a legal basis", "[[bases]]"]
            lines += [f"{pad()}{k} = {_scalar(basis[k], rng)}" for k in _keys(basis, rng)]
    return "\n".join(lines) + "\n"
