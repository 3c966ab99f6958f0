"""media.normalize on recorded ffprobe JSON (tests/data/probing, made by its record.py)."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from media.normalize import MP4_FAMILY, ProbeResult, is_browser_playable, normalize_probe

PROBING = Path(__file__).resolve().parent.parent / "data" / "probing"

# Lengths record.py asked ffmpeg for; containers add a few tens of milliseconds of padding.
VIDEO_SECONDS = 2.0
AUDIO_SECONDS = 3.0
DURATION_TOLERANCE = 0.15


@dataclass(frozen=True)
class Expected:
    container: str
    kind: str
    seconds: float
    video: str | None  # codec_name of the (non-cover) video stream
    audio: str | None
    playable: bool
    title: str = ""
    tags: tuple[str, ...] = ()


EXPECTED: dict[str, Expected] = {
    "mp4_h264_aac": Expected(MP4_FAMILY, "video", VIDEO_SECONDS, "h264", "aac", True),
    "mp4_mpeg4part2_aac": Expected(MP4_FAMILY, "video", VIDEO_SECONDS, "mpeg4", "aac", False),
    "mp4_hevc_aac": Expected(MP4_FAMILY, "video", VIDEO_SECONDS, "hevc", "aac", False),
    "mp4_h264_high10_aac": Expected(MP4_FAMILY, "video", VIDEO_SECONDS, "h264", "aac", False),
    "mkv_h264_mp3": Expected("matroska,webm", "video", VIDEO_SECONDS, "h264", "mp3", False),
    "webm_vp9_opus": Expected("matroska,webm", "video", VIDEO_SECONDS, "vp9", "opus", True),
    "avi_mpeg4_mp3": Expected("avi", "video", VIDEO_SECONDS, "mpeg4", "mp3", False),
    "flv_flv1_mp3": Expected("flv", "video", VIDEO_SECONDS, "flv1", "mp3", False),
    "wmv_wmv2_wmav2": Expected("asf", "video", VIDEO_SECONDS, "wmv2", "wmav2", False),
    "mpeg_ps_mpeg2_mp2": Expected("mpeg", "video", VIDEO_SECONDS, "mpeg2video", "mp2", False),
    "mp3_with_cover": Expected(
        "mp3", "audio", AUDIO_SECONDS, None, "mp3", True, title="黄梅戏选段", tags=("戏曲",)
    ),
    "m4a_aac": Expected(MP4_FAMILY, "audio", AUDIO_SECONDS, None, "aac", True),
    "mp4_h264_chinese_title_genre": Expected(
        MP4_FAMILY,
        "video",
        VIDEO_SECONDS,
        "h264",
        "aac",
        True,
        title="水稻种植技术",
        tags=("农业科技", "种植", "水稻"),
    ),
}


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PROBING / f"{name}.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture(params=sorted(EXPECTED))
def recorded(request: pytest.FixtureRequest) -> tuple[Expected, ProbeResult]:
    name: str = request.param
    return EXPECTED[name], normalize_probe(_load(name))


# --- the recorded files ---------------------------------------------------------------------


def test_every_recorded_file_has_an_expectation() -> None:
    assert {p.stem for p in PROBING.glob("*.json")} == set(EXPECTED)


def test_recorded_json_holds_no_absolute_paths() -> None:
    for path in PROBING.glob("*.json"):
        filename = json.loads(path.read_text(encoding="utf-8"))["format"]["filename"]
        assert "/" not in filename, path.name


def test_container(recorded: tuple[Expected, ProbeResult]) -> None:
    expected, result = recorded
    assert result.container == expected.container


def test_kind(recorded: tuple[Expected, ProbeResult]) -> None:
    expected, result = recorded
    assert result.kind == expected.kind


def test_duration_is_close_to_what_was_generated(recorded: tuple[Expected, ProbeResult]) -> None:
    expected, result = recorded
    assert result.duration is not None
    assert result.duration > 0
    assert result.duration == pytest.approx(expected.seconds, abs=DURATION_TOLERANCE)


def test_codecs(recorded: tuple[Expected, ProbeResult]) -> None:
    expected, result = recorded
    assert (result.video.codec if result.video else None) == expected.video
    assert (result.audio.codec if result.audio else None) == expected.audio


def test_browser_playable(recorded: tuple[Expected, ProbeResult]) -> None:
    expected, result = recorded
    assert result.browser_playable is expected.playable
    assert is_browser_playable(result) is expected.playable


def test_title_tag(recorded: tuple[Expected, ProbeResult]) -> None:
    expected, result = recorded
    assert result.title == expected.title


def test_genre_becomes_tags(recorded: tuple[Expected, ProbeResult]) -> None:
    expected, result = recorded
    assert result.tags == expected.tags


def test_comment_tag_becomes_description() -> None:
    result = normalize_probe(_load("mp4_h264_chinese_title_genre"))
    assert result.description == "讲解育秧、插秧和田间管理。"


def test_cover_art_is_not_a_video_stream() -> None:
    data = _load("mp3_with_cover")
    raw_types = [s["codec_type"] for s in data["streams"]]
    assert raw_types.count("video") == 1  # the PNG cover, disposition attached_pic

    result = normalize_probe(data)
    assert result.video is None
    assert [s.type for s in result.streams] == ["audio"]


def test_high10_is_refused_for_its_profile_and_pixel_format() -> None:
    result = normalize_probe(_load("mp4_h264_high10_aac"))
    assert result.video is not None
    assert result.video.profile == "High 10"
    assert result.video.pix_fmt == "yuv420p10le"


def test_stream_details_are_read() -> None:
    result = normalize_probe(_load("mp4_h264_aac"))
    assert result.video is not None and result.audio is not None
    assert (result.video.width, result.video.height) == (160, 120)
    assert result.video.pix_fmt == "yuv420p"
    assert result.video.default is True
    assert result.audio.sample_rate == 44100
    assert result.audio.channels == 1
    assert result.audio.width is None
    assert "width" not in result.audio.as_json()


# --- hand-written inputs: what ffprobe sometimes leaves out --------------------------------------


def _video(codec: str | None = "h264", **extra: Any) -> dict[str, Any]:
    stream: dict[str, Any] = {"index": 0, "codec_type": "video", "pix_fmt": "yuv420p", **extra}
    if codec is not None:
        stream["codec_name"] = codec
    return stream


def _audio(codec: str | None = "aac", **extra: Any) -> dict[str, Any]:
    stream: dict[str, Any] = {"index": 1, "codec_type": "audio", **extra}
    if codec is not None:
        stream["codec_name"] = codec
    return stream


def test_empty_json() -> None:
    result = normalize_probe({})
    assert result.container == "unknown"
    assert result.duration is None
    assert result.streams == ()
    assert result.kind is None
    assert result.title == ""
    assert result.tags == ()
    assert result.browser_playable is False


def test_duration_falls_back_to_the_longest_stream() -> None:
    data = {
        "format": {"format_name": MP4_FAMILY},
        "streams": [_video(duration="4.5"), _audio(duration="4.523")],
    }
    assert normalize_probe(data).duration == pytest.approx(4.523)


@pytest.mark.parametrize("value", ["N/A", "0.000000", "", None])
def test_unusable_format_duration_falls_back_to_streams(value: str | None) -> None:
    data = {
        "format": {"format_name": MP4_FAMILY, "duration": value},
        "streams": [_video(duration="3.0"), _audio(duration="N/A")],
    }
    assert normalize_probe(data).duration == pytest.approx(3.0)


def test_no_duration_anywhere() -> None:
    data = {"format": {"format_name": "mpeg"}, "streams": [_video("mpeg2video")]}
    assert normalize_probe(data).duration is None


def test_missing_codec_name_is_unknown_and_not_playable() -> None:
    data = {"format": {"format_name": MP4_FAMILY}, "streams": [_video(None), _audio()]}
    result = normalize_probe(data)
    assert result.video is not None
    assert result.video.codec == "unknown"
    assert result.kind == "video"
    assert result.browser_playable is False


def test_missing_audio_codec_name_is_not_playable() -> None:
    data = {"format": {"format_name": MP4_FAMILY}, "streams": [_video(), _audio(None)]}
    assert normalize_probe(data).browser_playable is False


def test_data_and_attachment_streams_are_ignored() -> None:
    data = {
        "format": {"format_name": "matroska,webm"},
        "streams": [
            _video("vp9"),
            {"index": 1, "codec_type": "attachment", "codec_name": "ttf"},
            {"index": 2, "codec_type": "data", "codec_name": "bin_data"},
        ],
    }
    result = normalize_probe(data)
    assert [s.type for s in result.streams] == ["video"]
    assert result.browser_playable is True


def test_only_cover_art_has_no_kind() -> None:
    cover = _video("mjpeg", disposition={"attached_pic": 1})
    result = normalize_probe({"format": {"format_name": "mp3"}, "streams": [cover]})
    assert result.streams == ()
    assert result.kind is None
    assert result.browser_playable is False


def test_h264_in_mp4_with_444_pixels_is_not_playable() -> None:
    data = copy.deepcopy(_load("mp4_h264_aac"))
    video = next(s for s in data["streams"] if s["codec_type"] == "video")
    video["pix_fmt"] = "yuv444p"
    assert normalize_probe(data).browser_playable is False


def test_matroska_holding_webm_codecs_is_playable() -> None:
    data = _load("mkv_h264_mp3")
    for stream in data["streams"]:
        stream["codec_name"] = "vp8" if stream["codec_type"] == "video" else "vorbis"
    assert normalize_probe(data).browser_playable is True


def test_tags_are_case_insensitive_and_blank_ones_ignored() -> None:
    data = {
        "format": {
            "format_name": MP4_FAMILY,
            "tags": {"TITLE": "  新农合政策问答 ", "GENRE": " ; ,", "Description": ""},
        },
        "streams": [_video(), _audio()],
    }
    result = normalize_probe(data)
    assert result.title == "新农合政策问答"
    assert result.tags == ()
    assert result.description == ""
