"""The citizen portal: file a request for one's own footage, follow it, receive it masked.

The portal authenticates as a client (role ``citizen_portal``); each request is further
guarded by its own access token, returned once at filing, so one citizen can never read
another's request even through the same portal.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Header, Response, status
from fastapi.responses import StreamingResponse
from sqlalchemy import RowMapping

from broker.adapters import evidence
from broker.adapters.delivery import MaskedDelivery
from broker.adapters.masking import Detector
from broker.adapters.vault.kek import export_public_key
from broker.common.times import rfc3339
from broker.domain import apikeys
from broker.entrypoints.api.deps import BrokerDep, CitizenPortalDep
from broker.entrypoints.api.schemas import CitizenRequestCreate
from broker.errors import Forbidden, InvalidInput, NotFound
from broker.policy import EvaluationRequest, GeoPoint, Requester, TimeWindow
from broker.readmodel import clip_view, request_view

router = APIRouter(prefix="/v1/citizen-requests", tags=["citizens"])

BASIS_FOR_REASON = {"insurance_claim": "insurance_claim", "own_image": "data_subject_access"}
APPEAL = {
    "KR": "You may challenge this decision within 90 days of learning of it by an administrative "
          "appeal (행정심판법 Art. 27) or ask the Personal Information Dispute Mediation "
          "Committee (개인정보 분쟁조정위원회, PIPA Art. 43) to mediate.",
    "EU": "You may lodge a complaint with a supervisory authority (GDPR Art. 77) and seek a "
          "judicial remedy (GDPR Art. 79).",
}
TokenHeader = Annotated[str, Header(alias="X-Access-Token", min_length=10, max_length=200)]


@router.post("", status_code=status.HTTP_201_CREATED)
def file_request(body: CitizenRequestCreate, broker: BrokerDep,
                 principal: CitizenPortalDep) -> dict[str, Any]:
    request = EvaluationRequest(
        requester=Requester(role=principal.role.value, client_id=principal.client_id,
                            agency=principal.agency),
        legal_basis=BASIS_FOR_REASON[body.reason], mode="recorded", radius_m=body.radius_m,
        window=TimeWindow(start=body.window.start, end=body.window.end),
        incident_kind=body.incident_kind,
        incident_location=GeoPoint(lat=body.location.lat, lon=body.location.lon),
        occurred_at=body.occurred_at, claim_reference=body.claim_reference,
        identity_proof=body.identity_proof, purpose=body.description,
    )
    filed, token = broker.app.file_citizen_request(
        request, name=body.requester.name, contact=body.requester.contact,
        description=body.description)
    broker.projector.catch_up()
    view = citizen_view(broker, _own_row(broker, str(filed.id), principal.client_id, token))
    view["access_token"] = token
    return view


@router.get("/{request_id}")
def follow(request_id: UUID, broker: BrokerDep, principal: CitizenPortalDep,
           token: TokenHeader) -> dict[str, Any]:
    return citizen_view(broker, _own_row(broker, str(request_id), principal.client_id, token))


@router.post("/{request_id}/withdraw")
def withdraw(request_id: UUID, broker: BrokerDep, principal: CitizenPortalDep,
             token: TokenHeader) -> dict[str, Any]:
    _own_row(broker, str(request_id), principal.client_id, token)
    broker.app.withdraw_request(request_id)
    broker.projector.catch_up()
    return citizen_view(broker, _own_row(broker, str(request_id), principal.client_id, token))


@router.get("/{request_id}/delivery")
def delivery(request_id: UUID, broker: BrokerDep, principal: CitizenPortalDep,
             token: TokenHeader) -> Response:
    """The approved footage with third parties masked, as a signed zip; refused if masking fails."""
    row = _own_row(broker, str(request_id), principal.client_id, token)
    if row["status"] != "granted":
        raise Forbidden(f"nothing to deliver: the request is {row['status']}")
    grant = broker.app.usable_grant(UUID(row["id"]))
    start, end = request_view.grant_window(grant)
    with broker.readmodel.reader.connect() as conn:
        clips = [c for c in clip_view.clips_in_scope(conn, grant["camera_ids"], start, end)
                 if c["status"] == "available"]
    if not clips:
        raise InvalidInput("no footage is available in the approved scope")
    package = MaskedDelivery(broker.settings.data_dir / "scratch")
    try:
        detector = Detector()
        for clip in clips:
            plaintext = broker.vault.read(clip["id"], clip["key_id"], clip["blob_id"], clip["size"])
            package.add({"id": clip["id"], "camera_id": clip["camera_id"],
                         "start": rfc3339(clip["start"]), "end": rfc3339(clip["end"]),
                         "sha256": clip["sha256"]}, plaintext, detector)
        delivery_id = str(uuid4())
        decision = json.loads(row["decision"])
        manifest = evidence.canonical({
            "format": "footage-broker-delivery/1",
            "delivery_id": delivery_id,
            "created_at": rfc3339(broker.clock.now()),
            "request_id": row["id"],
            "grant_id": grant["id"],
            "masked": True,
            "legal_basis": {"id": decision["legal_basis"], "citation": decision["citation"]},
            "restrictions": grant["restrictions"],
            "clips": package.manifest_clips(),
            "signing_key_id": export_public_key(broker.signing_key).key_id,
        })
        broker.app.record_delivery(UUID(row["id"]), delivery_id, [c["id"] for c in clips],
                                   hashlib.sha256(manifest).hexdigest(), True, principal.client_id)
    except BaseException:
        package.close()
        raise
    broker.projector.catch_up()
    signature = evidence.signature_document(manifest, broker.signing_key)
    return StreamingResponse(
        package.stream(manifest, signature), media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="footage-{delivery_id}.zip"',
                 "Cache-Control": "no-store"})


def citizen_view(broker: BrokerDep, row: RowMapping) -> dict[str, Any]:
    """What the data subject may see: status, deadline, reasons for a denial, how to appeal."""
    decision = json.loads(row["decision"]) if row["decision"] else {}
    review = decision.get("review") or {}
    status_ = row["status"]
    view: dict[str, Any] = {
        "id": row["id"],
        "status": status_,
        "reason": "insurance_claim" if row["legal_basis"] == "insurance_claim" else "own_image",
        "filed_at": rfc3339(row["submitted_at"]),
        "review_deadline": rfc3339(row["review_deadline"]) if row["review_deadline"] else None,
        "decided_at": review.get("reviewed_at"),
        "reasons": [r["message"] for r in decision.get("reasons", []) if not r["passed"]],
        "review_reason": review.get("reason"),
        "delivery": None,
    }
    if status_ == "denied":
        view["appeal"] = APPEAL.get(broker.policy.jurisdiction.upper()[:2], APPEAL["KR"])
    if status_ == "granted" and row["grant"]:
        grant = json.loads(row["grant"])
        view["delivery"] = {"url": f"/v1/citizen-requests/{row['id']}/delivery",
                            "available_until": grant["expires_at"], "masked": True}
    return view


def _own_row(broker: BrokerDep, request_id: str, portal_client_id: str, token: str) -> RowMapping:
    """The request if this portal filed it and the token is its own; 404 otherwise, always."""
    with broker.readmodel.reader.connect() as conn:
        row = request_view.get_request_row(conn, request_id)
    stored = row["access_token_hash"] if row is not None else None
    matches = apikeys.secret_matches(token, stored or apikeys.hash_secret("no-token"))
    if row is None or stored is None or not matches or row["client_id"] != portal_client_id:
        raise NotFound(f"no citizen request {request_id}")
    return row
