"""A JSON Schema per legal basis, so a portal or a dispatch system can build its form from
``GET /v1/policy``: the body of the endpoint that files under the basis, with the basis's
required fields required and its limits as maxima."""

from __future__ import annotations

import copy
from typing import Any

from broker.entrypoints.api.schemas.citizens import CitizenRequestCreate
from broker.entrypoints.api.schemas.requests import FootageRequestCreate

AGENCY_PATHS: dict[str, tuple[str, ...]] = {
    "incident_reference": ("incident", "reference"), "incident_kind": ("incident", "kind"),
    "incident_location": ("incident", "location"), "occurred_at": ("incident", "occurred_at"),
    "purpose": ("purpose",),
}
PORTAL_PATHS: dict[str, tuple[str, ...]] = {
    "identity_proof": ("identity_proof",), "claim_reference": ("claim_reference",),
    "consent_reference": ("consent_reference",), "incident_kind": ("incident_kind",),
    "incident_location": ("location",), "occurred_at": ("occurred_at",),
    "purpose": ("description",),
}


def with_request_schemas(policy: dict[str, Any]) -> dict[str, Any]:
    """The policy view, each basis with ``files_at`` (the endpoint) and ``request_schema``."""
    agency = FootageRequestCreate.model_json_schema(ref_template="#/$defs/{model}")
    portal = CitizenRequestCreate.model_json_schema(ref_template="#/$defs/{model}")
    for basis in policy["bases"]:
        if basis.get("portal_reason"):
            basis["files_at"] = "POST /v1/citizen-requests"
            schema = _specialise(portal, basis, PORTAL_PATHS)
            schema["properties"]["reason"] = {"const": basis["portal_reason"]}
        else:
            basis["files_at"] = "POST /v1/requests"
            schema = _specialise(agency, basis, AGENCY_PATHS)
            schema["properties"]["legal_basis"] = {"const": basis["id"]}
            schema["properties"]["mode"] = {"enum": basis["modes"]}
        schema["title"] = f"{basis['id']}: {basis['title']}"
        basis["request_schema"] = schema
    return policy


def _specialise(base: dict[str, Any], basis: dict[str, Any],
                paths: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    schema = copy.deepcopy(base)
    for field in basis["required_fields"]:
        *parents, leaf = paths.get(field, (field,))
        node = schema
        for parent in parents:
            node = _resolve(schema, node["properties"][parent])
            node.setdefault("required", [])
        if leaf not in node.setdefault("required", []):
            node["required"].append(leaf)
        prop = node["properties"].get(leaf)
        if prop is not None and "anyOf" in prop:  # required now: null is no longer an answer
            prop["anyOf"] = [option for option in prop["anyOf"] if option.get("type") != "null"]
    radius = schema["properties"]["radius_m"]
    radius["maximum"] = min(radius.get("maximum", basis["limits"]["max_radius_m"]),
                            basis["limits"]["max_radius_m"])
    schema["properties"]["window"] = {
        **_resolve(schema, schema["properties"]["window"]),
        "description": f"at most {basis['limits']['max_window_minutes']} minutes, starting at "
                       f"most {basis['limits']['max_lookback_days']} days ago"}
    return schema


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow a local ``$ref`` (also one wrapped in ``anyOf`` with null) to its definition."""
    options = node.get("anyOf", [node])
    for option in options:
        ref = option.get("$ref")
        if ref:
            definition: dict[str, Any] = schema["$defs"][ref.rsplit("/", 1)[-1]]
            return definition
    return node
