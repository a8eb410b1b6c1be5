"""One readable line per audit event: who did what to which request or camera."""

from __future__ import annotations

from typing import Any

from broker.entrypoints.web.i18n import gettext as _

LINES = {
    "AuditAccess.Queried": "{who} looked at the audit trail ({what})",
    "Camera.Registered": "{who} registered a camera",
    "Camera.Relocated": "a camera was moved",
    "Camera.RetentionChanged": "a camera's retention was changed",
    "Camera.Decommissioned": "a camera was decommissioned",
    "Client.Registered": "API client registered ({role}, {agency})",
    "Client.Revoked": "API client revoked",
    "Clip.Ingested": "{who} stored a clip",
    "Clip.Purged": "a clip was purged ({outcome})",
    "Hold.Placed": "{who} placed a legal hold",
    "Hold.Released": "{who} released a legal hold",
    "FootageRequest.Submitted": "{who} filed a request on {basis}",
    "FootageRequest.Decided": "the policy decided: {outcome}",
    "FootageRequest.Reviewed": "{who} reviewed the request: {outcome} (\u201c{reason}\u201d)",
    "FootageRequest.Granted": "footage granted",
    "FootageRequest.Denied": "request denied",
    "FootageRequest.ReviewOverdue": "the review deadline passed",
    "FootageRequest.PersonalDataErased": "personal data erased (retention ended)",
    "FootageRequest.Viewed": "{who} viewed a clip",
    "FootageRequest.Exported": "{who} exported signed evidence",
    "FootageRequest.AccessTokenIssued": "an access token was issued to the requester",
    "FootageRequest.Delivered": "{who} received the masked footage",
    "FootageRequest.Withdrawn": "the requester withdrew the request",
    "FootageRequest.Closed": "{who} closed the request",
    "FootageRequest.Revoked": "the grant was revoked",
    "FootageRequest.Expired": "the grant expired",
    "FootageRequest.Superseded": "the request was replaced by an amended one",
    "VaultSweep.Swept": "the vault sweep removed leftovers",
    "Person.Registered": "{who} created the account of {subject}",
    "Person.SignInFailed": "{who}: sign-in failed ({why})",
    "Person.SignedIn": "{who} signed in",
    "Person.SignedOut": "{who} signed out",
    "Person.CredentialsChanged": "{who} reset the credentials of a person ({what})",
    "Person.ProfileChanged": "the identity provider changed a person's role or agency",
    "Person.Disabled": "{who} disabled an account",
    "Person.Enabled": "{who} enabled an account",
}


def actor_label(item: dict[str, Any]) -> str:
    actor = item["actor"]
    name = actor.get("name") or actor.get("client_id") or _("the broker")
    return f"{name} ({actor['role']})" if actor.get("role") else str(name)


def describe(item: dict[str, Any]) -> str:
    template = LINES.get(item["event_type"])
    if template is None:
        return item["event_type"]
    detail = item.get("detail") or {}
    values = {"who": actor_label(item), "basis": item.get("legal_basis") or "-",
              "outcome": item.get("outcome") or "-", "reason": detail.get("reason") or "",
              "what": detail.get("what") or "", "role": detail.get("role") or "",
              "agency": detail.get("agency") or "", "why": detail.get("why") or "",
              "subject": detail.get("display_name") or detail.get("person") or ""}
    try:
        return _(template).format(**values)
    except (KeyError, IndexError):
        return template.format(**values)
