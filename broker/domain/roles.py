"""Who a client is to the broker; every permission check is phrased in these roles."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    POLICE = "police"
    FIRE = "fire"
    DISASTER = "disaster"
    OPERATOR = "operator"
    PRIVACY_OFFICER = "privacy_officer"
    AUDITOR = "auditor"
    CITIZEN_PORTAL = "citizen_portal"


REQUESTER_ROLES = frozenset({Role.POLICE, Role.FIRE, Role.DISASTER})
OVERSIGHT_ROLES = frozenset({Role.PRIVACY_OFFICER, Role.AUDITOR})
