"""Text subtitles as WebVTT: sidecar .srt/.ass files (often GBK) and embedded text streams."""

from __future__ import annotations

import os
import re
import stat
import subprocess
from dataclasses import dataclass

from catalog.library.encoding import decode_text
from media.errors import MediaError
from media.ffmpeg import STDIN, Input, run_tool, subtitle_argv
from media.paths import list_names, open_member
from media.transcode import InputOpener

SIDECAR_FORMATS = {".srt": "srt", ".ass": "ass", ".ssa": "ass", ".vtt": "webvtt"}
TEXT_CODECS = {"subrip", "ass", "ssa", "mov_text", "webvtt", "text"}
MAX_SIDECAR_BYTES = 4 << 20
# "课件.chs.srt", "课件.zh-CN.srt", "课件.简体.ass": the part between stem and extension.
_LANGUAGE_HINTS = {"chs": "zh", "cht": "zh", "zh": "zh", "chi": "zh", "简体": "zh",
                   "繁体": "zh", "en": "en", "eng": "en"}


class SubtitleFailed(MediaError):
    status = 404


@dataclass(frozen=True)
class Sidecar:
    name: bytes  # in the media file's folder
    label: str
    language: str
    format: str


def _plain_file(folder_fd: int, name: bytes) -> bool:
    try:
        return stat.S_ISREG(os.stat(name, dir_fd=folder_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def find_sidecars(folder_fd: int, media_name: bytes) -> list[Sidecar]:
    """The subtitle files beside ``media_name`` in the open folder. Links are not listed
    (they could point anywhere); ``sidecar_vtt`` refuses them again when it opens one,
    since a file listed here may be swapped for a link before it is read."""
    stem = os.path.splitext(media_name)[0]
    found = []
    try:
        names = sorted(list_names(folder_fd))
    except OSError:
        return []
    for candidate in names:
        base, ext = os.path.splitext(candidate)
        fmt = SIDECAR_FORMATS.get(ext.decode("ascii", "replace").lower())
        if fmt is None or not (base == stem or base.startswith(stem + b".")):
            continue
        if not _plain_file(folder_fd, candidate):
            continue
        hint = base[len(stem) + 1:].decode("utf-8", "replace") if base != stem else ""
        found.append(Sidecar(candidate, hint or ext.decode().lstrip("."),
                             _LANGUAGE_HINTS.get(hint.lower(), hint.lower() or "zh"), fmt))
    return found


_SRT_TIME = re.compile(r"(\d\d:\d\d:\d\d),(\d\d\d)")


def read_sidecar_text(folder_fd: int, sidecar: Sidecar) -> str:
    """The sidecar's text, opened once without following links (``OutsideRoot``, a
    ``FileNotFoundError``, when it is one now)."""
    fd = open_member(folder_fd, sidecar.name)
    with os.fdopen(fd, "rb") as f:
        return decode_text(f.read(MAX_SIDECAR_BYTES))


def sidecar_vtt(ffmpeg: str, folder_fd: int, sidecar: Sidecar, timeout: float = 60.0) -> str:
    text = read_sidecar_text(folder_fd, sidecar)
    if sidecar.format == "webvtt":
        return text if text.startswith("WEBVTT") else "WEBVTT\n\n" + text
    if sidecar.format == "srt":
        # SRT to WebVTT is a header and a decimal point (WebVTT §4); no process needed.
        body = _SRT_TIME.sub(r"\1.\2", text.replace("\r\n", "\n"))
        return "WEBVTT\n\n" + body.lstrip("\ufeff")
    argv = subtitle_argv(ffmpeg, STDIN, None, sidecar.format)
    return _run(argv, STDIN, text.encode("utf-8"), timeout)


def embedded_vtt(ffmpeg: str, open_input: InputOpener, stream_index: int,
                 timeout: float = 60.0) -> str:
    with open_input() as source:
        return _run(subtitle_argv(ffmpeg, source, stream_index), source, None, timeout)


def _run(argv: list[str], source: Input, stdin: bytes | None, timeout: float) -> str:
    try:
        done = run_tool(argv, source, timeout, stdin)
    except subprocess.TimeoutExpired as exc:
        raise SubtitleFailed("transcode_failed", detail="timeout") from exc
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
        raise SubtitleFailed("transcode_failed", detail=detail[0][-200:])
    return done.stdout.decode("utf-8", "replace")
