"""Words the pages translate from data (roles, statuses, units, error titles): marked here so
that message extraction finds them (``N_`` marks, ``i18n.gettext`` translates at render)."""

from __future__ import annotations


def N_(message: str) -> str:
    return message


WORDS = (
    N_("privacy_officer"), N_("auditor"), N_("operator"), N_("police"), N_("fire"),
    N_("disaster"), N_("citizen_portal"),
    N_("submitted"), N_("pending_review"), N_("granted"), N_("denied"), N_("closed"),
    N_("revoked"), N_("expired"), N_("withdrawn"), N_("superseded"), N_("undecided"),
    N_("active"), N_("decommissioned"), N_("available"), N_("purged"), N_("ended"),
    N_("queued"), N_("awaiting_review"), N_("approved"), N_("ready"), N_("failed"),
    N_("running"), N_("drafted"), N_("face"), N_("plate"), N_("person"),
    N_("minutes"), N_("hours"), N_("days"),
    N_("Invalid input"), N_("Not found"), N_("Forbidden"), N_("Conflict"), N_("Gone"),
    N_("Unauthenticated"), N_("Sign-in required"), N_("Sign-in refused"), N_("Internal error"),
    N_("Payload too large"), N_("Service unavailable"), N_("Error"), N_("Too many requests"),
    N_("Requests by month"), N_("Requests by legal basis"), N_("Requests by agency kind"),
    N_("Requests by outcome"),
)
