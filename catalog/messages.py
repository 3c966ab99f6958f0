"""User-facing messages: gettext catalogs whose msgids are the message keys.

Every message a user sees is a key (``bad_date``) with ``str.format`` fields
(``{name}``). Errors carry the key and the fields, and the outermost layer (CLI or page)
picks the language. Each message says what was wrong and what to do.

The texts are in ``catalog/locale/<lang>/LC_MESSAGES/messages.po``, compiled with
``pybabel compile`` to the ``.mo`` beside it, which is what is read here. Chinese is the
source language: a key exists when the Chinese catalog has it, and a text another
language lacks is said in Chinese. A language is any directory with a compiled catalog,
here or in the directories named by ``YUANJIAO_LOCALE_DIRS`` (os.pathsep-separated,
searched first), so a station adds Tibetan or Uyghur with no change to the code:
docs/translating.md. Page texts (web/i18n.py) are the ``pages`` domain, loaded the
same way.
"""

from __future__ import annotations

import gettext
import logging
import os
import re
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

from catalog.terminal import printable_fields

log = logging.getLogger(__name__)

SOURCE_LANG = "zh"
SHIPPED_LANGS = ("zh", "en")  # the order of the texts in MESSAGES' and UI's tuples
LOCALE_DIRS_ENV = "YUANJIAO_LOCALE_DIRS"
# A catalog directory's name: an ISO 639 code with an optional region or script
# (bo, ug, mn, ii, zh_Hant). Nothing else is taken, as ?lang= ends up in a cookie.
LANG_NAME = re.compile(r"[a-z]{2,3}(?:_[A-Za-z0-9]{2,8})?")


class _Catalog(gettext.GNUTranslations):
    """One compiled catalog (.mo) that can list its msgids."""

    def keys(self) -> frozenset[str]:
        catalog: dict[object, str] = vars(self)["_catalog"]
        return frozenset(k for k in catalog if isinstance(k, str) and k)


class _NoSuchKey(gettext.NullTranslations):
    """The end of every chain: a key not even Chinese has is a bug, raised as KeyError."""

    def gettext(self, message: str) -> str:
        raise KeyError(message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        raise KeyError(msgid1)


def extra_locale_dirs() -> tuple[Path, ...]:
    raw = os.environ.get(LOCALE_DIRS_ENV, "")
    return tuple(Path(part).expanduser() for part in raw.split(os.pathsep) if part.strip())


def _mo_path(directory: Path, lang: str, domain: str) -> Path:
    return directory / lang / "LC_MESSAGES" / f"{domain}.mo"


@lru_cache(maxsize=64)
def _languages(domain: str, dirs: tuple[Path, ...]) -> frozenset[str]:
    found = set()
    for directory in dirs:
        if directory.is_dir():
            found |= {entry.name for entry in directory.iterdir()
                      if LANG_NAME.fullmatch(entry.name)
                      and _mo_path(directory, entry.name, domain).is_file()}
    return frozenset(found)


def _load(domain: str, dirs: tuple[Path, ...], lang: str) -> list[_Catalog]:
    loaded = []
    for directory in dirs:
        path = _mo_path(directory, lang, domain)
        if path.is_file():
            with path.open("rb") as mo:
                loaded.append(_Catalog(mo))
    return loaded


@lru_cache(maxsize=64)
def _chain(domain: str, dirs: tuple[Path, ...], lang: str) -> gettext.NullTranslations:
    """The language's catalogs (extra directories first), then Chinese's, then KeyError."""
    if not LANG_NAME.fullmatch(lang):
        lang = SOURCE_LANG
    source = _load(domain, dirs, SOURCE_LANG)
    if not source:
        raise FileNotFoundError(
            f"no compiled Chinese catalog {_mo_path(dirs[-1], SOURCE_LANG, domain)}: "
            "run scripts/translations (docs/translating.md)")
    catalogs = [*(_load(domain, dirs, lang) if lang != SOURCE_LANG else []), *source]
    chain: gettext.NullTranslations = catalogs[0]
    for fallback in [*catalogs[1:], _NoSuchKey()]:
        chain.add_fallback(fallback)
    return chain


class MessageCatalogs:
    """One gettext domain: its shipped catalogs and those of the extra directories."""

    def __init__(self, domain: str, shipped: Path) -> None:
        self.domain = domain
        self.shipped = shipped

    def dirs(self) -> tuple[Path, ...]:
        return (*extra_locale_dirs(), self.shipped)

    def languages(self) -> frozenset[str]:
        return _languages(self.domain, self.dirs())

    def translations(self, lang: str) -> gettext.NullTranslations:
        return _chain(self.domain, self.dirs(), lang)

    def keys(self) -> frozenset[str]:
        keys: frozenset[str] = frozenset()
        for catalog in _load(self.domain, self.dirs(), SOURCE_LANG):
            keys |= catalog.keys()
        return keys

    def text(self, key: str, lang: str) -> str:
        if not key:
            raise KeyError(key)  # gettext's "" is the catalog's header
        return self.translations(lang).gettext(key)

    def translator(self, lang: str) -> Callable[..., str]:
        """``t(key, **fields)``: the text in ``lang``, its fields filled in."""
        chain = self.translations(lang)
        source = self.translations(SOURCE_LANG)

        def t(key: str, /, **fields: Any) -> str:
            if not key:
                raise KeyError(key)
            text = chain.gettext(key)
            try:
                return text.format(**fields)
            except (KeyError, IndexError, ValueError, AttributeError) as exc:
                said = source.gettext(key)
                if text == said:
                    raise
                # A station's own translation names a field the caller does not give
                # (tests/test_messages.py checks the shipped ones): say it in Chinese.
                log.warning("message %r in %r cannot be filled in (%s); said in Chinese",
                            key, lang, exc)
                return said.format(**fields)

        return t

    def table(self) -> Mapping[str, tuple[str, ...]]:
        return _Table(self)


class _Table(Mapping[str, tuple[str, ...]]):
    """key -> its texts in SHIPPED_LANGS, for callers that compare with the texts."""

    def __init__(self, catalogs: MessageCatalogs) -> None:
        self.catalogs = catalogs

    def __getitem__(self, key: str) -> tuple[str, ...]:
        return tuple(self.catalogs.text(key, lang) for lang in SHIPPED_LANGS)

    def __contains__(self, key: object) -> bool:
        try:
            return isinstance(key, str) and bool(self.catalogs.text(key, SOURCE_LANG))
        except KeyError:
            return False

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self.catalogs.keys()))

    def __len__(self) -> int:
        return len(self.catalogs.keys())


CATALOGS = MessageCatalogs("messages", Path(__file__).resolve().parent / "locale")
MESSAGES = CATALOGS.table()


def languages(*domains: MessageCatalogs) -> tuple[str, ...]:
    """The languages with a catalog in any of the domains: Chinese, English, the rest."""
    found = set(SHIPPED_LANGS).union(*(d.languages() for d in domains or (CATALOGS,)))
    order = {lang: n for n, lang in enumerate(SHIPPED_LANGS)}
    return tuple(sorted(found, key=lambda lang: (order.get(lang, len(order)), lang)))


def message(key: str, lang: str = "zh", **fields: Any) -> str:
    # Fields carry titles, paths and errors from outside: no control reaches a terminal.
    return CATALOGS.translator(lang)(key, **printable_fields(fields))


def extract_source_texts(fileobj: IO[bytes], keywords: object, comment_tags: object,
                         options: Mapping[str, str]) -> Iterator[tuple[int, None, str,
                                                                       list[str]]]:
    """A Babel extraction method (catalog/locale/babel.cfg, web/locale/babel.cfg): the
    source (Chinese) catalog's keys, each with its texts as comments for the translator,
    in the source language and in those ``options["show"]`` names (``show = en``)."""
    from babel.messages.pofile import read_po

    here = Path(str(getattr(fileobj, "name", "")))  # <dir>/zh/LC_MESSAGES/<domain>.po
    source = read_po(fileobj)
    shown = {here.parents[1].name: source}
    for lang in options.get("show", "").split():
        other = here.parents[2] / lang / "LC_MESSAGES" / here.name
        if other.is_file():
            with other.open("rb") as po:
                shown[lang] = read_po(po)
    for entry in source:
        if not isinstance(entry.id, str) or not entry.id or not entry.string:
            continue  # the header, or a key nobody wrote the Chinese for
        comments = list(entry.user_comments)
        for lang, catalog in shown.items():
            said = catalog.get(entry.id)
            if said is not None and isinstance(said.string, str) and said.string:
                comments.append(f"{lang}: {said.string}")
        yield entry.lineno or 0, None, entry.id, comments
