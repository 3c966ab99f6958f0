"""Poster frames: one picture per video item, made on first request and cached."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

from media.errors import MediaError
from media.ffmpeg import poster_argv, run_tool
from media.transcode import InputOpener

_making = threading.Lock()


class PosterFailed(MediaError):
    status = 404


def poster_time(duration: float | None) -> float:
    """A tenth into the item (past black frames and logos), at most a minute in."""
    return min(60.0, (duration or 0) * 0.1)


def make_poster(ffmpeg: str, open_input: InputOpener, duration: float | None, output: Path,
                timeout: float = 60.0) -> Path:
    if output.exists():
        return output
    # One at a time: posters are small, and a page of thumbnails must not start a
    # hundred ffmpeg processes on a station PC.
    with _making:
        if output.exists():
            return output
        output.parent.mkdir(parents=True, exist_ok=True)
        partial = output.with_suffix(".part.jpg")
        with open_input() as source:
            argv = poster_argv(ffmpeg, source, poster_time(duration), str(partial))
            try:
                done = run_tool(argv, source, timeout)
            except subprocess.TimeoutExpired as exc:
                raise PosterFailed("transcode_failed", detail="timeout") from exc
        if done.returncode != 0 or not partial.exists() or partial.stat().st_size == 0:
            partial.unlink(missing_ok=True)
            detail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
            raise PosterFailed("transcode_failed", detail=detail[0][-200:])
        partial.rename(output)
    return output
