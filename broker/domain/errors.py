"""Domain rule violations, mapped by the API onto problem details."""

from __future__ import annotations

from broker.errors import Conflict, InvalidInput


class DomainConflict(Conflict):
    """The aggregate's state does not allow this transition."""


class DomainInvalid(InvalidInput):
    """The values break a rule of the domain."""
