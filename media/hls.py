"""HLS plans, pure: which segments an item has and the playlist that lists them all.

The whole duration is listed up front (a VOD playlist), so players can seek anywhere
before a single segment exists; media/transcode.py makes each segment when asked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

SEGMENT_SECONDS = 6.0


@dataclass(frozen=True)
class Segment:
    index: int
    start: float
    duration: float


def segment_plan(duration: float, length: float = SEGMENT_SECONDS) -> list[Segment]:
    """Equal segments covering ``duration``; the last one holds the remainder. A tail
    shorter than 0.1 s joins the segment before it (players dislike near-empty ones)."""
    if duration <= 0:
        return []
    count = max(1, math.ceil(duration / length))
    if count > 1 and duration - (count - 1) * length < 0.1:
        count -= 1
    segments = [Segment(n, n * length, length) for n in range(count - 1)]
    last_start = (count - 1) * length
    segments.append(Segment(count - 1, last_start, duration - last_start))
    return segments


def media_playlist(segments: list[Segment], uri: str = "{index}.ts") -> str:
    """An HLS version 3 VOD playlist (RFC 8216) naming every segment."""
    target = max((math.ceil(s.duration) for s in segments), default=1)
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", f"#EXT-X-TARGETDURATION:{target}",
             "#EXT-X-MEDIA-SEQUENCE:0", "#EXT-X-PLAYLIST-TYPE:VOD"]
    for segment in segments:
        lines.append(f"#EXTINF:{segment.duration:.3f},")
        lines.append(uri.format(index=segment.index))
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"
