"""The frame reader: every frame, in order, as OpenCV BGR, with its index and time; or VideoError."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

from broker.adapters.video import (
    PIXEL_FORMAT,
    Limits,
    NotVideo,
    VideoError,
    VideoLimitExceeded,
    VideoReader,
    probe,
    read_frames,
)
from tests.video import samples


def test_every_frame_comes_back_in_order(sample: samples.Sample) -> None:
    frames = list(read_frames(sample.path))
    assert len(frames) == sample.frames == probe(sample.path).frames
    for expected, decoded in enumerate(frames):
        assert decoded.index == expected
        assert decoded.image.shape == (sample.height, sample.width, 3)
        assert decoded.image.dtype == np.uint8
        assert decoded.image.flags.c_contiguous
        assert samples.find_square(decoded.image) == samples.square_x(expected, sample.width)
        assert decoded.time == pytest.approx(expected / sample.fps, abs=2e-3)


def test_pixels_are_bgr_like_opencv(tmp_path: Path) -> None:
    assert PIXEL_FORMAT == "bgr24"
    red = np.zeros((64, 64, 3), np.uint8)
    red[..., 2] = 220  # BGR: red is the last channel
    path = tmp_path / "red.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 5.0, (64, 64))
    for _ in range(3):
        writer.write(red)
    writer.release()
    for decoded in read_frames(path):
        b, g, r = decoded.image[32, 32].tolist()
        assert r > 200 and b < 30 and g < 30


def test_matches_what_opencv_decodes(all_samples: dict[str, samples.Sample]) -> None:
    # Today's masking reads with cv2.VideoCapture; the PyAV reader must see the same pictures.
    path = all_samples["mjpeg-avi"].path
    capture = cv2.VideoCapture(str(path))
    try:
        for decoded in read_frames(path):
            ok, reference = capture.read()
            assert ok
            diff = np.abs(decoded.image.astype(np.int16) - reference.astype(np.int16)).mean()
            assert diff < 1.5, f"frame {decoded.index}: {diff}"
        assert not capture.read()[0]
    finally:
        capture.release()


def test_timestamps_in_the_stream_time_base(all_samples: dict[str, samples.Sample]) -> None:
    sample = all_samples["hevc-mp4"]
    with VideoReader(sample.path) as reader:
        assert reader.codec == "hevc"
        time_base = reader.time_base
        assert time_base is not None
        for decoded in reader.frames():
            assert decoded.pts is not None
            assert decoded.time == pytest.approx(float(decoded.pts * time_base))
            assert Fraction(decoded.pts) * time_base == pytest.approx(decoded.index / sample.fps, abs=1e-3)


def test_decoding_is_threaded_unless_asked_not_to(all_samples: dict[str, samples.Sample]) -> None:
    path = all_samples["h264-mp4"].path
    with VideoReader(path) as threaded, VideoReader(path, threads=False) as single:
        assert (threaded.thread_type, single.thread_type) == ("AUTO", "NONE")
        a = [f.image for f in threaded.frames()]
        b = [f.image for f in single.frames()]
    assert len(a) == len(b) == 45
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_frames_can_be_read_once(all_samples: dict[str, samples.Sample]) -> None:
    with VideoReader(all_samples["h264-mp4"].path) as reader:
        assert sum(1 for _ in reader.frames()) == 45
        with pytest.raises(RuntimeError):
            next(reader.frames())


def test_stopping_early_closes_cleanly(all_samples: dict[str, samples.Sample]) -> None:
    frames = read_frames(all_samples["hevc-mp4"].path)
    first = next(frames)
    assert first.index == 0
    frames.close()  # what a `break` out of a for loop does


def test_frame_limit(all_samples: dict[str, samples.Sample]) -> None:
    with pytest.raises(VideoLimitExceeded, match="over 10 frames"):
        list(read_frames(all_samples["h264-mp4"].path, limits=Limits(max_frames=10)))


def test_non_video_is_refused_on_open(tmp_path: Path) -> None:
    path = tmp_path / "junk.mp4"
    path.write_bytes(b"\x00junk" * 1000)
    with pytest.raises(NotVideo):
        VideoReader(path)


def test_a_size_change_mid_stream_is_refused(tmp_path: Path) -> None:
    # MPEG-TS files concatenate: the second half of this stream is a different size.
    small, large = tmp_path / "a.ts", tmp_path / "b.ts"
    samples.encode_pyav(small, "libx264", frames=6, width=160, height=120, fps=Fraction(10))
    samples.encode_pyav(large, "libx264", frames=6, width=320, height=240, fps=Fraction(10))
    joined = tmp_path / "joined.ts"
    joined.write_bytes(small.read_bytes() + large.read_bytes())
    seen = []
    with pytest.raises(VideoError, match="expected 160x120"):
        for decoded in read_frames(joined):
            seen.append(decoded.index)
    assert seen == list(range(6))


def test_noise_in_the_middle_raises_or_decodes(
    tmp_path: Path, all_samples: dict[str, samples.Sample]
) -> None:
    # Corrupt bytes in the media data: FFmpeg may conceal them or fail; the reader never fails any
    # other way than VideoError, and never yields a frame of the wrong size.
    data = bytearray(all_samples["h264-mp4"].path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 400] = np.random.default_rng(9).bytes(400)
    path = tmp_path / "noisy.mp4"
    path.write_bytes(bytes(data))
    try:
        for decoded in read_frames(path):
            assert decoded.image.shape == (240, 320, 3)
    except VideoError:
        pass


def test_decoder_refuses_frames_over_the_pixel_limit_even_if_the_header_hides_them(
    all_samples: dict[str, samples.Sample], monkeypatch: pytest.MonkeyPatch
) -> None:
    # With our own size checks switched off, FFmpeg's max_pixels (set from Limits) still stops a
    # stream whose frames are bigger than the limit, whatever its header said.
    from broker.adapters.video import container, reader

    def no_check(*args: object, **kwargs: object) -> None:
        return None

    monkeypatch.setattr(container, "check_size", no_check)
    monkeypatch.setattr(reader, "check_size", no_check)
    path = all_samples["h264-mp4"].path
    with pytest.raises(VideoError, match="does not decode"):
        list(read_frames(path, limits=Limits(max_pixels=320 * 240 - 1)))
    assert len(list(read_frames(path, limits=Limits(max_pixels=320 * 240)))) == 45
