"""The broker's exception tree; the API maps each class to exactly one HTTP status.

    BrokerError                      500  something we did not expect
    ├── InvalidInput                 422  well-formed but semantically wrong input
    ├── NotFound                     404  unknown id, or an id the caller may not know about
    ├── Conflict                     409  state does not allow the operation
    ├── Gone                         410  existed, deleted for good (purged clip)
    ├── PayloadTooLarge              413
    ├── Unauthenticated              401  missing, malformed, unknown or revoked key
    ├── Forbidden                    403  authenticated, but the role or grant does not allow it
    ├── NotReady                     503  a store the broker needs is unreachable
    └── ConfigurationError           (startup only) invalid settings, reported in one line
"""

from __future__ import annotations


class BrokerError(Exception):
    """Base of every error the broker raises on purpose; ``headers`` go out with its problem."""

    status = 500
    title = "Internal error"
    headers: dict[str, str] = {}  # noqa: RUF012 - read-only default, replaced per instance
    errors: list[dict[str, object]] | None = None
    """For 422: each offending field, ``{"loc": [...], "msg": ...}``, as validation errors are."""

    def __init__(self, detail: str = "", headers: dict[str, str] | None = None,
                 errors: list[dict[str, object]] | None = None) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        if headers:
            self.headers = headers
        if errors is not None:
            self.errors = errors


class InvalidInput(BrokerError):
    status = 422
    title = "Invalid input"


class NotFound(BrokerError):
    status = 404
    title = "Not found"


class Conflict(BrokerError):
    status = 409
    title = "Conflict"


class Gone(BrokerError):
    status = 410
    title = "Gone"


class PayloadTooLarge(BrokerError):
    status = 413
    title = "Payload too large"


class Unauthenticated(BrokerError):
    status = 401
    title = "Unauthenticated"
    headers = {"WWW-Authenticate": 'Bearer realm="footage-broker"'}  # noqa: RUF012


class Forbidden(BrokerError):
    status = 403
    title = "Forbidden"


class NotReady(BrokerError):
    status = 503
    title = "Service unavailable"


class ConfigurationError(BrokerError):
    title = "Invalid configuration"
