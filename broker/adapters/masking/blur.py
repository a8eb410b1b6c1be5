"""Make detected regions unrecognisable: coarse pixelation, then a Gaussian blur sized to the region.

Pixelation to a few cells throws the detail away for good (a mild Gaussian blur alone can be partly
undone by deconvolution); the Gaussian blur afterwards hides the block edges so the result reads as
"blurred" rather than as a mosaic a viewer might try to interpret.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

import cv2

from broker.adapters.masking.detect import Frame, Region
from broker.adapters.masking.errors import MaskingError

if TYPE_CHECKING:
    from cv2.typing import MatLike

DEFAULT_PADDING = 0.15
DEFAULT_CELLS = 6


def mask_regions(
    frame: Frame, regions: Iterable[Region], padding: float = DEFAULT_PADDING, *, cells: int = DEFAULT_CELLS
) -> Frame:
    """A copy of `frame` with every region (grown by `padding`, clipped to the frame) obscured.

    The input frame is never modified. `cells` is how many blocks span the longer side of a region:
    6 leaves a face about 5 blocks wide, far below what identification needs.
    """
    if padding < 0:
        raise MaskingError(f"padding must be >= 0, got {padding}")
    if cells < 1:
        raise MaskingError(f"cells must be >= 1, got {cells}")
    out = frame.copy()
    height, width = frame.shape[:2]
    for region in regions:
        box = region.padded(padding, width, height)
        if box is None:
            continue
        x0, y0, x1, y1 = box
        out[y0:y1, x0:x1] = _obscure(out[y0:y1, x0:x1], cells)
    return out


def _obscure(roi: MatLike, cells: int) -> MatLike:
    """Pixelate `roi` to about `cells` blocks along its longer side, then blur over one block."""
    h, w = roi.shape[:2]
    block = max(1, math.ceil(max(h, w) / cells))
    grid = (max(1, round(w / block)), max(1, round(h / block)))
    small = cv2.resize(roi, grid, interpolation=cv2.INTER_AREA)
    blocky = cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)
    kernel = block | 1  # odd, as GaussianBlur requires
    return cv2.GaussianBlur(blocky, (kernel, kernel), 0)
