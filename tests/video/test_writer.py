"""The H.264 writer: browser-playable MP4 (h264 High, yuv420p, moov before mdat), exact figures,
the picture kept, constant memory, and nothing left behind when it fails."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from broker.adapters.video import (
    EncodeSettings,
    H264Writer,
    VideoWriteError,
    WrittenVideo,
    encode_h264,
    is_faststart,
    probe,
    read_frames,
    top_level_boxes,
)
from tests.video import samples


def mean_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


def write_test_video(path: Path, frames: int, width: int, height: int, fps: Fraction | float) -> WrittenVideo:
    return encode_h264((samples.frame(i, width, height) for i in range(frames)), path, fps)


def test_output_is_browser_playable(tmp_path: Path) -> None:
    path = tmp_path / "out.mp4"
    written = write_test_video(path, 30, 1280, 720, 15)

    info = probe(path)
    assert (info.codec, info.profile, info.pixel_format) == ("h264", "High", "yuv420p")
    with av.open(str(path)) as container:
        context = container.streams.video[0].codec_context
        assert context.level <= 41  # 720p15 needs 3.1; every browser decodes High up to 4.1+
        assert (context.color_primaries, context.color_trc, context.colorspace) == (1, 1, 1)  # BT.709
        assert context.color_range == 1  # limited ("TV") range, what players assume
    boxes = [box.type for box in top_level_boxes(path)]
    assert boxes[0] == "ftyp"
    assert boxes.index("moov") < boxes.index("mdat"), boxes
    assert is_faststart(path)
    with path.open("rb") as fh:
        fh.seek(8)
        assert fh.read(4) in (b"isom", b"mp42")  # major brand
    moov = next(b for b in top_level_boxes(path) if b.type == "moov")
    with path.open("rb") as fh:
        fh.seek(moov.offset)
        index = fh.read(moov.size)
    assert b"avc1" in index and b"avcC" in index  # sample entry with its parameter sets
    assert written.path == path
    assert written.size_bytes == path.stat().st_size > 0


@pytest.mark.parametrize("fps", [Fraction(15), Fraction(30000, 1001), Fraction(25, 2)])
def test_probe_figures_of_the_output_are_exact(tmp_path: Path, fps: Fraction) -> None:
    path = tmp_path / "out.mp4"
    written = write_test_video(path, 36, 320, 240, fps)
    info = probe(path)
    assert (info.width, info.height, info.fps, info.frames) == (320, 240, fps, 36)
    assert info.duration == pytest.approx(float(36 / fps), abs=1e-3)
    assert (written.frames, written.width, written.height, written.fps) == (36, 320, 240, fps)


def test_float_fps_is_accepted(tmp_path: Path) -> None:
    written = write_test_video(tmp_path / "out.mp4", 10, 64, 48, 12.5)
    assert written.fps == Fraction(25, 2)
    assert probe(written.path).fps == Fraction(25, 2)


def test_picture_and_colours_survive(tmp_path: Path) -> None:
    path = tmp_path / "out.mp4"
    originals = [samples.frame(i, 320, 240) for i in range(20)]
    originals[5][100:140, 100:140] = (0, 0, 230)  # a red patch (BGR)
    encode_h264(originals, path, 10, settings=EncodeSettings(crf=18))
    decoded = [f.image for f in read_frames(path)]
    assert len(decoded) == 20
    for i, (original, back) in enumerate(zip(originals, decoded, strict=True)):
        assert mean_abs_diff(original, back) < 2.5, f"frame {i}"
        assert samples.find_square(back) == samples.square_x(i, 320)
    b, g, r = decoded[5][120, 120].tolist()
    assert r > 200 and g < 30 and b < 30


def test_odd_sizes_are_padded_to_even_without_cropping(tmp_path: Path) -> None:
    path = tmp_path / "odd.mp4"
    image = samples.frame(3, 321, 241)
    image[:, -1] = (0, 255, 0)  # the last column, which a crop would lose
    with H264Writer(path, 321, 241, 10) as writer:
        for _ in range(5):
            writer.write(image)
    assert writer.result is not None
    assert (writer.result.width, writer.result.height) == (322, 242)
    info = probe(path)
    assert (info.width, info.height) == (322, 242)
    back = next(read_frames(path)).image
    assert mean_abs_diff(back[:241, :321], image) < 3
    assert back[120, 320, 1] > 200 and back[120, 321, 1] > 200  # green column, repeated


def test_crf_and_preset_are_applied(tmp_path: Path) -> None:
    frames = [samples.frame(i, 320, 240) for i in range(20)]
    noise = np.random.default_rng(2).integers(0, 40, (240, 320, 3), dtype=np.uint8)
    frames = [f + noise for f in frames]  # detail that costs bits
    fine = encode_h264(frames, tmp_path / "fine.mp4", 10, settings=EncodeSettings(crf=18))
    coarse = encode_h264(frames, tmp_path / "coarse.mp4", 10, settings=EncodeSettings(crf=40))
    fast = encode_h264(frames, tmp_path / "fast.mp4", 10, settings=EncodeSettings(preset="ultrafast"))
    assert coarse.size_bytes * 3 < fine.size_bytes
    assert probe(fast.path).frames == 20
    # libx264 writes its settings into the stream (an SEI message): check what it was told.
    assert b"crf=40.0" in coarse.path.read_bytes()
    assert b"crf=18.0" in fine.path.read_bytes()
    assert b"cabac=0" in fast.path.read_bytes()  # ultrafast turns CABAC off
    default = fine.path.read_bytes()
    assert b"cabac=1" in default and b"subme=2" in default  # veryfast: subme 2


def test_keyframe_every_two_seconds(tmp_path: Path) -> None:
    path = tmp_path / "gop.mp4"
    write_test_video(path, 75, 160, 120, 15)
    with av.open(str(path)) as container:
        keys = [i for i, p in enumerate(container.demux(video=0)) if p.size and p.is_keyframe]
    assert keys[:3] == [0, 30, 60]


def test_settings_are_validated() -> None:
    for bad in ({"crf": 52}, {"crf": -1}, {"preset": "warp"}, {"profile": "high10"}, {"keyframe_seconds": 0}):
        with pytest.raises(ValueError):
            EncodeSettings(**bad)


def test_wrong_frames_are_rejected_and_nothing_is_left(tmp_path: Path) -> None:
    path = tmp_path / "out.mp4"
    with pytest.raises(ValueError, match="frame must be"), H264Writer(path, 64, 48, 10) as writer:
        writer.write(np.zeros((48, 64, 3), np.uint8))
        writer.write(np.zeros((48, 65, 3), np.uint8))
    assert os.listdir(tmp_path) == []


def test_no_frames_is_an_error_and_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(VideoWriteError, match="no frames"):
        encode_h264([], tmp_path / "out.mp4", 10)
    with pytest.raises(VideoWriteError, match="no frames"):
        H264Writer(tmp_path / "out.mp4", 64, 48, 10).close()
    assert os.listdir(tmp_path) == []


def test_destination_appears_only_when_complete(tmp_path: Path) -> None:
    path = tmp_path / "out.mp4"
    writer = H264Writer(path, 64, 48, 10)
    writer.write(np.zeros((48, 64, 3), np.uint8))
    assert not path.exists()
    assert [p.name for p in tmp_path.iterdir()] == [".out.mp4.partial"]
    writer.abort()
    assert os.listdir(tmp_path) == []


def test_unwritable_destination_is_a_write_error(tmp_path: Path) -> None:
    with pytest.raises(VideoWriteError):
        H264Writer(tmp_path / "missing-dir" / "out.mp4", 64, 48, 10)


def test_bad_arguments(tmp_path: Path) -> None:
    bad = (
        (0, 48, 10),
        (64, 9000, 10),
        (64, 48, 0),
        (64, 48, -5),
        (64, 48, float("nan")),
        (64, 48, float("inf")),
    )
    for width, height, fps in bad:
        with pytest.raises(ValueError):
            H264Writer(tmp_path / "out.mp4", width, height, fps)
    assert os.listdir(tmp_path) == []


def _rss_kib() -> int:
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:"))


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_memory_stays_flat_however_long_the_video(tmp_path: Path) -> None:
    image = samples.frame(0, 640, 360)
    with H264Writer(tmp_path / "long.mp4", 640, 360, 15, settings=EncodeSettings(preset="ultrafast")) as w:
        for i in range(60):
            w.write(image if i % 2 else image[::-1].copy())
        after_warmup = _rss_kib()
        for i in range(600):
            w.write(image if i % 2 else image[::-1].copy())
        grown = _rss_kib() - after_warmup
    assert grown < 20 * 1024, f"RSS grew {grown} KiB over 600 frames"
