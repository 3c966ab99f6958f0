"""Text subtitles as WebVTT: sidecar .srt/.ass files (often GBK) and embedded text streams."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass

from catalog.encoding import decode_text
from media.errors import MediaError
from media.ffmpeg import subtitle_argv
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
    path: bytes
    label: str
    language: str
    format: str


def find_sidecars(media_path: bytes) -> list[Sidecar]:
    folder, name = os.path.split(media_path)
    stem = os.path.splitext(name)[0]
    found = []
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    for candidate in names:
        base, ext = os.path.splitext(candidate)
        fmt = SIDECAR_FORMATS.get(ext.decode("ascii", "replace").lower())
        if fmt is None or not (base == stem or base.startswith(stem + b".")):
            continue
        path = os.path.join(folder, candidate)
        if os.path.islink(path) or not os.path.isfile(path):
            continue  # links could point anywhere
        hint = base[len(stem) + 1:].decode("utf-8", "replace") if base != stem else ""
        found.append(Sidecar(path, hint or ext.decode().lstrip("."),
                             _LANGUAGE_HINTS.get(hint.lower(), hint.lower() or "zh"), fmt))
    return found


_SRT_TIME = re.compile(r"(\d\d:\d\d:\d\d),(\d\d\d)")


def sidecar_vtt(ffmpeg: str, sidecar: Sidecar, timeout: float = 60.0) -> str:
    with open(sidecar.path, "rb") as f:
        text = decode_text(f.read(MAX_SIDECAR_BYTES))
    if sidecar.format == "webvtt":
        return text if text.startswith("WEBVTT") else "WEBVTT\n\n" + text
    if sidecar.format == "srt":
        # SRT to WebVTT is a header and a decimal point (WebVTT §4); no process needed.
        body = _SRT_TIME.sub(r"\1.\2", text.replace("\r\n", "\n"))
        return "WEBVTT\n\n" + body.lstrip("\ufeff")
    argv = subtitle_argv(ffmpeg, "pipe:0", "pipe", None, sidecar.format)
    return _run(argv, text.encode("utf-8"), timeout)


def embedded_vtt(ffmpeg: str, open_input: InputOpener, stream_index: int,
                 timeout: float = 60.0) -> str:
    with open_input() as (source, protocols):
        return _run(subtitle_argv(ffmpeg, source, protocols, stream_index), None, timeout)


def _run(argv: list[str], stdin: bytes | None, timeout: float) -> str:
    try:
        done = subprocess.run(argv, input=stdin, capture_output=True, timeout=timeout,
                              check=False)
    except subprocess.TimeoutExpired as exc:
        raise SubtitleFailed("transcode_failed", detail="timeout") from exc
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
        raise SubtitleFailed("transcode_failed", detail=detail[0][-200:])
    return done.stdout.decode("utf-8", "replace")
