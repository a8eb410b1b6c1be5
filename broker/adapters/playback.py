"""Video a browser's ``<video>`` element plays: H.264 in MP4 (yuv420p, even sizes, the index at
the front). A clip already in H.264 is kept as it is; anything else (the masker's MPEG-4 Part 2)
is re-encoded with the libx264 of PyAV's wheel, frame by frame, in constant memory."""

from __future__ import annotations

from pathlib import Path

import av

PLAYABLE = "h264"


def codec_of(path: Path) -> str:
    with av.open(str(path)) as container:
        return str(container.streams.video[0].codec_context.name)


def browser_playable(src: Path, dst: Path) -> Path:
    """``src`` if a browser plays it, else ``dst`` written as H.264 MP4 (``src`` is left be)."""
    if codec_of(src) == PLAYABLE:
        return src
    with av.open(str(src)) as source, av.open(str(dst), "w", options={"movflags": "+faststart"}) as out:
        video = source.streams.video[0]
        rate = video.average_rate or 25
        stream = out.add_stream("libx264", rate=rate)
        stream.width = video.codec_context.width // 2 * 2
        stream.height = video.codec_context.height // 2 * 2
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": "23", "preset": "veryfast"}
        for frame in source.decode(video):
            picture = frame.reformat(width=stream.width, height=stream.height, format="yuv420p")
            picture.pts = None
            for packet in stream.encode(picture):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return dst
