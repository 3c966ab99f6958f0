"""Key frame indexes, for HLS that copies H.264 instead of encoding it again.

A copied segment can only start on a key frame, so its boundaries come from the file:
ffprobe lists the video packets (demuxing only, no decoding: about a second per GB from
the page cache) and the index is kept on disk per item version. The first request for an
item waits briefly for the index; a long file keeps indexing in the background while that
player is served encoded segments, and later players get copied ones.
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

from media.ffmpeg import keyframes_argv, run_tool
from media.hls import SEGMENT_SECONDS, Segment
from media.transcode import InputOpener

# A copied segment this many times the target length (a file with key frames minutes
# apart) would make seeking coarse and first play slow: such files are encoded instead.
LONGEST_COPY_SEGMENT = 3 * SEGMENT_SECONDS
BROWSER_H264_PROFILES = {"Constrained Baseline", "Baseline", "Main", "High"}
BROWSER_PIX_FMTS = {"yuv420p", "yuvj420p"}


def can_copy_video(streams: list[dict[str, object]]) -> bool:
    """Whether the item's first video stream is H.264 a browser decodes (8-bit 4:2:0)."""
    video = next((s for s in streams if s.get("type") == "video"), None)
    return (video is not None and video.get("codec") == "h264"
            and video.get("profile") in BROWSER_H264_PROFILES
            and video.get("pix_fmt", "yuv420p") in BROWSER_PIX_FMTS)


def can_copy_audio(streams: list[dict[str, object]]) -> bool:
    audio = next((s for s in streams if s.get("type") == "audio"), None)
    return audio is None or audio.get("codec") == "aac"


def parse_keyframes(text: str) -> list[float]:
    """Key frame times from ffprobe's ``pts_time|flags`` lines, counted from the
    container's start time (the last line), as ``-start_at_zero`` counts them."""
    times: list[float] = []
    start = 0.0
    for line in text.splitlines():
        fields = line.strip().split("|")
        if len(fields) == 1 and fields[0] and fields[0] != "N/A":
            start = float(fields[0])
        elif len(fields) == 2 and "K" in fields[1] and fields[0] not in {"", "N/A"}:
            times.append(float(fields[0]))
    return sorted({round(t - start, 6) for t in times})


def copy_plan(keyframes: list[float], duration: float, target: float = SEGMENT_SECONDS
              ) -> list[Segment] | None:
    """Segments starting on key frames, each the first key frame at least ``target``
    seconds after the previous start; None when the key frames are too far apart."""
    if not keyframes or duration <= 0:
        return None
    starts = [0.0]  # the first key frame may sit a few ms in (B-frame delay)
    for time in keyframes[1:]:
        if time >= duration - 0.1:
            break
        if time - starts[-1] >= target - 0.001:  # times print rounded to the µs
            starts.append(time)
    ends = [*starts[1:], duration]
    segments = [Segment(n, start, end - start) for n, (start, end) in
                enumerate(zip(starts, ends, strict=True))]
    if max(s.duration for s in segments) > LONGEST_COPY_SEGMENT:
        return None
    return segments


class KeyframeIndex:
    """Key frame times per item version, on disk under ``cache_dir`` and in memory."""

    MEMORY_ITEMS = 256

    def __init__(self, cache_dir: Path, ffprobe: str = "ffprobe", timeout: float = 600.0
                 ) -> None:
        self.cache_dir = cache_dir
        self.ffprobe = ffprobe
        self.timeout = timeout
        self._memory: OrderedDict[str, list[float] | None] = OrderedDict()
        self._running: dict[str, Future[list[float] | None]] = {}
        self._guard = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="keyframes")

    def lookup(self, key: str, open_input: InputOpener, wait: float | None
               ) -> list[float] | None:
        """The item's key frame times, or None if they are not known within ``wait``
        seconds (None: as long as it takes) or the file has no readable video packets."""
        with self._guard:
            if key in self._memory:
                self._memory.move_to_end(key)
                return self._memory[key]
            stored = self._read(key)
            if stored is not None:
                return self._remember(key, stored)
            job = self._running.get(key)
            if job is None:
                job = self._pool.submit(self._index, key, open_input)
                self._running[key] = job
        try:
            return job.result(timeout=wait)
        except FutureTimeout:
            return None

    def _index(self, key: str, open_input: InputOpener) -> list[float] | None:
        opened = False
        try:
            with open_input() as source:
                opened = True
                done = run_tool(keyframes_argv(self.ffprobe, source), source, self.timeout)
            found = (parse_keyframes(done.stdout.decode("ascii", "replace"))
                     if done.returncode == 0 else [])
        except (OSError, subprocess.TimeoutExpired):
            if not opened:  # the file is gone or refused for now: nothing to remember
                with self._guard:
                    self._running.pop(key, None)
                return None
            found = []
        path = self.cache_dir / f"{key}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        partial.write_text(json.dumps(found))
        partial.rename(path)
        with self._guard:
            self._running.pop(key, None)
            return self._remember(key, found)

    def _read(self, key: str) -> list[float] | None:
        try:
            return [float(t) for t in json.loads((self.cache_dir / f"{key}.json").read_text())]
        except (OSError, ValueError, TypeError):
            return None

    def _remember(self, key: str, found: list[float]) -> list[float] | None:
        value = found or None
        self._memory[key] = value
        if len(self._memory) > self.MEMORY_ITEMS:
            self._memory.popitem(last=False)
        return value

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
