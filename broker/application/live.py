"""Live-view tokens: issued per camera to a live grant's holder, checked by stream gateways."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from broker.adapters.vault.kek import export_public_key
from broker.common.times import rfc3339
from broker.domain import live_tokens
from broker.readmodel.request_view import Row

if TYPE_CHECKING:
    from broker.application.context import Context

LIVE_TOKEN_LIFETIME = timedelta(minutes=15)


def live_tokens_for(ctx: Context, row: Row) -> list[dict[str, Any]]:
    """One token per camera in scope; each lives 15 minutes at most, never past the grant."""
    grant = json.loads(row["grant"])
    now = ctx.clock.now()
    expires = min(now + LIVE_TOKEN_LIFETIME, datetime.fromisoformat(grant["expires_at"]))
    key_id = export_public_key(ctx.signing_key).key_id
    return [{"camera_id": camera_id, "expires_at": rfc3339(expires),
             "token": live_tokens.issue(live_tokens.LiveClaims(
                 grant_id=grant["id"], camera_id=camera_id, issued_at=now, expires_at=expires,
                 key_id=key_id), ctx.signing_key)}
            for camera_id in grant["camera_ids"]]
