"""Why masking refuses: a delivery that cannot be masked must be refused, never sent unmasked."""

from __future__ import annotations

from broker.errors import Conflict


class MaskingError(Conflict):
    """Footage could not be read, analysed or masked, so it must not be delivered (409: the
    footage in scope is in no state to be released)."""

    title = "Masking failed"
