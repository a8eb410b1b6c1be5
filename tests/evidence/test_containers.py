"""The container of a clip, from its first bytes: real files from real muxers, and the rest."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from broker.adapters.containers import SNIFF_BYTES, sniff_extension
from tests.video.samples import encode_opencv, encode_pyav

MUXED = [  # (extension, FFmpeg muxer, codec, muxer options)
    (".mp4", "mp4", "libx264", {}),
    (".mov", "mov", "libx264", {}),
    (".mkv", "matroska", "libx264", {}),
    (".webm", "webm", "libvpx-vp9", {}),
    (".ts", "mpegts", "libx264", {}),
    (".m2ts", "mpegts", "libx264", {"mpegts_m2ts_mode": "1"}),
    (".mpg", "mpeg", "mpeg2video", {}),
    (".flv", "flv", "flv", {}),
    (".wmv", "asf", "wmv2", {}),
]


@pytest.mark.parametrize(("extension", "muxer", "codec", "options"), MUXED,
                         ids=[m[0] for m in MUXED])
def test_files_from_real_muxers(tmp_path: Path, extension: str, muxer: str, codec: str,
                                options: dict[str, str]):
    import av

    path = tmp_path / f"clip{extension}"
    with av.open(str(path), "w", format=muxer, options=options) as out:
        stream = out.add_stream(codec, rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(5):
            frame = av.VideoFrame.from_ndarray(_picture(i), format="bgr24")
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    assert sniff_extension(path.read_bytes()[:SNIFF_BYTES]) == extension


def test_opencv_writes_avi_and_mp4(tmp_path: Path):
    for name, fourcc in (("clip.avi", "MJPG"), ("clip.mp4", "mp4v")):
        encode_opencv(tmp_path / name, fourcc, frames=3, width=64, height=48, fps=10.0)
        assert sniff_extension((tmp_path / name).read_bytes()) == Path(name).suffix


def test_pyav_defaults_to_mp4(tmp_path: Path):
    encode_pyav(tmp_path / "x.mp4", "libx264", frames=3, width=64, height=48, fps=Fraction(10))
    assert sniff_extension((tmp_path / "x.mp4").read_bytes()) == ".mp4"


@pytest.mark.parametrize(("head", "extension"), [
    (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  ", ".mov"),
    (b"\x00\x00\x00\x14ftyp3gp5\x00\x00\x00\x00", ".3gp"),
    (b"\x00\x00\x00\x08wide\x00\x00\x00\x10mdat", ".mov"),
    (b"\x00\x00\x01\xba\x44\x00\x04\x00", ".mpg"),
    (b"", ".bin"),
    (b"\x47" + bytes(200), ".bin"),  # one sync byte is not a transport stream
    (b"RIFF\x00\x00\x00\x00WAVEfmt ", ".bin"),
    (b"\x00\x00\x00\x00ftyp", ".mp4"),
    (b"hello, world" * 100, ".bin"),
])
def test_signatures_and_what_is_not_a_video(head: bytes, extension: str):
    assert sniff_extension(head) == extension


def _picture(index: int):
    import numpy as np

    image = np.zeros((48, 64, 3), np.uint8)
    image[:, (index * 8) % 56 : (index * 8) % 56 + 8] = 255
    return image
