"""Vault exceptions; messages name ids and paths, never key material.

    VaultError
    ├── IntegrityError      a stream or wrapped key failed authentication
    ├── KeyShreddedError    the data key is gone: the clip is unreadable forever
    ├── KeyExistsError      a data key with this id already exists
    ├── KeyFileError        the key-encryption-key file is missing, insecure or malformed
    └── BlobNotFoundError   no blob with this id

Each also sits in the broker's tree (``broker/errors.py``) so the API answers it with one
status: shredded -> 410 Gone, key file -> configuration error, the rest -> 500.
"""

from __future__ import annotations

from broker.errors import BrokerError, ConfigurationError, Gone


class VaultError(BrokerError):
    """Base of every vault failure, so callers can map the family to one answer."""


class IntegrityError(VaultError):
    """Authentication failed: truncated, extended, reordered or altered bytes, or a wrong key."""


class KeyShreddedError(VaultError, Gone):
    """The data key was shredded (or never existed); what it protected cannot be read."""


class KeyExistsError(VaultError):
    """A data key id is used once: creating it again would orphan what the first key sealed."""


class KeyFileError(VaultError, ConfigurationError):
    """The key-encryption-key file cannot be trusted or used as it is."""


class BlobNotFoundError(VaultError):
    """No blob stored under this id."""
