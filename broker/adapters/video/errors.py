"""Why a file is refused as video, and why writing one failed.

Input problems are `InvalidInput` (the API answers 422): the uploader sent something that is not a
usable video. A writer that fails is our fault, so `VideoWriteError` is a plain `BrokerError` (500).
"""

from __future__ import annotations

from broker.errors import BrokerError, InvalidInput


class VideoError(InvalidInput):
    """The file is not a video this broker can use."""

    title = "Unusable video"


class NotVideo(VideoError):
    """Nothing in the file decodes as video: random bytes, audio only, no streams or no frames."""

    title = "Not a video"


class TruncatedVideo(VideoError):
    """The container declares more frames or time than the file actually holds."""

    title = "Truncated video"


class VideoLimitExceeded(VideoError):
    """Reading the file would take more time, frames or pixels than the limits allow."""

    title = "Video exceeds limits"


class VideoWriteError(BrokerError):
    """An output video could not be written; nothing is left at the destination."""

    title = "Video could not be written"
