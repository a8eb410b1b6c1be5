"""Vocabulary shared by packs, requests and decisions, so that each name is spelt once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict

from broker.domain.roles import Role

ROLES: tuple[Role, ...] = tuple(Role)

Mode = Literal["recorded", "live"]
MODES: tuple[Mode, ...] = get_args(Mode)


def to_utc(value: datetime) -> datetime:
    """Normalise an aware datetime to UTC so that equal instants compare and digest alike."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("a timezone-aware datetime is required")
    return value.astimezone(UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(to_utc)]
"""An aware datetime, stored in UTC; naive input is rejected, never guessed."""


class FrozenModel(BaseModel):
    """Immutable, closed model: values that go into events and digests must not drift."""

    model_config = ConfigDict(frozen=True, extra="forbid")
