"""Why a file could not be read as media. Keys are messages in catalog.messages."""

from __future__ import annotations

from catalog.errors import YuanjiaoError


class MediaError(YuanjiaoError):
    status = 422


class ProbeFailed(MediaError):
    """ffprobe could not make sense of the file (``scan_not_media``, ``scan_no_streams`` …)."""


class ToolMissing(MediaError):
    status = 500
