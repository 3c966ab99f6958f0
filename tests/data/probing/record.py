"""Re-record the ffprobe JSON in this directory (used by tests/media/test_normalize.py).

    .venv/bin/python tests/data/probing/record.py

Each sample is made by ffmpeg from lavfi sources in a temporary directory; only the JSON of
``ffprobe -v error -show_format -show_streams -of json FILE`` is kept, with "filename"
reduced to the base name. Recorded with ffmpeg 5.1 (Debian 12).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Lengths the tests compare the recorded durations with.
VIDEO_SECONDS = 2.0
AUDIO_SECONDS = 3.0


def _av(seconds: float = VIDEO_SECONDS) -> list[str]:
    return [
        "-f", "lavfi", "-i", f"testsrc2=size=160x120:rate=15:duration={seconds}",
        "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:duration={seconds}",
    ]  # fmt: skip


def _audio(seconds: float = AUDIO_SECONDS) -> list[str]:
    return ["-f", "lavfi", "-i", f"sine=frequency=330:sample_rate=44100:duration={seconds}"]


X264 = ["-c:v", "libx264", "-preset", "ultrafast"]

# json name (without .json) -> (media file name, ffmpeg arguments before the output file)
SAMPLES: dict[str, tuple[str, list[str]]] = {
    "mp4_h264_aac": (
        "clip.mp4",
        [*_av(), *X264, "-pix_fmt", "yuv420p", "-c:a", "aac", "-movflags", "+faststart"],
    ),
    "mp4_mpeg4part2_aac": ("clip.mp4", [*_av(), "-c:v", "mpeg4", "-q:v", "8", "-c:a", "aac"]),
    "mp4_hevc_aac": (
        "clip.mp4",
        [*_av(), "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error",
         "-tag:v", "hvc1", "-c:a", "aac"],
    ),
    "mp4_h264_high10_aac": (
        "clip.mp4",
        [*_av(), *X264, "-pix_fmt", "yuv420p10le", "-profile:v", "high10", "-c:a", "aac"],
    ),
    "mkv_h264_mp3": (
        "clip.mkv",
        [*_av(), *X264, "-pix_fmt", "yuv420p", "-c:a", "libmp3lame", "-b:a", "64k"],
    ),
    "webm_vp9_opus": (
        "clip.webm",
        [*_av(), "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8",
         "-b:v", "200k", "-c:a", "libopus", "-b:a", "48k"],
    ),
    "avi_mpeg4_mp3": (
        "clip.avi",
        [*_av(), "-c:v", "mpeg4", "-q:v", "8", "-c:a", "libmp3lame", "-b:a", "64k"],
    ),
    "flv_flv1_mp3": (
        "clip.flv",
        [*_av(), "-c:v", "flv", "-q:v", "8", "-c:a", "libmp3lame", "-ar", "44100", "-b:a", "64k"],
    ),
    "wmv_wmv2_wmav2": (
        "clip.wmv",
        [*_av(), "-c:v", "wmv2", "-q:v", "8", "-c:a", "wmav2", "-b:a", "64k"],
    ),
    "mpeg_ps_mpeg2_mp2": (
        "clip.mpg",
        [*_av(), "-c:v", "mpeg2video", "-q:v", "8", "-c:a", "mp2", "-b:a", "128k", "-f", "vob"],
    ),
    "mp3_with_cover": (
        "song.mp3",
        [*_audio(), "-f", "lavfi", "-i", "testsrc=size=64x64:rate=1:duration=1", "-frames:v", "1",
         "-map", "0:a", "-map", "1:v", "-c:a", "libmp3lame", "-b:a", "64k", "-c:v", "png",
         "-disposition:v", "attached_pic", "-id3v2_version", "3",
         "-metadata", "title=黄梅戏选段", "-metadata", "genre=戏曲"],
    ),
    "m4a_aac": ("audio.m4a", [*_audio(), "-c:a", "aac", "-b:a", "64k"]),
    "mp4_h264_chinese_title_genre": (
        "rice.mp4",
        [*_av(), *X264, "-pix_fmt", "yuv420p", "-c:a", "aac",
         "-metadata", "title=水稻种植技术", "-metadata", "genre=农业科技; 种植,水稻",
         "-metadata", "comment=讲解育秧、插秧和田间管理。"],
    ),
}  # fmt: skip


def record(directory: Path) -> None:
    for name, (file_name, args) in SAMPLES.items():
        media = directory / name / file_name
        media.parent.mkdir()
        argv = ["ffmpeg", "-nostdin", "-v", "error", "-y", *args, str(media)]
        subprocess.run(argv, check=True)
        probe = subprocess.run(
            ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(media)],
            check=True,
            capture_output=True,
        )
        data = json.loads(probe.stdout)
        data["format"]["filename"] = media.name
        text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        (HERE / f"{name}.json").write_text(text, encoding="utf-8")
        print(name, data["format"].get("duration"), file=sys.stderr)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        record(Path(tmp))
