"""The built-in demo library: small sample courseware made by ffmpeg, one spec table.

Used by the quick start (`./scripts/run`) and by the tests, which check that every demo
item lands in its intended theme. Names are Chinese, containers and codecs varied the
way station downloads are.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from catalog.library.themes import Theme

MANIFEST = "demo-manifest.json"

# Codec choices per container: what real downloads of each kind usually hold.
ENCODINGS: dict[str, list[str]] = {
    "mp4-h264": ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                 "-c:a", "aac", "-b:a", "64k", "-movflags", "+faststart"],
    "mp4-mpeg4": ["-c:v", "mpeg4", "-q:v", "8", "-c:a", "aac", "-b:a", "64k"],
    "mkv-h264": ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                 "-c:a", "libmp3lame", "-b:a", "64k"],
    "avi-mpeg4": ["-c:v", "mpeg4", "-q:v", "8", "-c:a", "libmp3lame", "-b:a", "64k"],
    "flv": ["-c:v", "flv", "-q:v", "8", "-c:a", "libmp3lame", "-ar", "44100", "-b:a", "64k"],
    "wmv": ["-c:v", "wmv2", "-q:v", "8", "-c:a", "wmav2", "-b:a", "64k"],
    "mpg": ["-c:v", "mpeg2video", "-q:v", "8", "-c:a", "mp2", "-b:a", "128k", "-f", "vob"],
    "webm": ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "200k",
             "-c:a", "libopus", "-b:a", "48k"],
    "mp3": ["-vn", "-c:a", "libmp3lame", "-b:a", "64k"],
}
PATTERNS = ("testsrc2", "smptebars", "rgbtestsrc", "testsrc", "pal75bars", "yuvtestsrc")


@dataclass(frozen=True)
class DemoItem:
    path: str
    theme: str
    encoding: str  # a key of ENCODINGS, or "pdf"
    duration: float = 0.0
    tag_title: str = ""  # written into the container's title tag
    sidecar: str = ""  # "nfo" or "txt-gbk"
    sidecar_title: str = ""
    sidecar_genre: str = ""


DEMO_ITEMS: tuple[DemoItem, ...] = (
    DemoItem("政治理论/01_科学发展观学习辅导.mp4", Theme.POLITICS, "mp4-h264", 6.0),
    DemoItem("政治理论/新时代思想宣讲.mkv", Theme.POLITICS, "mkv-h264", 5.0),
    DemoItem("政治理论/形势与政策报告会.avi", Theme.POLITICS, "avi-mpeg4", 4.5),
    DemoItem("党建知识/党员先进性教育.flv", Theme.PARTY, "flv", 5.5),
    DemoItem("党建知识/支部三会一课规范.mp4", Theme.PARTY, "mp4-mpeg4", 4.0),
    DemoItem("党建知识/党课讲稿.pdf", Theme.PARTY, "pdf"),
    DemoItem("农村政策法规/新农合政策问答.mp4", Theme.POLICY, "mp4-h264", 5.0),
    DemoItem("农村政策法规/土地承包法律讲座.mp3", Theme.POLICY, "mp3", 7.0),
    DemoItem("农村政策法规/低保申请指南.wmv", Theme.POLICY, "wmv", 4.0),
    DemoItem("先进适用科技/rice.mp4", Theme.TECHNOLOGY, "mp4-h264", 6.5,
             tag_title="水稻种植技术"),
    DemoItem("先进适用科技/生猪养殖与疫病防治.mkv", Theme.TECHNOLOGY, "mkv-h264", 5.0),
    DemoItem("先进适用科技/大棚蔬菜栽培.mpg", Theme.TECHNOLOGY, "mpg", 4.0),
    DemoItem("健康娱乐文化/黄梅戏选段.mp3", Theme.CULTURE, "mp3", 6.0),
    DemoItem("健康娱乐文化/农村常见病预防与健康生活.mp4", Theme.CULTURE, "mp4-h264", 5.0),
    DemoItem("健康娱乐文化/广场舞教学.webm", Theme.CULTURE, "webm", 4.0),
    # Loose downloads: only their sidecars say what they are.
    DemoItem("新下载/video_0315.mp4", Theme.PARTY, "mp4-h264", 4.5, sidecar="nfo",
             sidecar_title="村党支部书记谈带头致富", sidecar_genre="党建"),
    DemoItem("新下载/lesson03.avi", Theme.TECHNOLOGY, "avi-mpeg4", 5.0, sidecar="txt-gbk",
             sidecar_title="果树嫁接实用技术"),
)


def _encode(binary: str, item: DemoItem, target: Path, pattern: str, tone: int) -> None:
    sources = [
        "-f", "lavfi", "-i", f"{pattern}=size=320x240:rate=15:duration={item.duration}",
        "-f", "lavfi", "-i", f"sine=frequency={tone}:sample_rate=44100:duration={item.duration}",
    ]
    if item.encoding == "mp3":
        sources = sources[4:]
    tags = ["-metadata", f"title={item.tag_title}"] if item.tag_title else []
    argv = [binary, "-v", "error", "-y", *sources, *ENCODINGS[item.encoding], *tags,
            "-t", str(item.duration), str(target)]
    subprocess.run(argv, check=True)


def _write_sidecar(item: DemoItem, target: Path) -> None:
    if item.sidecar == "nfo":
        target.with_suffix(".nfo").write_text(
            '<?xml version="1.0" encoding="UTF-8"?>\n<movie>\n'
            f"  <title>{item.sidecar_title}</title>\n"
            "  <plot>示范课件，由远教自动生成。</plot>\n"
            f"  <genre>{item.sidecar_genre}</genre>\n</movie>\n", encoding="utf-8")
    elif item.sidecar == "txt-gbk":
        # Old station PCs write GBK text files.
        target.with_suffix(".txt").write_bytes(
            f"{item.sidecar_title}\r\n讲解嫁接时间、接穗选择和管理要点。\r\n".encode("gbk"))


def write_pdf(target: Path, text: str) -> None:
    """A minimal valid one-page PDF, written directly (no PDF library needed)."""
    stream = f"BT /F1 18 Tf 50 750 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    target.write_bytes(bytes(out))


def make_demo_library(directory: Path, ffmpeg: str = "ffmpeg",
                      items: tuple[DemoItem, ...] = DEMO_ITEMS) -> list[DemoItem]:
    """Write the demo library under directory (existing files are kept) and its manifest."""
    directory.mkdir(parents=True, exist_ok=True)
    for number, item in enumerate(items):
        target = directory / item.path
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            if item.encoding == "pdf":
                write_pdf(target, "Yuanjiao demo lecture notes")
            else:
                _encode(ffmpeg, item, target, PATTERNS[number % len(PATTERNS)],
                        300 + 40 * number)
        _write_sidecar(item, target)
    manifest = [asdict(item) for item in items]
    (directory / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1),
                                      encoding="utf-8")
    return list(items)
