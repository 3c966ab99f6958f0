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


MIME_TYPES: dict[str, tuple[str, str]] = {
    # format label -> (video MIME, audio-only MIME)
    "MP4": ("video/mp4", "audio/mp4"),
    "M4A": ("audio/mp4", "audio/mp4"),
    "MOV": ("video/quicktime", "audio/mp4"),
    "3GP": ("video/3gpp", "audio/3gpp"),
    "WebM": ("video/webm", "audio/webm"),
    "MKV": ("video/x-matroska", "audio/x-matroska"),
    "AVI": ("video/x-msvideo", "video/x-msvideo"),
    "FLV": ("video/x-flv", "video/x-flv"),
    "WMV": ("video/x-ms-wmv", "audio/x-ms-wma"),
    "MPEG": ("video/mpeg", "audio/mpeg"),
    "TS": ("video/mp2t", "video/mp2t"),
    "RM": ("application/vnd.rn-realmedia", "audio/x-pn-realaudio"),
    "MP3": ("audio/mpeg", "audio/mpeg"),
    "WAV": ("audio/wav", "audio/wav"),
    "OGG": ("video/ogg", "audio/ogg"),
    "FLAC": ("audio/flac", "audio/flac"),
    "AAC": ("audio/aac", "audio/aac"),
    "PDF": ("application/pdf", "application/pdf"),
    "DOC": ("application/msword", "application/msword"),
    "DOCX": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",) * 2,
    "PPT": ("application/vnd.ms-powerpoint", "application/vnd.ms-powerpoint"),
    "PPTX": ("application/vnd.openxmlformats-officedocument.presentationml.presentation",) * 2,
}


def mime_type(container: str, kind: str, rel_path: str = "") -> str:
    """The Content-Type of an item's bytes, from its probed container (not its name)."""
    pair = MIME_TYPES.get(format_label(container, rel_path))
    if pair is None:
        return "application/octet-stream"
    return pair[1] if kind == "audio" else pair[0]
