"""obscure() changes what it is given and only that, never its input, and leaves no detail."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from skimage import data

from broker.adapters.redaction.masks import DEFAULT_PADDING, Region, obscure


def _outside(shape: tuple[int, ...], box: tuple[int, int, int, int] | None) -> np.ndarray:
    mask = np.ones(shape[:2], bool)
    if box is not None:
        x0, y0, x1, y1 = box
        mask[y0:y1, x0:x1] = False
    return mask


@settings(max_examples=60, deadline=None)
@given(x=st.integers(-80, 300), y=st.integers(-80, 220), w=st.integers(1, 160), h=st.integers(1, 160),
       padding=st.floats(0, 0.5), cells=st.integers(1, 12), seed=st.integers(0, 2**16))
def test_only_the_padded_region_changes_and_the_input_is_kept(x, y, w, h, padding, cells, seed):
    frame = np.random.default_rng(seed).integers(0, 256, (180, 240, 3), dtype=np.uint8)
    before = frame.copy()
    region = Region(x, y, w, h, "face")
    out = obscure(frame, [region], padding=padding, cells=cells)
    assert out is not frame and out.shape == frame.shape and out.dtype == frame.dtype
    assert np.array_equal(frame, before)
    outside = _outside(frame.shape, region.padded(padding, 240, 180))
    assert np.array_equal(out[outside], frame[outside])


def test_a_face_keeps_no_detail_and_its_padding_is_masked_too():
    frame = np.ascontiguousarray(data.astronaut()[..., ::-1])  # BGR
    x, y, w, h = 160, 60, 110, 130  # the astronaut's face
    out = obscure(frame, [Region(x, y, w, h, "face")])
    face, masked = frame[y:y + h, x:x + w].astype(float), out[y:y + h, x:x + w].astype(float)
    assert np.abs(masked - face).mean() > 10
    laplacian = lambda a: np.abs(np.diff(a.mean(axis=2), 2, axis=0)).mean()  # noqa: E731
    assert laplacian(masked) < 0.1 * laplacian(face)
    pad = round(DEFAULT_PADDING * h)
    assert not np.array_equal(out[y - pad:y, x:x + w], frame[y - pad:y, x:x + w])


def test_no_regions_is_an_identical_copy_and_bad_settings_are_refused():
    frame = np.zeros((10, 10, 3), np.uint8)
    out = obscure(frame, [])
    assert out is not frame and np.array_equal(out, frame)
    with pytest.raises(ValueError):
        obscure(frame, [], padding=-0.1)
