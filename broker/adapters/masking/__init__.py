"""Third-party masking: blur other people's faces and licence plates before a citizen gets footage.

Korea PIPA and the GDPR let a citizen see footage of their own accident, not everyone else in it.
Every failure raises `MaskingError` so the caller refuses the delivery instead of sending it unmasked.
"""

from __future__ import annotations

from broker.adapters.masking.blur import mask_regions
from broker.adapters.masking.detect import (
    DEFAULT_CASCADES,
    CascadeSpec,
    Detector,
    Region,
    RegionDetector,
    bundled_cascade_dir,
)
from broker.adapters.masking.errors import MaskingError
from broker.adapters.masking.video import CODECS, MaskingReport, manifest_entry, mask_video

__all__ = [
    "CODECS",
    "DEFAULT_CASCADES",
    "CascadeSpec",
    "Detector",
    "MaskingError",
    "MaskingReport",
    "Region",
    "RegionDetector",
    "bundled_cascade_dir",
    "manifest_entry",
    "mask_regions",
    "mask_video",
]
