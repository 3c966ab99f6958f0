"""What every `yuanjiao` command shares: the context with the settings, messages in the
chosen language, and the exit codes (documented in web/cli.py)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any, NoReturn

import click

from catalog.db import Database
from catalog.errors import ConfigError, DatabaseUnavailable, NotFound, YuanjiaoError
from catalog.messages import message
from catalog.settings import Settings

EXIT_PROBLEM, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_UNAVAILABLE, EXIT_INTERRUPTED = 1, 2, 3, 4, 130


@dataclass
class Context:
    settings: Settings

    @property
    def lang(self) -> str:
        return self.settings.lang

    def say(self, key: str, **fields: Any) -> None:
        click.echo(message(key, self.lang, **fields))

    def fail(self, error: YuanjiaoError) -> NoReturn:
        click.echo(error.message(self.lang), err=True)
        if isinstance(error, NotFound):
            sys.exit(EXIT_NOT_FOUND)
        if isinstance(error, ConfigError | DatabaseUnavailable):
            sys.exit(EXIT_UNAVAILABLE)
        sys.exit(EXIT_PROBLEM)

    def open_db(self) -> Database:
        try:
            return Database.open(self.settings)
        except YuanjiaoError as exc:
            self.fail(exc)


pass_context = click.make_pass_decorator(Context)
