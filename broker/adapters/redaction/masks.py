"""Making a region unrecognisable: what the render pass applies to every masked box.

Each region is grown by ``padding`` of its size on every side (detectors box the inner face;
hair, ears and a plate's frame identify too), clipped to the frame, reduced to about ``cells``
blocks along its longer side and scaled back up bilinearly. Only the coarse grid survives, so it
is as irreversible as pixelation (a mild blur alone can be partly undone by deconvolution), with
no block edges to read, and cheap: a Gaussian blur sized to the region cost 40 % of the render
pass's time on busy frames.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import cv2
import numpy.typing as npt

DEFAULT_PADDING = 0.15
DEFAULT_CELLS = 6
METHOD = "pixelate+bilinear"
"""How the manifest of a delivery names the masking (about DEFAULT_CELLS blocks, scaled back
bilinearly)."""

# A uint8 BGR image: cv2's stubs type every image as a generic numeric array.
Image = npt.NDArray[Any]


@dataclass(frozen=True, slots=True)
class Region:
    """A box to mask, in pixels of the frame."""

    x: int
    y: int
    w: int
    h: int
    kind: Literal["face", "plate"]

    def padded(self, padding: float, width: int, height: int) -> tuple[int, int, int, int] | None:
        """(x0, y0, x1, y1) grown by ``padding`` of the size on every side, clipped to the
        frame; None if nothing of it is in the frame."""
        dx, dy = round(self.w * padding), round(self.h * padding)
        x0, y0 = max(0, self.x - dx), max(0, self.y - dy)
        x1, y1 = min(width, self.x + self.w + dx), min(height, self.y + self.h + dy)
        if x1 <= x0 or y1 <= y0:
            return None
        return x0, y0, x1, y1


def obscure(frame: Image, regions: Sequence[Region], padding: float = DEFAULT_PADDING,
            cells: int = DEFAULT_CELLS) -> Image:
    """A copy of ``frame`` with each region (grown by ``padding``) reduced to about ``cells``
    blocks along its longer side, then scaled back up bilinearly; the input is not changed."""
    if padding < 0 or cells < 1:
        raise ValueError("padding must be >= 0 and cells >= 1")
    out = frame.copy()
    height, width = frame.shape[:2]
    for region in regions:
        box = region.padded(padding, width, height)
        if box is None:
            continue
        x0, y0, x1, y1 = box
        w, h = x1 - x0, y1 - y0
        block = max(1, -(-max(h, w) // cells))
        grid = (max(1, round(w / block)), max(1, round(h / block)))
        small = cv2.resize(out[y0:y1, x0:x1], grid, interpolation=cv2.INTER_AREA)
        out[y0:y1, x0:x1] = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    return out
