"""Make HLS segments with ffmpeg, on demand, a bounded number at a time, cached on disk.

A segment is made when a player asks for it (and the next one is made ahead while a
slot is free), so a seek to the middle costs one segment, not the film up to there.
Every ffmpeg run ends by itself; nothing runs when nobody watches. Beyond ``slots``
concurrent runs the caller gets ``TranscodeBusy`` (HTTP 503 with Retry-After).
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass
from pathlib import Path

from media.errors import MediaError
from media.ffmpeg import Input, remux_segment_argv, run_tool, segment_argv
from media.hls import Segment

RETRY_AFTER_SECONDS = 5
# Opens the item (once, below its root) for one ffmpeg run; closes it after.
InputOpener = Callable[[], AbstractContextManager[Input]]


@dataclass(frozen=True)
class Remux:
    """Copy the H.264 video (segments on its key frames) instead of encoding it."""

    copy_audio: bool  # AAC already; otherwise the audio alone is encoded
    end: float | None  # where the next segment's key frame is; None for the last


class TranscodeBusy(MediaError):
    status = 503


class TranscodeFailed(MediaError):
    status = 500


class Transcoder:
    def __init__(self, cache_dir: Path, ffmpeg: str = "ffmpeg", slots: int = 2,
                 cache_bytes: int = 2 << 30, timeout: float = 120.0) -> None:
        self.cache_dir = cache_dir
        self.ffmpeg = ffmpeg
        self.slots = slots
        self.cache_bytes = cache_bytes
        self.timeout = timeout
        self._free = threading.BoundedSemaphore(slots)
        self._locks: dict[Path, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._ahead = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hls-ahead")
        self.runs = 0  # ffmpeg processes started, for tests and figures

    def reset_cache(self) -> None:
        """Segments from an earlier run may be half-written or stale: start empty."""
        if self.cache_dir.exists():
            for path in sorted(self.cache_dir.rglob("*"), reverse=True):
                path.unlink() if path.is_file() else path.rmdir()
        self.cache_dir.mkdir(parents=True, exist_ok=True)

    def segment(self, key: str, open_input: InputOpener, segment: Segment,
                audio_only: bool = False, wait: bool = False, remux: Remux | None = None
                ) -> Path:
        """The segment's file, made now if it is not cached. Raises TranscodeBusy when
        every slot is taken (unless ``wait``), TranscodeFailed when ffmpeg fails."""
        name = f"c{segment.index}.ts" if remux else f"{segment.index}.ts"
        output = self.cache_dir / key / name
        with self._lock_for(output):
            if output.exists():
                os.utime(output)  # most recently used: trimmed last
                return output
            if not self._free.acquire(blocking=wait):
                raise TranscodeBusy("transcode_busy", slots=self.slots,
                                    retry=RETRY_AFTER_SECONDS)
            try:
                self._run(open_input, segment, output, audio_only, remux)
            finally:
                self._free.release()
        self._trim()
        return output

    def make_ahead(self, key: str, open_input: InputOpener, segment: Segment,
                   audio_only: bool = False, remux: Remux | None = None) -> None:
        """Make the next segment in the background if a slot is free; never waits."""
        def work() -> None:
            # On failure the player's own request makes it, or reports the error.
            with suppress(TranscodeBusy, TranscodeFailed, OSError):
                self.segment(key, open_input, segment, audio_only, remux=remux)

        self._ahead.submit(work)

    def _lock_for(self, output: Path) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(output, threading.Lock())

    def _run(self, open_input: InputOpener, segment: Segment, output: Path,
             audio_only: bool, remux: Remux | None) -> None:
        output.parent.mkdir(parents=True, exist_ok=True)
        partial = output.with_suffix(".part")
        with open_input() as source:
            if remux:
                argv = remux_segment_argv(self.ffmpeg, source, segment.start, remux.end,
                                          str(partial), remux.copy_audio)
            else:
                argv = segment_argv(self.ffmpeg, source, segment.start, segment.duration,
                                    str(partial), audio_only)
            self.runs += 1
            try:
                done = run_tool(argv, source, self.timeout)
            except subprocess.TimeoutExpired as exc:
                raise TranscodeFailed("transcode_failed", detail="timeout") from exc
        if done.returncode != 0 or not partial.exists() or partial.stat().st_size == 0:
            partial.unlink(missing_ok=True)
            last = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
            raise TranscodeFailed("transcode_failed", detail=last[0][-200:])
        partial.rename(output)  # readers see whole segments only

    def _trim(self) -> None:
        files = [p for p in self.cache_dir.rglob("*.ts") if p.is_file()]
        total = sum(p.stat().st_size for p in files)
        for path in sorted(files, key=lambda p: p.stat().st_mtime):
            if total <= self.cache_bytes:
                break
            total -= path.stat().st_size
            path.unlink(missing_ok=True)

    def close(self) -> None:
        self._ahead.shutdown(wait=False, cancel_futures=True)
