"""Every event the broker records, under one name each.

eventsourcing's ``@event`` decorator makes the event classes at class-creation time, so type
checkers cannot see ``Camera.Registered``; this catalogue names each once (the projections
dispatch on these, the audit trail offers them as filters, the docs list them).
"""

from __future__ import annotations

from typing import Any

from broker.domain.audit import AuditAccess, ChainVerification
from broker.domain.camera import Camera, CameraImport
from broker.domain.client import Client
from broker.domain.clip import Clip
from broker.domain.hold import Hold
from broker.domain.housekeeping import JobFailure, VaultSweep
from broker.domain.overlays import CameraOverlays
from broker.domain.person import Person
from broker.domain.redaction import Redaction
from broker.domain.request import FootageRequest

EventClass = type[Any]

AuditQueried: EventClass = AuditAccess.Queried  # type: ignore[attr-defined]
CameraRegistered: EventClass = Camera.Registered  # type: ignore[attr-defined]
CameraRelocated: EventClass = Camera.Relocated  # type: ignore[attr-defined]
CameraRetentionChanged: EventClass = Camera.RetentionChanged  # type: ignore[attr-defined]
CameraDecommissioned: EventClass = Camera.Decommissioned  # type: ignore[attr-defined]
CameraDetailsChanged: EventClass = Camera.DetailsChanged  # type: ignore[attr-defined]
CameraImportRecorded: EventClass = CameraImport.Recorded  # type: ignore[attr-defined]
ClientRegistered: EventClass = Client.Registered  # type: ignore[attr-defined]
ClientRevoked: EventClass = Client.Revoked  # type: ignore[attr-defined]
ClipIngested: EventClass = Clip.Ingested  # type: ignore[attr-defined]
ClipPurged: EventClass = Clip.Purged  # type: ignore[attr-defined]
HoldPlaced: EventClass = Hold.Placed  # type: ignore[attr-defined]
HoldReleased: EventClass = Hold.Released  # type: ignore[attr-defined]
RequestSubmitted: EventClass = FootageRequest.Submitted  # type: ignore[attr-defined]
RequestDecided: EventClass = FootageRequest.Decided  # type: ignore[attr-defined]
RequestReviewed: EventClass = FootageRequest.Reviewed  # type: ignore[attr-defined]
RequestGranted: EventClass = FootageRequest.Granted  # type: ignore[attr-defined]
RequestDenied: EventClass = FootageRequest.Denied  # type: ignore[attr-defined]
RequestReviewOverdue: EventClass = FootageRequest.ReviewOverdue  # type: ignore[attr-defined]
RequestPersonalDataErased: EventClass = FootageRequest.PersonalDataErased  # type: ignore[attr-defined]
RequestViewed: EventClass = FootageRequest.Viewed  # type: ignore[attr-defined]
RequestExported: EventClass = FootageRequest.Exported  # type: ignore[attr-defined]
RequestPreviewed: EventClass = FootageRequest.Previewed  # type: ignore[attr-defined]
RequestAccessTokenIssued: EventClass = FootageRequest.AccessTokenIssued  # type: ignore[attr-defined]
RequestDelivered: EventClass = FootageRequest.Delivered  # type: ignore[attr-defined]
RequestWithdrawn: EventClass = FootageRequest.Withdrawn  # type: ignore[attr-defined]
RequestClosed: EventClass = FootageRequest.Closed  # type: ignore[attr-defined]
RequestRevoked: EventClass = FootageRequest.Revoked  # type: ignore[attr-defined]
RequestExpired: EventClass = FootageRequest.Expired  # type: ignore[attr-defined]
RequestSuperseded: EventClass = FootageRequest.Superseded  # type: ignore[attr-defined]
VaultSwept: EventClass = VaultSweep.Swept  # type: ignore[attr-defined]
OverlaysConfigured: EventClass = CameraOverlays.Configured  # type: ignore[attr-defined]
OverlaysReconfigured: EventClass = CameraOverlays.Reconfigured  # type: ignore[attr-defined]
RedactionRequested: EventClass = Redaction.Requested  # type: ignore[attr-defined]
RedactionJobStarted: EventClass = Redaction.JobStarted  # type: ignore[attr-defined]
RedactionDraftReady: EventClass = Redaction.DraftReady  # type: ignore[attr-defined]
RedactionFailed: EventClass = Redaction.Failed  # type: ignore[attr-defined]
RedactionRequeued: EventClass = Redaction.Requeued  # type: ignore[attr-defined]
RedactionCorrected: EventClass = Redaction.Corrected  # type: ignore[attr-defined]
RedactionApproved: EventClass = Redaction.Approved  # type: ignore[attr-defined]
RedactionRendered: EventClass = Redaction.Rendered  # type: ignore[attr-defined]
RedactionDownloaded: EventClass = Redaction.Downloaded  # type: ignore[attr-defined]
RedactionWatched: EventClass = Redaction.Watched  # type: ignore[attr-defined]
RedactionPurged: EventClass = Redaction.Purged  # type: ignore[attr-defined]
JobFailed: EventClass = JobFailure.Failed  # type: ignore[attr-defined]
ChainVerified: EventClass = ChainVerification.Completed  # type: ignore[attr-defined]
PersonRegistered: EventClass = Person.Registered  # type: ignore[attr-defined]
PersonSignInFailed: EventClass = Person.SignInFailed  # type: ignore[attr-defined]
PersonSignedIn: EventClass = Person.SignedIn  # type: ignore[attr-defined]
PersonSignedOut: EventClass = Person.SignedOut  # type: ignore[attr-defined]
PersonCredentialsChanged: EventClass = Person.CredentialsChanged  # type: ignore[attr-defined]
PersonProfileChanged: EventClass = Person.ProfileChanged  # type: ignore[attr-defined]
PersonDisabled: EventClass = Person.Disabled  # type: ignore[attr-defined]
PersonEnabled: EventClass = Person.Enabled  # type: ignore[attr-defined]


def type_name(event_class: EventClass) -> str:
    """``Camera.Registered``: the stable topic without its prefix, as the audit trail shows it."""
    return str(event_class.TOPIC).split(":", 1)[-1]


ALL: tuple[EventClass, ...] = (
    AuditQueried,
    CameraRegistered,
    CameraRelocated,
    CameraRetentionChanged,
    CameraDecommissioned,
    CameraDetailsChanged,
    CameraImportRecorded,
    ClientRegistered,
    ClientRevoked,
    ClipIngested,
    ClipPurged,
    HoldPlaced,
    HoldReleased,
    RequestSubmitted,
    RequestDecided,
    RequestReviewed,
    RequestGranted,
    RequestDenied,
    RequestReviewOverdue,
    RequestPersonalDataErased,
    RequestViewed,
    RequestPreviewed,
    RequestExported,
    RequestAccessTokenIssued,
    RequestDelivered,
    RequestWithdrawn,
    RequestClosed,
    RequestRevoked,
    RequestExpired,
    RequestSuperseded,
    VaultSwept,
    OverlaysConfigured,
    OverlaysReconfigured,
    RedactionRequested,
    RedactionJobStarted,
    RedactionDraftReady,
    RedactionFailed,
    RedactionRequeued,
    RedactionCorrected,
    RedactionApproved,
    RedactionRendered,
    RedactionDownloaded,
    RedactionWatched,
    RedactionPurged,
    JobFailed,
    ChainVerified,
    PersonRegistered,
    PersonSignInFailed,
    PersonSignedIn,
    PersonSignedOut,
    PersonCredentialsChanged,
    PersonProfileChanged,
    PersonDisabled,
    PersonEnabled,
)
"""Every event class, in the order above."""

NAMES: tuple[str, ...] = tuple(type_name(cls) for cls in ALL)
