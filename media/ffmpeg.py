"""The one adapter over ffmpeg-python (last release 2019) and the ffmpeg/ffprobe binaries.

Replacing ffmpeg-python must touch this file only. Every argument list is built here from
catalog data; no user-provided URL or protocol ever reaches ffmpeg: inputs are absolute
paths under the library roots, always prefixed with ``file:`` so a name such as
``http:x.mp4`` or ``-i`` cannot be read as a protocol or an option.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from typing import Any

import ffmpeg
from ffmpeg._utils import convert_kwargs_to_cmd_line_args

from media.errors import ProbeFailed, ToolMissing
from media.paths import AnyPath


def file_input(path: AnyPath) -> str:
    """An input argument that ffmpeg reads only through its file protocol."""
    name = os.fsdecode(os.path.abspath(os.fspath(path)))
    return "file:" + name


def require_tool(binary: str, setting: str) -> str:
    found = shutil.which(binary)
    if found is None:
        raise ToolMissing("tool_missing", tool=binary, setting=setting)
    return found


FEED_PREFIX = "http://127.0.0.1:"

# The demuxers courseware needs. Playlist-like demuxers (hls, concat, image2, tty …) are
# left out: a file that *is* a playlist, or an AVI that smuggles one in (the 2017 GAB2
# trick), would otherwise make ffmpeg open other files or connect elsewhere. ffmpeg
# copies this list into nested demuxers too.
SAFE_DEMUXERS = (
    "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,flv,live_flv,asf,mpeg,mpegts,mpegvideo,"
    "m4v,h264,hevc,rm,mp3,wav,w64,ogg,flac,aac,ape,amr,dv,vc1,caf,aiff,au,ac3,eac3,dts,"
    "wv,mpc,ivf,nut,wtv,xwma"
)


def feed_input(url: str) -> tuple[str, str]:
    """A URL of our own loopback feed (media.feed) and the protocols it needs; anything
    else is refused, so no user-provided URL can reach ffmpeg."""
    if not url.startswith(FEED_PREFIX):
        raise ValueError(f"not a source feed URL: {url!r}")
    return url, "http,tcp"


def ffprobe_argv(binary: str, path: AnyPath | None = None, url: str | None = None) -> list[str]:
    target, protocols = feed_input(url) if url is not None else (file_input(path or ""), "file")
    options = convert_kwargs_to_cmd_line_args({
        "v": "error",
        "show_format": None,
        "show_streams": None,
        "of": "json",
        "protocol_whitelist": protocols,
        "format_whitelist": SAFE_DEMUXERS,
    })
    return [binary, *options, target]


def run_ffprobe(binary: str, path: AnyPath | None, timeout: float,
                url: str | None = None) -> dict[str, Any]:
    """ffprobe's JSON for one file.

    ffmpeg-python's own ``probe`` has no timeout and decodes output strictly; a damaged
    file can make ffprobe spin, and tags in old files carry stray bytes, so we run the
    same command ourselves with both handled, raising ffmpeg-python's ``Error`` type.
    """
    argv = ffprobe_argv(binary, path, url)
    try:
        done = subprocess.run(argv, capture_output=True, timeout=timeout, check=False)
    except FileNotFoundError as exc:
        raise ToolMissing("tool_missing", tool=binary, setting="ffprobe") from exc
    except subprocess.TimeoutExpired as exc:
        raise ProbeFailed("scan_probe_timeout", seconds=f"{timeout:g}") from exc
    if done.returncode != 0:
        raise ffmpeg.Error("ffprobe", done.stdout, done.stderr)
    data: dict[str, Any] = json.loads(done.stdout.decode("utf-8", errors="replace") or "{}")
    return data


def ffprobe_error_detail(error: ffmpeg.Error) -> str:
    """The last line ffprobe printed, without the path (which the user already sees)."""
    text = (error.stderr or b"").decode("utf-8", errors="replace").strip()
    last = text.splitlines()[-1] if text else "ffprobe failed"
    if ": " in last and last.startswith("file:"):
        last = last.rsplit(": ", 1)[-1]
    return last


def _check_input(source: str) -> None:
    if not (source.startswith("file:") or source.startswith(FEED_PREFIX)):
        raise ValueError(f"not an input built by yuanjiao: {source!r}")


def segment_argv(binary: str, source: str, protocols: str, start: float, duration: float,
                 output: str, audio_only: bool = False) -> list[str]:
    """ffmpeg making one HLS segment: ``duration`` seconds from ``start``, as H.264/AAC in
    MPEG-TS. Each segment is its own encode starting on a key frame, so every segment
    stands alone and can be made in any order (a seek far ahead just makes that one)."""
    _check_input(source)
    video = [] if audio_only else [
        "-map", "0:v:0", "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "main",
        "-pix_fmt", "yuv420p",
        # Old station PCs decode 720p at most; keep the aspect ratio, even dimensions.
        "-vf", "scale='min(1280,iw)':-2",
        "-force_key_frames", "expr:eq(n,0)", "-sc_threshold", "0",
    ]
    return [
        binary, "-nostdin", "-v", "error", "-y",
        "-protocol_whitelist", protocols, "-format_whitelist", SAFE_DEMUXERS,
        # Input-side seek: fast, and still frame-exact because the video is re-encoded.
        "-ss", f"{start:.3f}", "-i", source, "-t", f"{duration:.3f}",
        *video, "-map", "0:a:0?", "-sn", "-dn",
        "-c:a", "aac", "-ac", "2", "-ar", "44100", "-b:a", "128k",
        "-output_ts_offset", f"{start:.3f}", "-muxdelay", "0", "-muxpreload", "0",
        "-f", "mpegts", output,
    ]


def keyframes_argv(binary: str, source: str, protocols: str) -> list[str]:
    """ffprobe listing the first video stream's packets (time and flags; demuxed, not
    decoded) and the container's start time, one per line, for the key frame index."""
    _check_input(source)
    return [binary, "-v", "error", "-protocol_whitelist", protocols,
            "-format_whitelist", SAFE_DEMUXERS, "-select_streams", "v:0",
            "-show_entries", "packet=pts_time,flags:format=start_time",
            "-of", "compact=p=0:nk=1", source]


def remux_segment_argv(binary: str, source: str, protocols: str, start: float,
                       end: float | None, output: str, copy_audio: bool) -> list[str]:
    """ffmpeg copying one HLS segment out of an H.264 file: from the key frame at
    ``start`` up to the one at ``end`` (None: to the end), audio copied or made AAC.

    ``-copyts -start_at_zero`` keep the source's own timeline (from 0), so segments
    made in any order line up, and ``-to`` stops exactly before the next segment's key
    frame. The seek aims 1 ms past the key frame: its time prints rounded to the
    microsecond, and a target a hair before it would land on the key frame before.
    """
    _check_input(source)
    until = ["-to", f"{end:.6f}"] if end is not None else []
    audio = ["-c:a", "copy"] if copy_audio else ["-c:a", "aac", "-ac", "2", "-ar", "44100",
                                                   "-b:a", "128k"]
    seek = ["-ss", f"{start + 0.001:.6f}"] if start > 0 else []
    return [
        binary, "-nostdin", "-v", "error", "-y",
        "-protocol_whitelist", protocols, "-format_whitelist", SAFE_DEMUXERS,
        "-copyts", "-start_at_zero", *seek, "-i", source, *until,
        "-map", "0:v:0", "-c:v", "copy", "-map", "0:a:0?", *audio, "-sn", "-dn",
        "-avoid_negative_ts", "disabled", "-muxdelay", "0", "-muxpreload", "0",
        "-f", "mpegts", output,
    ]


def poster_argv(binary: str, source: str, protocols: str, at: float, output: str) -> list[str]:
    """One frame at ``at`` seconds as a 480-pixel-wide JPEG."""
    _check_input(source)
    return [binary, "-nostdin", "-v", "error", "-y", "-protocol_whitelist", protocols,
            "-format_whitelist", SAFE_DEMUXERS, "-ss", f"{at:.3f}", "-i", source,
            "-frames:v", "1", "-vf", "scale='min(480,iw)':-2", "-q:v", "4", "-f", "image2",
            "-c:v", "mjpeg", output]


SUBTITLE_DEMUXERS = "srt,ass,webvtt,microdvd,subviewer,sami,mpl2"


def subtitle_argv(binary: str, source: str, protocols: str, stream: int | None,
                  subtitle_format: str | None = None) -> list[str]:
    """A text subtitle as WebVTT on stdout: a sidecar fed on stdin (``pipe:0``, already
    decoded to UTF-8), or an embedded stream of a media input."""
    if source != "pipe:0":
        _check_input(source)
    forced = ["-f", subtitle_format] if subtitle_format else []
    demuxers = SUBTITLE_DEMUXERS if source == "pipe:0" else SAFE_DEMUXERS
    mapping = ["-map", f"0:{stream}"] if stream is not None else ["-map", "0:s:0"]
    return [binary, "-nostdin", "-v", "error", "-protocol_whitelist", protocols,
            "-format_whitelist", demuxers, *forced, "-i", source, *mapping,
            "-c:s", "webvtt", "-f", "webvtt", "pipe:1"]
