"""mask_regions obscures what it is given, only that, and never edits its input."""

from __future__ import annotations

import numpy as np
import pytest

from broker.adapters.masking import MaskingError, Region, mask_regions
from tests.masking.scene import astronaut_frames, background, mad, sharpness


def test_no_regions_leaves_the_frame_identical_and_returns_a_copy() -> None:
    frame = background()
    out = mask_regions(frame, [])
    assert out is not frame
    assert np.array_equal(out, frame)


def test_face_is_obscured_and_the_rest_is_untouched() -> None:
    frame, box = astronaut_frames(1)[0]
    before = frame.copy()
    out = mask_regions(frame, [Region(box.x, box.y, box.w, box.h, "face")], padding=0.15)
    assert np.array_equal(frame, before)  # input not modified
    assert mad(box.of(out), box.of(frame)) > 15
    assert sharpness(box.of(out)) < 0.1 * sharpness(box.of(frame))
    pad = round(0.15 * box.w)
    outside = np.ones(frame.shape[:2], bool)
    outside[box.y - pad : box.y + box.h + pad, box.x - pad : box.x + box.w + pad] = False
    assert np.array_equal(out[outside], frame[outside])
    inside_pad = (slice(box.y - pad, box.y), slice(box.x, box.x + box.w))
    assert not np.array_equal(out[inside_pad], frame[inside_pad])  # the padding is masked too


def test_regions_reaching_past_the_edge_are_clipped() -> None:
    frame = astronaut_frames(1)[0][0]
    out = mask_regions(frame, [Region(-30, -30, 100, 80, "plate"), Region(600, 440, 100, 100, "face")])
    assert out.shape == frame.shape
    assert not np.array_equal(out[:50, :70], frame[:50, :70])
    assert np.array_equal(out[100:400, 100:500], frame[100:400, 100:500])


def test_negative_padding_is_refused() -> None:
    with pytest.raises(MaskingError):
        mask_regions(background(), [], padding=-0.1)
