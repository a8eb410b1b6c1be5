"""One readable line per audit event: who did what to which request or camera."""

from __future__ import annotations

from typing import Any

from broker.entrypoints.web.i18n import gettext as _
from broker.entrypoints.web.vocabulary import N_

LINES = {
    "AuditAccess.Queried": N_("{who} looked at the audit trail ({what})"),
    "Camera.Registered": N_("{who} registered a camera"),
    "Camera.Relocated": N_("{who} moved a camera"),
    "Camera.RetentionChanged": N_("{who} changed a camera's retention"),
    "Camera.DetailsChanged": N_("{who} changed a camera's details"),
    "CameraImport.Recorded": N_("{who} imported a camera register ({rows} rows)"),
    "Camera.Decommissioned": N_("{who} decommissioned a camera"),
    "Client.Registered": N_("{who} registered an API client ({role}, {agency})"),
    "Client.Revoked": N_("{who} revoked the API client {client} (\u201c{reason}\u201d)"),
    "Clip.Ingested": N_("{who} stored a clip"),
    "Clip.Purged": N_("a clip was purged ({outcome})"),
    "Hold.Placed": N_("{who} placed a legal hold"),
    "Hold.Released": N_("{who} released a legal hold"),
    "FootageRequest.Submitted": N_("{who} filed a request on {basis}"),
    "FootageRequest.Decided": N_("the policy decided: {outcome}"),
    "FootageRequest.Reviewed": N_("{who} reviewed the request: {outcome} (\u201c{reason}\u201d)"),
    "FootageRequest.Granted": N_("footage granted"),
    "FootageRequest.Denied": N_("request denied"),
    "FootageRequest.ReviewOverdue": N_("the review deadline passed"),
    "FootageRequest.PersonalDataErased": N_("personal data erased (retention ended)"),
    "FootageRequest.Viewed": N_("{who} viewed a clip"),
    "FootageRequest.Exported": N_("{who} exported signed evidence"),
    "FootageRequest.AccessTokenIssued": N_("an access token was issued to the requester"),
    "FootageRequest.Delivered": N_("{who} received the masked footage"),
    "FootageRequest.Previewed": N_("{who} watched a clip while reviewing"),
    "FootageRequest.Withdrawn": N_("the requester withdrew the request"),
    "FootageRequest.Closed": N_("{who} closed the request"),
    "FootageRequest.Revoked": N_("the grant was revoked"),
    "FootageRequest.Expired": N_("the grant expired"),
    "FootageRequest.Superseded": N_("the request was replaced by an amended one"),
    "VaultSweep.Swept": N_("the vault sweep removed leftovers"),
    "JobFailure.Failed": N_("the scheduled job {job} failed: {error}"),
    "ChainVerification.Completed": N_("{who} verified the audit chain: {outcome} ({checked} events)"),
    "Redaction.Requested": N_("a masked copy was requested for the citizen"),
    "Redaction.JobStarted": N_("detection started on a clip"),
    "Redaction.DraftReady": N_("a clip's draft boxes are ready for review"),
    "Redaction.Failed": N_("preparing the masked copy failed"),
    "Redaction.Requeued": N_("{who} asked for the masked copy again"),
    "Redaction.Corrected": N_("{who} corrected the boxes of a clip"),
    "Redaction.Approved": N_("{who} signed the masked copy off (\u201c{note}\u201d)"),
    "Redaction.Rendered": N_("the masked copy was rendered"),
    "Redaction.Downloaded": N_("{who} downloaded the masked copy (download {n})"),
    "Redaction.Watched": N_("{who} played a clip of the masked copy in the page"),
    "Redaction.Purged": N_("the masked copy was destroyed"),
    "Person.Registered": N_("{who} created the account of {subject}"),
    "Person.SignInFailed": N_("{who}: sign-in failed ({why})"),
    "Person.SignedIn": N_("{who} signed in"),
    "Person.SignedOut": N_("{who} signed out"),
    "Person.CredentialsChanged": N_("{who} reset the credentials of a person ({what})"),
    "Person.ProfileChanged": N_("the identity provider changed a person's role or agency"),
    "Person.Disabled": N_("{who} disabled an account"),
    "Person.Enabled": N_("{who} enabled an account"),
}


def actor_label(item: dict[str, Any]) -> str:
    """Who acted, as a person reads it: a name and a role; a citizen (who has no account, and
    whose name the trail never holds) as the citizen, through their portal."""
    actor = item["actor"]
    name = actor.get("name") or actor.get("client_id") or _("the broker")
    role = actor.get("role")
    if role == "citizen_portal":
        return _("the citizen, through {portal}").format(portal=name)
    return f"{name} ({_(role)})" if role else str(name)


def describe(item: dict[str, Any]) -> str:
    template = LINES.get(item["event_type"])
    if template is None:
        return item["event_type"]
    detail = item.get("detail") or {}
    values = {"who": actor_label(item), "basis": item.get("legal_basis") or "-",
              "outcome": item.get("outcome") or "-", "reason": detail.get("reason") or "",
              "what": detail.get("what") or "", "role": detail.get("role") or "",
              "agency": detail.get("agency") or "", "why": detail.get("why") or "",
              "client": detail.get("name") or detail.get("client_id") or "",
              "subject": detail.get("display_name") or detail.get("person") or "",
              "job": detail.get("job") or "", "error": detail.get("error") or "",
              "note": detail.get("note") or "", "n": detail.get("n") or "",
              "checked": detail.get("events_checked", ""), "rows": detail.get("rows", "")}
    try:
        return _(template).format(**values)
    except (KeyError, IndexError):
        return template.format(**values)
