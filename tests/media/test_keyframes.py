"""Key frame plans for copied HLS segments, from ffprobe's own output format."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from media.ffmpeg import Input, descriptor_input
from media.keyframes import KeyframeIndex, can_copy_video, copy_plan, parse_keyframes


def test_parse_counts_from_the_container_start_and_keeps_key_frames_only() -> None:
    text = "1.400000|K_\n1.440000|__\n3.400000|K_\nN/A|K_\n5.400000|KD\n1.400000\n"
    assert parse_keyframes(text) == [0.0, 2.0, 4.0]


def test_segments_start_on_the_first_key_frame_past_the_target() -> None:
    plan = copy_plan([0.023, 2.023, 4.023, 6.023, 8.023, 10.023, 12.023], 13.0)
    assert plan is not None
    assert [(s.start, round(s.duration, 3)) for s in plan] == [
        (0.0, 6.023), (6.023, 6.0), (12.023, 0.977)]


def test_rounded_times_still_make_a_boundary() -> None:
    plan = copy_plan([0.025, 6.025, 12.025, 18.025], 20.025)
    assert plan is not None and [s.start for s in plan] == [0.0, 6.025, 12.025, 18.025]


def test_a_key_frame_at_the_very_end_makes_no_empty_segment() -> None:
    plan = copy_plan([0.0, 6.0, 11.95], 12.0)
    assert plan is not None and [s.start for s in plan] == [0.0, 6.0]


@pytest.mark.parametrize("keyframes", [[], [0.0], [0.0, 30.0]])
def test_key_frames_too_far_apart_are_encoded_instead(keyframes: list[float]) -> None:
    assert copy_plan(keyframes, 60.0) is None


@pytest.mark.parametrize(("stream", "copied"), [
    ({"type": "video", "codec": "h264", "profile": "High", "pix_fmt": "yuv420p"}, True),
    ({"type": "video", "codec": "h264", "profile": "High 10", "pix_fmt": "yuv420p10le"},
     False),
    ({"type": "video", "codec": "h264", "profile": "High 4:4:4 Predictive",
      "pix_fmt": "yuv444p"}, False),
    ({"type": "video", "codec": "mpeg2video", "profile": "Main", "pix_fmt": "yuv420p"}, False),
])
def test_only_h264_a_browser_decodes_is_copied(stream: dict[str, object], copied: bool) -> None:
    assert can_copy_video([stream]) is copied


@pytest.mark.ffmpeg
def test_the_index_is_made_once_in_the_background_and_kept_on_disk(tmp_path: Path) -> None:
    video = tmp_path / "v.mkv"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25",
                    "-t", "8", "-c:v", "libx264", "-preset", "ultrafast", "-g", "50",
                    "-sc_threshold", "0", str(video)], check=True)

    @contextmanager
    def opener() -> Iterator[Input]:
        fd = os.open(video, os.O_RDONLY)
        try:
            yield descriptor_input(fd)
        finally:
            os.close(fd)

    index = KeyframeIndex(tmp_path / "cache")
    # Not waiting: the first answer is "not yet", and the work goes on without us.
    assert index.lookup("v", opener, wait=0) is None
    assert index.lookup("v", opener, wait=None) == [0.0, 2.0, 4.0, 6.0]
    index.close()
    again = KeyframeIndex(tmp_path / "cache", ffprobe="/nonexistent/ffprobe")
    assert again.lookup("v", opener, wait=0) == [0.0, 2.0, 4.0, 6.0]  # from disk
    assert again.lookup("other", opener, wait=None) is None  # ffprobe missing: no index
    again.close()
