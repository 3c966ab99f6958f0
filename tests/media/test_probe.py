"""media.probe.probe_media on real files made by ffmpeg, and the ffprobe adapter's argv."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from media.errors import ProbeFailed, ToolMissing
from media.ffmpeg import Input, descriptor_input, feed_input, ffprobe_argv
from media.probe import probe_media, probe_source
from media.sources import FileSource

pytestmark = pytest.mark.ffmpeg

SECONDS = 2.0
_AV = [
    "-f", "lavfi", "-i", f"testsrc2=size=160x120:rate=15:duration={SECONDS}",
    "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:duration={SECONDS}",
]  # fmt: skip
_H264_AAC = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"]


def _ffmpeg(*args: str | Path) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-y", "-v", "error", *map(str, args)], check=True)


def _ffprobe_duration(path: Path) -> float:
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-of", "json", str(path)],
        check=True,
        capture_output=True,
    )
    return float(json.loads(done.stdout)["format"]["duration"])


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None:
        pytest.skip("ffmpeg/ffprobe not on PATH")
    directory = tmp_path_factory.mktemp("probe-samples")
    made = {
        "faststart": directory / "faststart.mp4",
        "moov_last": directory / "moov_last.mp4",
        "png": directory / "picture.png",
        "jpeg": directory / "picture.jpg",
        "gif": directory / "picture.gif",
        "subtitles_only": directory / "subtitles_only.mkv",
    }
    _ffmpeg(*_AV, *_H264_AAC, "-movflags", "+faststart", made["faststart"])
    _ffmpeg(*_AV, *_H264_AAC, made["moov_last"])
    for picture in ("png", "jpeg", "gif"):
        _ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x64:duration=1", "-frames:v", "1",
                made[picture])  # fmt: skip
    srt = directory / "lesson.srt"
    srt.write_text("1\n00:00:00,000 --> 00:00:01,500\n水稻育秧\n", encoding="utf-8")
    _ffmpeg("-i", srt, made["subtitles_only"])
    return made


def _probe_failure(path: str | bytes | Path) -> ProbeFailed:
    with pytest.raises(ProbeFailed) as caught:
        probe_media(path, os.path.getsize(path))
    return caught.value


# --- files that are media -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["faststart", "moov_last"])
def test_good_mp4_duration_matches_ffprobe(samples: dict[str, Path], name: str) -> None:
    path = samples[name]
    result = probe_media(path, path.stat().st_size)

    assert result.kind == "video"
    assert result.browser_playable is True
    assert result.duration is not None
    assert abs(result.duration - _ffprobe_duration(path)) <= 0.5
    assert abs(result.duration - SECONDS) <= 0.5


def test_gbk_bytes_file_name_is_probed(samples: dict[str, Path], tmp_path: Path) -> None:
    name = "水稻".encode("gbk") + b".mp4"
    with pytest.raises(UnicodeDecodeError):
        name.decode("utf-8")  # not valid UTF-8, as on old station PCs
    path = os.fsencode(tmp_path) + b"/" + name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        os.write(fd, samples["faststart"].read_bytes())
    finally:
        os.close(fd)

    result = probe_media(path, os.stat(path).st_size)

    assert result.kind == "video"
    assert result.duration == pytest.approx(SECONDS, abs=0.5)


@pytest.mark.parametrize("file_name", ["http:evil.mp4", "-i.mp4", "concat:a.mp4|b.mp4"])
def test_names_that_look_like_protocols_or_options_are_local_files(
    samples: dict[str, Path], tmp_path: Path, file_name: str
) -> None:
    path = tmp_path / file_name
    shutil.copyfile(samples["faststart"], path)

    result = probe_media(path, path.stat().st_size)

    assert result.kind == "video"
    assert result.duration == pytest.approx(SECONDS, abs=0.5)
    # ffprobe never sees the name at all: it reads the descriptor we opened.
    argv = ffprobe_argv("ffprobe", descriptor_input(7))
    assert argv[-1] == "file:/dev/fd/7" and file_name not in " ".join(argv)


def test_relative_name_that_looks_like_a_protocol_is_a_local_file(
    samples: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copyfile(samples["faststart"], tmp_path / "http:evil.mp4")
    monkeypatch.chdir(tmp_path)

    result = probe_media("http:evil.mp4", (tmp_path / "http:evil.mp4").stat().st_size)

    assert result.kind == "video"


# --- files that are not ---------------------------------------------------------------------------


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.mp4"
    path.write_bytes(b"")
    assert _probe_failure(path).key == "scan_empty"


@pytest.mark.parametrize("file_name", ["notes.mp4", "notes.txt"])
def test_text_file_is_not_media(tmp_path: Path, file_name: str) -> None:
    path = tmp_path / file_name
    path.write_text("第一课：水稻种植技术\n这不是视频文件。\n" * 20, encoding="utf-8")
    assert _probe_failure(path).key == "scan_not_media"


@pytest.mark.parametrize("picture", ["png", "jpeg"])
def test_picture_renamed_to_avi_is_not_media(
    samples: dict[str, Path], tmp_path: Path, picture: str
) -> None:
    path = tmp_path / "lesson.avi"
    shutil.copyfile(samples[picture], path)
    assert _probe_failure(path).key == "scan_not_media"


def test_gif_picture_renamed_to_avi_is_not_media(samples: dict[str, Path], tmp_path: Path) -> None:
    path = tmp_path / "lesson.avi"
    shutil.copyfile(samples["gif"], path)
    assert _probe_failure(path).key == "scan_not_media"


def test_mp4_cut_in_half_without_faststart_fails(samples: dict[str, Path], tmp_path: Path) -> None:
    full = samples["moov_last"].read_bytes()
    assert full.find(b"moov") > full.find(b"mdat")  # moov at the end: the cut loses it
    path = tmp_path / "half.mp4"
    path.write_bytes(full[: len(full) // 2])

    failure = _probe_failure(path)

    assert failure.key in {"scan_truncated", "scan_not_media"}
    if failure.key == "scan_truncated":
        assert failure.fields["actual"] == len(full) // 2
        assert failure.fields["expected"] > len(full) // 2


def test_subtitles_only_file_has_no_streams(samples: dict[str, Path]) -> None:
    assert _probe_failure(samples["subtitles_only"]).key == "scan_no_streams"


def test_failure_messages_render_in_both_languages(tmp_path: Path) -> None:
    path = tmp_path / "notes.mp4"
    path.write_text("not a video\n", encoding="utf-8")
    failure = _probe_failure(path)
    assert failure.message("en") and failure.message("zh")
    assert str(tmp_path) not in failure.message("en")  # the detail leaves the path out


def test_missing_ffprobe_binary(samples: dict[str, Path], tmp_path: Path) -> None:
    path = samples["faststart"]
    with pytest.raises(ToolMissing) as caught:
        probe_media(path, path.stat().st_size, ffprobe=str(tmp_path / "no-such-ffprobe"))
    assert caught.value.key == "tool_missing"


def test_probe_timeout(samples: dict[str, Path]) -> None:
    path = samples["faststart"]
    with pytest.raises(ProbeFailed) as caught:
        probe_media(path, path.stat().st_size, timeout=0.001)
    assert caught.value.key == "scan_probe_timeout"


@pytest.mark.parametrize("suffix", [".mp4", ".avi", ".mpg"])
def test_a_playlist_disguised_as_video_opens_nothing(tmp_path: Path, suffix: str) -> None:
    # An HLS playlist or ffconcat file renamed to a video: ffmpeg's playlist demuxers would
    # read the files and URLs it names. Our demuxer whitelist leaves them out.
    import socket

    with socket.socket() as canary:
        canary.bind(("127.0.0.1", 0))
        canary.listen(1)
        canary.settimeout(0.5)
        port = canary.getsockname()[1]
        for body in (
            "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:10.0,\nfile:///etc/hostname\n"
            f"#EXTINF:10.0,\nhttp://127.0.0.1:{port}/x.ts\n#EXT-X-ENDLIST\n",
            f"ffconcat version 1.0\nfile /etc/hostname\nfile http://127.0.0.1:{port}/y\n",
        ):
            path = tmp_path / f"课件{suffix}"
            path.write_text(body)
            with pytest.raises(ProbeFailed) as caught:
                probe_media(path, path.stat().st_size)
            assert caught.value.key == "scan_not_media"
            # Through the loopback feed (files inside disc images), where http is allowed:
            with FileSource(path) as source, pytest.raises(ProbeFailed):
                probe_source(source)
        with pytest.raises(TimeoutError):
            canary.accept()


def test_every_ffprobe_run_names_the_demuxers_it_may_use() -> None:
    # ffmpeg 5.1 already refuses the playlist tricks above by itself; the whitelist keeps
    # us safe on builds that do not, and this test keeps the whitelist in every argv.
    for argv in (ffprobe_argv("ffprobe", descriptor_input(3)),
                 ffprobe_argv("ffprobe", feed_input("http://127.0.0.1:1/token"))):
        allowed = argv[argv.index("-format_whitelist") + 1].split(",")
        assert {"mov", "mpeg", "avi", "matroska"} <= set(allowed)
        assert not {"hls", "concat", "image2", "tty", "gif", "ffmetadata"} & set(allowed)


@pytest.mark.parametrize("source", [
    Input("file:/srv/a.mp4", "file"),  # a path ffmpeg would open again
    Input("file:/dev/fd/3", "file"),  # a descriptor the child would not inherit
    Input("file:/dev/fd/3", "file,http,tcp", (3,)),
    Input("http://example.com/a.mp4", "http,tcp"),
    Input("concat:/dev/fd/3|/etc/passwd", "file,concat", (3,)),
])
def test_only_inputs_built_by_the_adapter_reach_ffprobe(source: Input) -> None:
    with pytest.raises(ValueError, match="not an input built by yuanjiao"):
        ffprobe_argv("ffprobe", source)
