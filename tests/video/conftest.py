"""Sample videos, encoded once per test session (libx265 takes a moment)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.video import samples


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("video-samples")


@pytest.fixture(scope="session")
def all_samples(sample_dir: Path) -> dict[str, samples.Sample]:
    return {
        "h264-mp4": samples.h264_mp4(sample_dir),
        "hevc-mp4": samples.hevc_mp4(sample_dir),
        "h264-mkv": samples.h264_mkv(sample_dir),
        "mjpeg-avi": samples.mjpeg_avi(sample_dir),
        "mp4v-mp4": samples.mp4v_mp4(sample_dir),
    }


@pytest.fixture(params=["h264-mp4", "hevc-mp4", "h264-mkv", "mjpeg-avi", "mp4v-mp4"])
def sample(request: pytest.FixtureRequest, all_samples: dict[str, samples.Sample]) -> samples.Sample:
    return all_samples[request.param]
