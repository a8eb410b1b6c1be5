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
    # The appeal routes the portal states (broker.application.citizens.APPEAL, word for word:
    # tests/web/test_catalogs.py holds the two together).
    N_("You may challenge this decision within 90 days of learning of it by an administrative "
       "appeal (행정심판법 Art. 27) or ask the Personal Information Dispute Mediation "
       "Committee (개인정보 분쟁조정위원회, PIPA Art. 43) to mediate."),
    N_("You may lodge a complaint with a supervisory authority (GDPR Art. 77) and seek a "
       "judicial remedy (GDPR Art. 79)."),
)
