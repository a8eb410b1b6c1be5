"""Why masking refuses: a delivery that cannot be masked must be refused, never sent unmasked."""

from __future__ import annotations

from broker.errors import BrokerError


class MaskingError(BrokerError):
    """Footage could not be read, analysed or masked, so it must not be delivered."""

    title = "Masking failed"
