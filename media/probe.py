"""Probe one media file: checks that cost nothing first, then ffprobe, then normalize."""

from __future__ import annotations

import ffmpeg

from media.errors import ProbeFailed
from media.feed import shared_feed
from media.ffmpeg import descriptor_input, feed_input, ffprobe_error_detail, run_ffprobe
from media.integrity import find_truncation
from media.normalize import ProbeResult, normalize_probe
from media.paths import AnyPath, reading
from media.sources import ByteSource

# Demuxers that "succeed" on things that are not courseware: a text file read as ANSI
# art, a single picture renamed to .avi (pictures come as *_pipe, GIFs as "gif" —
# animated banners from courseware websites, not lessons).
NOT_MEDIA_CONTAINERS = {"tty", "image2", "txt", "gif"}


def _looks_like_picture(result: ProbeResult) -> bool:
    return result.container in NOT_MEDIA_CONTAINERS or result.container.endswith("_pipe")


def _interpret(data: dict[str, object]) -> ProbeResult:
    result = normalize_probe(data)
    if _looks_like_picture(result):
        raise ProbeFailed("scan_not_media", detail=f"format {result.container}")
    if result.kind is None:
        raise ProbeFailed("scan_no_streams")
    return result


def probe_source(source: ByteSource, ffprobe: str = "ffprobe",
                 timeout: float = 60.0) -> ProbeResult:
    """Probe bytes that are not a file of their own (a DVD title, a VCD track, a file
    inside an ISO), handed to ffprobe through the loopback feed so it can seek."""
    if source.size == 0:
        raise ProbeFailed("scan_empty")
    with shared_feed().serve(source) as url:
        try:
            data = run_ffprobe(ffprobe, feed_input(url), timeout)
        except ffmpeg.Error as exc:
            raise ProbeFailed("scan_not_media", detail=ffprobe_error_detail(exc)) from exc
    return _interpret(data)


def probe_media(
    target: int | AnyPath,
    size: int,
    ffprobe: str = "ffprobe",
    timeout: float = 60.0,
) -> ProbeResult:
    """What the file holds, or ProbeFailed with the reason a person can act on.

    ``target`` is an open descriptor, or a path with no links in it (media.paths:
    ``open_resolved``); either way the truncation check and ffprobe read the one open
    file."""
    if size == 0:
        raise ProbeFailed("scan_empty")
    with reading(target) as fd:
        truncation = find_truncation(fd, size)
        if truncation is not None:
            raise ProbeFailed("scan_truncated", expected=truncation.expected,
                              actual=truncation.actual)
        try:
            data = run_ffprobe(ffprobe, descriptor_input(fd), timeout)
        except ffmpeg.Error as exc:
            raise ProbeFailed("scan_not_media", detail=ffprobe_error_detail(exc)) from exc
    return _interpret(data)
