"""Pure interpretation of ffprobe's JSON: what the file holds and whether browsers play it.

Kept apart from running ffprobe (media/probe.py) so it is tested on recorded JSON, as
Jellyfin does with its probing test data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Containers and codecs that browsers play without help. Decided from the probe,
# never from the file extension: an .mp4 holding MPEG-4 Part 2 or HEVC goes through HLS.
MP4_FAMILY = "mov,mp4,m4a,3gp,3g2,mj2"
DIRECT_VIDEO = {
    "mp4": {"h264", "av1"},
    "webm": {"vp8", "vp9", "av1"},
}
DIRECT_AUDIO = {
    "mp4": {"aac", "mp3", "opus", "flac"},
    "webm": {"opus", "vorbis"},
    "mp3": {"mp3"},
}
# H.264 profiles that browsers' hardware and software decoders refuse.
UNPLAYABLE_H264_PROFILES = {"High 10", "High 4:2:2", "High 4:4:4 Predictive",
                            "High 10 Intra", "High 4:2:2 Intra", "High 4:4:4 Intra"}
BROWSER_PIX_FMTS = {"yuv420p", "yuvj420p"}


@dataclass(frozen=True)
class StreamInfo:
    index: int
    type: str  # video | audio | subtitle
    codec: str
    language: str = ""
    title: str = ""
    profile: str = ""
    width: int | None = None
    height: int | None = None
    pix_fmt: str = ""
    channels: int | None = None
    sample_rate: int | None = None
    default: bool = False

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, "")}


@dataclass(frozen=True)
class ProbeResult:
    container: str
    duration: float | None
    streams: tuple[StreamInfo, ...] = ()
    title: str = ""
    description: str = ""
    tags: tuple[str, ...] = field(default=())

    @property
    def video(self) -> StreamInfo | None:
        return next((s for s in self.streams if s.type == "video"), None)

    @property
    def audio(self) -> StreamInfo | None:
        return next((s for s in self.streams if s.type == "audio"), None)

    @property
    def kind(self) -> str | None:
        if self.video is not None:
            return "video"
        if self.audio is not None:
            return "audio"
        return None

    @property
    def browser_playable(self) -> bool:
        return is_browser_playable(self)


def _float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _tag(tags: dict[str, Any], *names: str) -> str:
    lowered = {str(k).lower(): str(v) for k, v in (tags or {}).items()}
    for name in names:
        if lowered.get(name, "").strip():
            return lowered[name].strip()
    return ""


def _is_cover_art(stream: dict[str, Any]) -> bool:
    # MP3/M4A cover pictures appear as one-frame video streams.
    return bool((stream.get("disposition") or {}).get("attached_pic"))


def normalize_stream(stream: dict[str, Any]) -> StreamInfo | None:
    codec_type = stream.get("codec_type")
    if codec_type not in {"video", "audio", "subtitle"} or _is_cover_art(stream):
        return None
    tags = stream.get("tags") or {}
    return StreamInfo(
        index=int(stream.get("index", 0)),
        type=codec_type,
        codec=str(stream.get("codec_name") or "unknown"),
        language=_tag(tags, "language"),
        title=_tag(tags, "title"),
        profile=str(stream.get("profile") or ""),
        width=_int(stream.get("width")) if codec_type == "video" else None,
        height=_int(stream.get("height")) if codec_type == "video" else None,
        pix_fmt=str(stream.get("pix_fmt") or "") if codec_type == "video" else "",
        channels=_int(stream.get("channels")) if codec_type == "audio" else None,
        sample_rate=_int(stream.get("sample_rate")) if codec_type == "audio" else None,
        default=bool((stream.get("disposition") or {}).get("default")),
    )


def _duration(data: dict[str, Any]) -> float | None:
    fmt = data.get("format") or {}
    found = _float(fmt.get("duration"))
    if found is not None:
        return found
    per_stream = [_float(s.get("duration")) for s in data.get("streams") or []]
    known = [d for d in per_stream if d is not None]
    return max(known) if known else None


def normalize_probe(data: dict[str, Any]) -> ProbeResult:
    fmt = data.get("format") or {}
    streams = tuple(
        s for s in (normalize_stream(raw) for raw in data.get("streams") or []) if s is not None
    )
    tags = fmt.get("tags") or {}
    genre = _tag(tags, "genre")
    return ProbeResult(
        container=str(fmt.get("format_name") or "unknown"),
        duration=_duration(data),
        streams=streams,
        title=_tag(tags, "title"),
        description=_tag(tags, "description", "comment", "synopsis"),
        tags=tuple(t.strip() for t in genre.replace(";", ",").split(",") if t.strip()),
    )


def _direct_family(result: ProbeResult) -> str | None:
    container = result.container
    if container == MP4_FAMILY:
        return "mp4"
    if container == "matroska,webm":
        # Matroska and WebM share a format name; only WebM codecs make it playable.
        codecs = {s.codec for s in result.streams if s.type in {"video", "audio"}}
        return "webm" if codecs <= DIRECT_VIDEO["webm"] | DIRECT_AUDIO["webm"] else None
    if container == "mp3" and result.video is None:
        return "mp3"
    return None


def _video_ok(family: str, video: StreamInfo) -> bool:
    if video.codec not in DIRECT_VIDEO.get(family, set()):
        return False
    if video.codec == "h264" and video.profile in UNPLAYABLE_H264_PROFILES:
        return False
    return not video.pix_fmt or video.pix_fmt in BROWSER_PIX_FMTS


def is_browser_playable(result: ProbeResult) -> bool:
    family = _direct_family(result)
    if family is None:
        return False
    video, audio = result.video, result.audio
    if video is None and audio is None:
        return False
    if video is not None and not _video_ok(family, video):
        return False
    return audio is None or audio.codec in DIRECT_AUDIO.get(family, set())
