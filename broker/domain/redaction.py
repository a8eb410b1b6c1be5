"""The redaction of one citizen request's footage: detected in the background, reviewed by a
privacy officer, rendered once after approval, downloaded a limited number of times.

    queued --JobStarted/DraftReady per clip--> awaiting_review --Corrected*--> --Approved-->
    approved --Rendered--> ready --Downloaded* (at most max_downloads, until expires_at)-->
    purged (the artifact and drafts destroyed: expiry, erasure, or the request ended)

While ready, each clip played in the citizen's page is ``Watched`` (not a download).

Any step may record ``Failed`` (clip, stage, message): the redaction is then ``failed`` until a
privacy officer asks again (``Requeued``). Drafts and the artifact live encrypted in the vault,
each under its own data key; the events name them and their SHA-256, never their contents.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from broker.domain.errors import DomainConflict, DomainInvalid
from broker.domain.topics import topic

REDACTION_NAMESPACE = uuid5(NAMESPACE_URL, "https://footage-broker.invalid/redaction")
QUEUED, AWAITING_REVIEW, APPROVED, READY, FAILED, PURGED = (
    "queued", "awaiting_review", "approved", "ready", "failed", "purged")
STAGES = frozenset({"scope", "models", "read", "decode", "detect", "store", "render", "encode",
                    "grant"})
MAX_MANUAL_BOXES = 500
MAX_WATCHES = 200


def redaction_id_for(request_id: UUID | str) -> UUID:
    return uuid5(REDACTION_NAMESPACE, str(request_id))


class Redaction(Aggregate):
    TOPIC = topic("Redaction")

    class Event(Aggregate.Event):
        TOPIC = topic("Redaction.Event")

    @staticmethod
    def create_id(request_id: str, **_: Any) -> UUID:
        return redaction_id_for(request_id)

    @event("Requested", topic=topic("Redaction.Requested"))
    def __init__(self, request_id: str, grant_id: str, clip_ids: list[str], own_image: bool,
                 by: str, at: datetime) -> None:
        """``own_image``: the requester asks for their own image, so their face may be kept."""
        self.request_id = request_id
        self.grant_id = grant_id
        self.clip_ids = list(clip_ids)
        self.own_image = own_image
        self.status = QUEUED
        self.drafts: dict[str, dict[str, Any]] = {}
        self.attempts: dict[str, int] = {}
        self.failure: dict[str, Any] | None = None
        self.keep: dict[str, list[str]] = {}
        self.manual: dict[str, list[dict[str, Any]]] = {}
        self.manual_count = 0
        self.approval: dict[str, Any] | None = None
        self.artifact: dict[str, Any] | None = None
        self.downloads = 0
        self.watches = 0

    # the job ----------------------------------------------------------------------------------

    def start_clip(self, clip_id: str, resumed_from: int, detector: str, at: datetime) -> None:
        self._require(QUEUED, "start")
        self._require_clip(clip_id)
        self._job_started(clip_id=clip_id, attempt=self.attempts.get(clip_id, 0) + 1,
                          resumed_from=resumed_from, detector=detector, at=at)

    @event("JobStarted", topic=topic("Redaction.JobStarted"))
    def _job_started(self, clip_id: str, attempt: int, resumed_from: int, detector: str,
                     at: datetime) -> None:
        self.attempts[clip_id] = attempt

    def draft_ready(self, clip_id: str, key_id: str, blob_id: str, sha256: str, size: int,
                    frames: int, tracks: dict[str, int], zone_drops: int, at: datetime) -> None:
        self._require(QUEUED, "record a draft for")
        self._require_clip(clip_id)
        if clip_id in self.drafts:
            raise DomainConflict(f"clip {clip_id} already has a draft")
        self._draft_ready(clip_id=clip_id, key_id=key_id, blob_id=blob_id, sha256=sha256,
                          size=size, frames=frames, tracks=tracks, zone_drops=zone_drops, at=at)

    @event("DraftReady", topic=topic("Redaction.DraftReady"))
    def _draft_ready(self, clip_id: str, key_id: str, blob_id: str, sha256: str, size: int,
                     frames: int, tracks: dict[str, int], zone_drops: int, at: datetime) -> None:
        self.drafts[clip_id] = {"key_id": key_id, "blob_id": blob_id, "sha256": sha256,
                                "size": size, "frames": frames, "tracks": tracks}
        if all(clip in self.drafts for clip in self.clip_ids):
            self.status = AWAITING_REVIEW

    def fail(self, clip_id: str | None, stage: str, message: str, at: datetime) -> None:
        if self.status not in (QUEUED, APPROVED):
            raise DomainConflict(f"redaction {self.id} is {self.status}: nothing is running to fail")
        if stage not in STAGES:
            raise DomainInvalid(f"unknown stage {stage!r}")
        self._failed(clip_id=clip_id, stage=stage, message=message[:2000], at=at)

    @event("Failed", topic=topic("Redaction.Failed"))
    def _failed(self, clip_id: str | None, stage: str, message: str, at: datetime) -> None:
        self.failure = {"clip_id": clip_id, "stage": stage, "message": message,
                        "during": self.status, "at": at.isoformat()}
        self.status = FAILED

    def requeue(self, by: str, at: datetime) -> None:
        """Ask again after a failure: detection resumes (drafts made are kept), or the render."""
        self._require(FAILED, "retry")
        self._requeued(by=by, at=at)

    @event("Requeued", topic=topic("Redaction.Requeued"))
    def _requeued(self, by: str, at: datetime) -> None:
        during = self.failure["during"] if self.failure else QUEUED
        self.failure = None
        self.status = APPROVED if during == APPROVED else QUEUED

    # review -----------------------------------------------------------------------------------

    def correct(self, by: str, clip_id: str, keep: list[str], unkeep: list[str],
                add: list[dict[str, Any]], remove: list[str], note: str, at: datetime) -> None:
        self._require(AWAITING_REVIEW, "correct")
        self._require_clip(clip_id)
        if (keep or unkeep) and not self.own_image:
            raise DomainConflict("only an own-image request may keep a detection visible")
        frames = int(self.drafts[clip_id]["frames"])
        existing = {box["id"] for box in self.manual.get(clip_id, [])}
        unknown = [box_id for box_id in remove if box_id not in existing]
        if unknown:
            raise DomainInvalid(f"no manual box {', '.join(unknown)} on clip {clip_id}")
        if self.manual_count + len(add) > MAX_MANUAL_BOXES:
            raise DomainInvalid(f"at most {MAX_MANUAL_BOXES} manual boxes")
        boxes = []
        for n, box in enumerate(add, start=self.manual_count + 1):
            if not 0 <= box["from_frame"] <= box["to_frame"] < frames:
                raise DomainInvalid(f"a manual box's frames must lie in 0..{frames - 1}")
            if box["w"] <= 0 or box["h"] <= 0:
                raise DomainInvalid("a manual box needs a width and a height")
            boxes.append({**box, "id": f"manual-{n}"})
        if not (keep or unkeep or boxes or remove):
            raise DomainInvalid("a correction must change something")
        self._corrected(by=by, clip_id=clip_id, keep=keep, unkeep=unkeep, add=boxes,
                        remove=remove, note=note, at=at)

    @event("Corrected", topic=topic("Redaction.Corrected"))
    def _corrected(self, by: str, clip_id: str, keep: list[str], unkeep: list[str],
                   add: list[dict[str, Any]], remove: list[str], note: str, at: datetime) -> None:
        kept = [track for track in self.keep.get(clip_id, []) if track not in unkeep]
        kept += [track for track in keep if track not in kept]
        self.keep[clip_id] = kept
        boxes = [box for box in self.manual.get(clip_id, []) if box["id"] not in remove]
        self.manual[clip_id] = boxes + add
        self.manual_count += len(add)

    def approve(self, by: str, note: str, at: datetime) -> None:
        self._require(AWAITING_REVIEW, "approve")
        changes = {
            "kept_tracks": {clip: tracks for clip, tracks in self.keep.items() if tracks},
            "manual_boxes": {clip: len(boxes) for clip, boxes in self.manual.items() if boxes},
            "detected_tracks": {clip: draft["tracks"] for clip, draft in self.drafts.items()},
        }
        self._approved(by=by, note=note, changes=changes,
                       drafts={clip: draft["sha256"] for clip, draft in self.drafts.items()}, at=at)

    @event("Approved", topic=topic("Redaction.Approved"))
    def _approved(self, by: str, note: str, changes: dict[str, Any], drafts: dict[str, str],
                  at: datetime) -> None:
        self.approval = {"by": by, "at": at.isoformat(), "note": note, "changes": changes}
        self.status = APPROVED

    # the artifact -----------------------------------------------------------------------------

    def rendered(self, delivery_id: str, key_id: str, blob_id: str, sha256: str, size: int,
                 manifest_sha256: str, expires_at: str, max_downloads: int,
                 clips: list[dict[str, Any]], at: datetime) -> None:
        self._require(APPROVED, "render")
        self._rendered(delivery_id=delivery_id, key_id=key_id, blob_id=blob_id, sha256=sha256,
                       size=size, manifest_sha256=manifest_sha256, expires_at=expires_at,
                       max_downloads=max_downloads, clips=clips, at=at)

    @event("Rendered", topic=topic("Redaction.Rendered"))
    def _rendered(self, delivery_id: str, key_id: str, blob_id: str, sha256: str, size: int,
                  manifest_sha256: str, expires_at: str, max_downloads: int,
                  clips: list[dict[str, Any]], at: datetime) -> None:
        self.artifact = {"delivery_id": delivery_id, "key_id": key_id, "blob_id": blob_id,
                         "sha256": sha256, "size": size, "manifest_sha256": manifest_sha256,
                         "expires_at": expires_at, "max_downloads": max_downloads,
                         "films": sorted(str(clip["clip_id"]) for clip in clips)}
        self.status = READY

    @property
    def provided(self) -> bool:
        """Whether the data subject has received the copy yet, by download or in the page."""
        return self.downloads + self.watches > 0

    def require_watchable(self, now: datetime) -> dict[str, Any]:
        if self.status != READY or self.artifact is None:
            raise DomainConflict(f"the masked copy is not ready (redaction is {self.status})")
        if now >= datetime.fromisoformat(self.artifact["expires_at"]):
            raise DomainConflict(f"the masked copy expired at {self.artifact['expires_at']}")
        return self.artifact

    def require_downloadable(self, now: datetime) -> dict[str, Any]:
        self.require_watchable(now)
        assert self.artifact is not None
        if self.downloads >= self.artifact["max_downloads"]:
            raise DomainConflict(f"the masked copy was downloaded {self.downloads} times, the limit")
        return self.artifact

    def download(self, client_id: str, at: datetime) -> int:
        artifact = self.require_downloadable(at)
        self._downloaded(n=self.downloads + 1, delivery_id=artifact["delivery_id"],
                         grant_id=self.grant_id, client_id=client_id, at=at)
        return self.downloads

    @event("Downloaded", topic=topic("Redaction.Downloaded"))
    def _downloaded(self, n: int, delivery_id: str, grant_id: str, client_id: str, at: datetime) -> None:
        self.downloads = n

    def watch(self, clip_number: int, client_id: str, at: datetime) -> str:
        """Clip ``clip_number`` (1-based, in the package's order) played in the citizen's page;
        its id. Recorded like a download but not counted against ``max_downloads``: a player
        fetches the film again to replay or seek, and the limit is on copies handed out. Watching
        has its own, wider bound (``MAX_WATCHES``), so a leaked token cannot stream forever."""
        artifact = self.require_watchable(at)
        films = artifact["films"]
        if not 1 <= clip_number <= len(films):
            raise DomainInvalid(f"the masked copy has no clip {clip_number}")
        if self.watches >= MAX_WATCHES:
            raise DomainConflict(f"the masked copy was played {self.watches} times, the limit")
        self._watched(n=self.watches + 1, clip_id=films[clip_number - 1],
                      delivery_id=artifact["delivery_id"], grant_id=self.grant_id,
                      client_id=client_id, at=at)
        return films[clip_number - 1]

    @event("Watched", topic=topic("Redaction.Watched"))
    def _watched(self, n: int, clip_id: str, delivery_id: str, grant_id: str, client_id: str,
                 at: datetime) -> None:
        self.watches = n

    def vault_locations(self) -> list[tuple[str, str]]:
        """Every (key, blob) this redaction holds in the vault: drafts and the artifact."""
        found = [(d["key_id"], d["blob_id"]) for d in self.drafts.values()]
        if self.artifact is not None:
            found.append((self.artifact["key_id"], self.artifact["blob_id"]))
        return found

    def purge(self, reason: str, at: datetime) -> None:
        if self.status == PURGED:
            raise DomainConflict(f"redaction {self.id} is already purged")
        self._purged(reason=reason, key_ids=[key for key, _ in self.vault_locations()], at=at)

    @event("Purged", topic=topic("Redaction.Purged"))
    def _purged(self, reason: str, key_ids: list[str], at: datetime) -> None:
        self.status = PURGED

    def _require(self, status: str, verb: str) -> None:
        if self.status != status:
            raise DomainConflict(f"cannot {verb} redaction {self.id}: it is {self.status}")

    def _require_clip(self, clip_id: str) -> None:
        if clip_id not in self.clip_ids:
            raise DomainInvalid(f"clip {clip_id} is not part of this redaction")
