"""Short, familiar names for containers (ffprobe says "mov,mp4,m4a,3gp,3g2,mj2")."""

from __future__ import annotations

FORMAT_LABELS: dict[str, str] = {
    "mov,mp4,m4a,3gp,3g2,mj2": "MP4",
    "matroska,webm": "MKV",
    "avi": "AVI",
    "flv": "FLV",
    "asf": "WMV",
    "mpeg": "MPEG",
    "mpegts": "TS",
    "rm": "RM",
    "mp3": "MP3",
    "wav": "WAV",
    "ogg": "OGG",
    "flac": "FLAC",
    "aac": "AAC",
    "pdf": "PDF",
    "doc": "DOC",
    "docx": "DOCX",
    "ppt": "PPT",
    "pptx": "PPTX",
}


def format_label(container: str, rel_path: str = "") -> str:
    label = FORMAT_LABELS.get(container)
    if label == "MKV" and rel_path.lower().endswith(".webm"):
        return "WebM"
    if label == "MP4" and rel_path.lower().endswith((".m4a", ".mov", ".3gp")):
        return rel_path.rsplit(".", 1)[-1].upper()
    return label or container.split(",")[0].upper()
