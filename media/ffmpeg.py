"""The one adapter over ffmpeg-python (last release 2019) and the ffmpeg/ffprobe binaries.

Replacing ffmpeg-python must touch this file only. Every argument list is built here from
catalog data; no user-provided URL or protocol ever reaches ffmpeg, nor a path for it to
open again: an input is a descriptor we opened below a library root (media/paths.py),
passed to the child process and named ``file:/dev/fd/N`` (a seekable reopening of that
very file through /proc, whatever its name now points at), or our own loopback feed
(media/feed.py) for bytes inside a disc image, or a sidecar's text on stdin.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any, NamedTuple

import ffmpeg
from ffmpeg._utils import convert_kwargs_to_cmd_line_args

from media.errors import ProbeFailed, ToolMissing


class Input(NamedTuple):
    """What ffmpeg reads: the input argument, the protocols it needs, and the descriptors
    the child process must inherit for it (``subprocess.run(..., pass_fds=fds)``)."""

    url: str
    protocols: str
    fds: tuple[int, ...] = ()


_DESCRIPTOR_PREFIX = "file:/dev/fd/"


def descriptor_input(fd: int) -> Input:
    """An open regular file as ffmpeg's input: ``/dev/fd/N`` in the child is a new open
    of the same inode (so ffmpeg seeks it freely), not a lookup of any name."""
    return Input(f"{_DESCRIPTOR_PREFIX}{fd}", "file", (fd,))


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


def run_tool(argv: list[str], source: Input, timeout: float, stdin: bytes | None = None
             ) -> subprocess.CompletedProcess[bytes]:
    """Run an argument list built here; the child inherits ``source``'s descriptors and
    no other (ours are all close-on-exec). Raises ``subprocess.TimeoutExpired``."""
    return subprocess.run(argv, input=stdin, capture_output=True, timeout=timeout,
                          check=False, pass_fds=source.fds)


def feed_input(url: str) -> Input:
    """A URL of our own loopback feed (media.feed) and the protocols it needs; anything
    else is refused, so no user-provided URL can reach ffmpeg."""
    if not url.startswith(FEED_PREFIX):
        raise ValueError(f"not a source feed URL: {url!r}")
    return Input(url, "http,tcp")


def ffprobe_argv(binary: str, source: Input) -> list[str]:
    _check_input(source)
    options = convert_kwargs_to_cmd_line_args({
        "v": "error",
        "show_format": None,
        "show_streams": None,
        "of": "json",
        "protocol_whitelist": source.protocols,
        "format_whitelist": SAFE_DEMUXERS,
    })
    return [binary, *options, source.url]


def run_ffprobe(binary: str, source: Input, timeout: float) -> dict[str, Any]:
    """ffprobe's JSON for one input.

    ffmpeg-python's own ``probe`` has no timeout and decodes output strictly; a damaged
    file can make ffprobe spin, and tags in old files carry stray bytes, so we run the
    same command ourselves with both handled, raising ffmpeg-python's ``Error`` type.
    """
    argv = ffprobe_argv(binary, source)
    try:
        done = run_tool(argv, source, timeout)
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
    if ": " in last and last.startswith(("file:", FEED_PREFIX)):
        last = last.rsplit(": ", 1)[-1]
    return last


def _check_input(source: Input) -> None:
    """Only inputs built above: a descriptor the child inherits, or our feed."""
    url = source.url
    if url.startswith(_DESCRIPTOR_PREFIX):
        number = url[len(_DESCRIPTOR_PREFIX):]
        if number.isdigit() and int(number) in source.fds and source.protocols == "file":
            return
    elif url.startswith(FEED_PREFIX) and source.protocols == "http,tcp" and not source.fds:
        return
    raise ValueError(f"not an input built by yuanjiao: {source!r}")


def segment_argv(binary: str, source: Input, start: float, duration: float,
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
        "-protocol_whitelist", source.protocols, "-format_whitelist", SAFE_DEMUXERS,
        # Input-side seek: fast, and still frame-exact because the video is re-encoded.
        "-ss", f"{start:.3f}", "-i", source.url, "-t", f"{duration:.3f}",
        *video, "-map", "0:a:0?", "-sn", "-dn",
        "-c:a", "aac", "-ac", "2", "-ar", "44100", "-b:a", "128k",
        "-output_ts_offset", f"{start:.3f}", "-muxdelay", "0", "-muxpreload", "0",
        "-f", "mpegts", output,
    ]


def keyframes_argv(binary: str, source: Input) -> list[str]:
    """ffprobe listing the first video stream's packets (time and flags; demuxed, not
    decoded) and the container's start time, one per line, for the key frame index."""
    _check_input(source)
    return [binary, "-v", "error", "-protocol_whitelist", source.protocols,
            "-format_whitelist", SAFE_DEMUXERS, "-select_streams", "v:0",
            "-show_entries", "packet=pts_time,flags:format=start_time",
            "-of", "compact=p=0:nk=1", source.url]


def remux_segment_argv(binary: str, source: Input, start: float,
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
        "-protocol_whitelist", source.protocols, "-format_whitelist", SAFE_DEMUXERS,
        "-copyts", "-start_at_zero", *seek, "-i", source.url, *until,
        "-map", "0:v:0", "-c:v", "copy", "-map", "0:a:0?", *audio, "-sn", "-dn",
        "-avoid_negative_ts", "disabled", "-muxdelay", "0", "-muxpreload", "0",
        "-f", "mpegts", output,
    ]


def poster_argv(binary: str, source: Input, at: float, output: str) -> list[str]:
    """One frame at ``at`` seconds as a 480-pixel-wide JPEG."""
    _check_input(source)
    return [binary, "-nostdin", "-v", "error", "-y", "-protocol_whitelist", source.protocols,
            "-format_whitelist", SAFE_DEMUXERS, "-ss", f"{at:.3f}", "-i", source.url,
            "-frames:v", "1", "-vf", "scale='min(480,iw)':-2", "-q:v", "4", "-f", "image2",
            "-c:v", "mjpeg", output]


SUBTITLE_DEMUXERS = "srt,ass,webvtt,microdvd,subviewer,sami,mpl2"


STDIN = Input("pipe:0", "pipe")


def subtitle_argv(binary: str, source: Input, stream: int | None,
                  subtitle_format: str | None = None) -> list[str]:
    """A text subtitle as WebVTT on stdout: a sidecar fed on stdin (``STDIN``, already
    decoded to UTF-8), or an embedded stream of a media input."""
    if source != STDIN:
        _check_input(source)
    forced = ["-f", subtitle_format] if subtitle_format else []
    demuxers = SUBTITLE_DEMUXERS if source == STDIN else SAFE_DEMUXERS
    mapping = ["-map", f"0:{stream}"] if stream is not None else ["-map", "0:s:0"]
    return [binary, "-nostdin", "-v", "error", "-protocol_whitelist", source.protocols,
            "-format_whitelist", demuxers, *forced, "-i", source.url, *mapping,
            "-c:s", "webvtt", "-f", "webvtt", "pipe:1"]
