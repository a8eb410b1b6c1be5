"""probe: exact figures for the codecs CCTV footage comes in, and a clear refusal for everything else."""

from __future__ import annotations

import io
import shutil
import time
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from broker.adapters.video import (
    Limits,
    NotVideo,
    TruncatedVideo,
    VideoError,
    VideoLimitExceeded,
    probe,
)
from broker.errors import InvalidInput
from tests.video import samples


def test_wheel_ships_the_codecs_the_tests_rely_on() -> None:
    # Encoders used to make the samples and by the writer; decoders CCTV files need.
    for name in ("libx264", "libx265", "mjpeg", "mpeg4"):
        assert av.codec.Codec(name, "w").is_encoder
    for name in ("h264", "hevc", "mjpeg", "mpeg4"):
        assert av.codec.Codec(name, "r").is_decoder


def test_probe_reports_exact_figures(sample: samples.Sample) -> None:
    info = probe(sample.path)
    assert info.container == sample.container
    assert info.codec == sample.codec
    assert (info.width, info.height) == (sample.width, sample.height)
    assert info.fps == sample.fps
    assert info.fps_float == float(sample.fps)
    assert info.frames == sample.frames
    assert info.duration == pytest.approx(sample.frames / sample.fps, abs=1e-3)
    assert info.pixel_format in {"yuv420p", "yuvj420p"}


def test_counts_frames_when_the_container_does_not_say(all_samples: dict[str, samples.Sample]) -> None:
    info = probe(all_samples["h264-mkv"].path)
    assert info.declared_frames == 0  # Matroska has no frame count
    assert info.frames == 20


def test_ntsc_rate_stays_an_exact_fraction(tmp_path: Path) -> None:
    sample = samples.h264_mp4(tmp_path, frames=30, fps=Fraction(30000, 1001))
    info = probe(sample.path)
    assert info.fps == Fraction(30000, 1001)
    assert info.frames == 30
    assert info.duration == pytest.approx(30 * 1001 / 30000, abs=1e-3)


def test_profiles_are_named(all_samples: dict[str, samples.Sample]) -> None:
    assert probe(all_samples["h264-mp4"].path).profile == "High"
    assert probe(all_samples["hevc-mp4"].path).profile == "Main"


def test_probe_reads_a_file_object(all_samples: dict[str, samples.Sample]) -> None:
    data = all_samples["h264-mp4"].path.read_bytes()
    info = probe(io.BytesIO(data))
    assert (info.codec, info.frames) == ("h264", 45)


def test_video_errors_are_invalid_input() -> None:
    assert issubclass(NotVideo, VideoError)
    assert issubclass(TruncatedVideo, VideoError)
    assert issubclass(VideoLimitExceeded, VideoError)
    assert issubclass(VideoError, InvalidInput)
    assert VideoError.status == 422


@pytest.mark.parametrize(
    "content",
    [b"", b"not a video at all\n" * 50, np.random.default_rng(3).bytes(200_000)],
    ids=["empty", "text", "random"],
)
def test_bytes_that_are_not_media_are_not_video(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "upload.mp4"
    path.write_bytes(content)
    with pytest.raises(NotVideo):
        probe(path)


def test_audio_only_file_is_not_video(tmp_path: Path) -> None:
    path = tmp_path / "audio.m4a"
    samples.audio_only(path)
    with pytest.raises(NotVideo, match="no video stream"):
        probe(path)


def test_a_still_image_file_opens_but_a_png_is_one_frame(tmp_path: Path) -> None:
    # FFmpeg opens images as one-frame videos; probe reports that honestly rather than refusing.
    path = tmp_path / "still.png"
    cv2.imwrite(str(path), samples.frame(0, 64, 48))
    info = probe(path)
    assert (info.frames, info.width, info.height) == (1, 64, 48)


def test_zero_frame_avi_is_not_video(tmp_path: Path) -> None:
    path = tmp_path / "none.avi"
    samples.encode_opencv(path, "MJPG", frames=0, width=64, height=64, fps=12.0)
    with pytest.raises(NotVideo, match="no frames"):
        probe(path)


def test_zero_frame_mp4_is_not_video(tmp_path: Path) -> None:
    path = tmp_path / "none.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=15)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        out.start_encoding()
    with pytest.raises(NotVideo):
        probe(path)


@pytest.mark.parametrize("name", ["h264-mp4", "mjpeg-avi", "h264-mkv", "hevc-mp4"])
@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_truncated_file_is_refused(
    tmp_path: Path, all_samples: dict[str, samples.Sample], name: str, keep: float
) -> None:
    source = all_samples[name].path
    data = source.read_bytes()
    cut = tmp_path / f"cut{source.suffix}"
    cut.write_bytes(data[: int(len(data) * keep)])
    # PyAV writes the MP4 index at the end, so a cut MP4 loses it and does not open at all; a cut
    # AVI or Matroska file opens, and its header promises more frames or time than it holds (half
    # of the small Matroska sample is its first keyframe: no whole frame is left).
    expected: type[VideoError] = TruncatedVideo
    if source.suffix == ".mp4" or (source.suffix == ".mkv" and keep == 0.5):
        expected = NotVideo
    with pytest.raises(expected):
        probe(cut)


def test_truncated_faststart_mp4_is_refused(tmp_path: Path) -> None:
    from broker.adapters.video import encode_h264

    src = tmp_path / "fast.mp4"
    encode_h264((samples.frame(i, 320, 240) for i in range(40)), src, 15)
    data = src.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: int(len(data) * 0.7)])  # the index survives, the media does not
    with pytest.raises(TruncatedVideo, match="declares 40 frames"):
        probe(cut)


def test_missing_path_is_not_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        probe(tmp_path / "missing.mp4")


def test_pixel_limit(all_samples: dict[str, samples.Sample]) -> None:
    with pytest.raises(VideoLimitExceeded, match="pixels"):
        probe(all_samples["mjpeg-avi"].path, limits=Limits(max_pixels=640 * 480 - 1))


def test_packet_limit(all_samples: dict[str, samples.Sample]) -> None:
    with pytest.raises(VideoLimitExceeded, match="packets"):
        probe(all_samples["h264-mp4"].path, limits=Limits(max_packets=10))


def test_time_limit(all_samples: dict[str, samples.Sample]) -> None:
    with pytest.raises(VideoLimitExceeded, match="took over"):
        probe(all_samples["h264-mp4"].path, limits=Limits(probe_seconds=0.0))


def test_stream_that_never_decodes_is_not_video(
    tmp_path: Path, all_samples: dict[str, samples.Sample]
) -> None:
    # Keep the AVI's headers and index, replace every JPEG's bytes with noise.
    data = bytearray(all_samples["mjpeg-avi"].path.read_bytes())
    start = data.find(b"movi") + 4
    end = data.find(b"idx1")
    rng = np.random.default_rng(5)
    for at in range(start, end):
        if data[at : at + 4] in (b"00dc", b"00db"):
            size = int.from_bytes(data[at + 4 : at + 8], "little")
            data[at + 8 : at + 8 + size] = rng.bytes(size)
    path = tmp_path / "noise.avi"
    path.write_bytes(bytes(data))
    with pytest.raises(NotVideo, match="decodes"):
        probe(path)


@pytest.fixture(scope="module")
def fuzz_seed(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    directory = tmp_path_factory.mktemp("fuzz")
    sample = samples.h264_mp4(directory, frames=8)
    return sample.path.read_bytes()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_damaged_files_give_info_or_video_error(
    tmp_path: Path, fuzz_seed: bytes, data: st.DataObject
) -> None:
    """Flipped bytes and cut-offs anywhere: probe answers quickly with info or VideoError, nothing else."""
    blob = bytearray(fuzz_seed)
    for _ in range(data.draw(st.integers(1, 20), label="flips")):
        at = data.draw(st.integers(0, len(blob) - 1))
        blob[at] = data.draw(st.integers(0, 255))
    blob = blob[: data.draw(st.integers(0, len(blob)), label="length")]
    path = tmp_path / "damaged.mp4"
    path.write_bytes(bytes(blob))
    started = time.monotonic()
    try:
        info = probe(path)
    except VideoError:
        pass
    else:
        assert info.frames >= 1 and info.width > 0 and info.height > 0
    assert time.monotonic() - started < 5


def test_copy_of_sample_probes_the_same(tmp_path: Path, all_samples: dict[str, samples.Sample]) -> None:
    # Nothing about the path (hidden name, odd suffix) matters: FFmpeg sniffs the content.
    copy = tmp_path / ".upload.bin"
    shutil.copy(all_samples["hevc-mp4"].path, copy)
    assert probe(copy) == probe(all_samples["hevc-mp4"].path)


def test_a_video_stream_without_a_decoder_is_not_video(tmp_path: Path, fuzz_seed: bytes) -> None:
    """Found by the fuzzer above: a zeroed first byte and a cut at 3188 leave a stream with no codec."""
    blob = bytearray(fuzz_seed)
    blob[0] = 0
    path = tmp_path / "no-decoder.mp4"
    path.write_bytes(bytes(blob[:3188]))
    with pytest.raises(VideoError, match="no decoder"):
        probe(path)
