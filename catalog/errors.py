"""The catalog's error hierarchy. Each error carries a message key and its fields."""

from __future__ import annotations

from typing import Any

from catalog.messages import message


class YuanjiaoError(Exception):
    """Base of every error a user may see; ``status`` is the HTTP status it maps to."""

    status = 500

    def __init__(self, key: str, **fields: Any) -> None:
        super().__init__(message(key, "en", **fields))
        self.key = key
        self.fields = fields

    def message(self, lang: str = "zh") -> str:
        return message(self.key, lang, **self.fields)


class ConfigError(YuanjiaoError):
    status = 500


class DatabaseUnavailable(YuanjiaoError):
    status = 503


class NotFound(YuanjiaoError):
    status = 404


class BadRequest(YuanjiaoError):
    status = 400


class Unauthorized(YuanjiaoError):
    status = 401


class Forbidden(YuanjiaoError):
    status = 403


class TooLarge(YuanjiaoError):
    status = 413


class TooMany(YuanjiaoError):
    status = 429
