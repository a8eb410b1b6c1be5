"""Who acts, and the one place where a use case decides whether they may.

Every use case that a client can reach is declared with ``@allowed(...roles)``: the roles are
checked there and nowhere else, and the API documents each operation from the same
declaration. Finer rules (a client sees only its own requests) live in the use case itself.
"""

from __future__ import annotations

import functools
import getpass
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from broker.domain.roles import Role
from broker.errors import Forbidden

SHELL_ROLE = "cli"
"""How the local shell is named in the audit trail (it holds the keys and the files)."""


@dataclass(frozen=True, slots=True)
class Actor:
    """The authenticated caller: an API client, or the operator at the broker's own shell."""

    client_id: str
    name: str
    role: Role | None
    agency: str

    @classmethod
    def shell(cls) -> Actor:
        """The person running ``broker`` on the host: whoever has the files has every power,
        so the shell is not limited by role, but everything it does is recorded under its name."""
        user = getpass.getuser()
        return cls(client_id=f"cli:{user}", name=user, role=None, agency="local shell")

    @property
    def is_shell(self) -> bool:
        return self.role is None

    @property
    def role_name(self) -> str:
        return SHELL_ROLE if self.role is None else self.role.value

    def may(self, roles: frozenset[Role]) -> bool:
        return self.role is None or self.role in roles


F = TypeVar("F", bound=Callable[..., Any])


def allowed(*roles: Role) -> Callable[[F], F]:
    """Decorate a use case ``(self, actor, ...)``: refuse with 403 unless the actor has a role.

    The roles are kept on the function (``.roles``) so that entrypoints can document them.
    """
    permitted = frozenset(roles)
    names = ", ".join(sorted(role.value for role in permitted))

    def decorate(use_case: F) -> F:
        @functools.wraps(use_case)
        def guarded(self: Any, actor: Actor, *args: Any, **kwargs: Any) -> Any:
            if not actor.may(permitted):
                raise Forbidden(f"role {actor.role_name!r} may not do this; allowed: {names}")
            return use_case(self, actor, *args, **kwargs)

        guarded.roles = permitted  # type: ignore[attr-defined]
        return cast(F, guarded)

    return decorate


def roles_of(use_case: Callable[..., Any]) -> frozenset[Role] | None:
    """The roles a use case admits, or None if it is open to anyone."""
    return getattr(use_case, "roles", None)


ANY_CLIENT = tuple(Role)
