"""Page language: Chinese by default; another by ?lang=…, a remembered choice, or
Accept-Language, among the languages that have a catalog (catalog.messages.languages).

Page texts are the gettext domain ``pages``: web/locale/<lang>/LC_MESSAGES/pages.po,
compiled to pages.mo; messages (errors, scan reasons) are catalog.messages'. Templates
say ``t('key', name=…)``, or ``_('key', name=…)`` through Jinja2's i18n extension, both
in the page's language. docs/translating.md says how to add a language."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request

from catalog.messages import CATALOGS, SOURCE_LANG, MessageCatalogs, languages

LANG_COOKIE = "lang"

PAGES = MessageCatalogs("pages", Path(__file__).resolve().parent / "locale")
UI = PAGES.table()


def page_languages() -> tuple[str, ...]:
    """Every language with a catalog of page texts or of messages: Chinese first."""
    return languages(PAGES, CATALOGS)


def pick_lang(request: Request) -> str:
    known = page_languages()
    asked = request.query_params.get("lang")
    if asked in known:
        return asked
    remembered = request.cookies.get(LANG_COOKIE)
    if remembered in known:
        return remembered
    return lang_from_accept(request.headers.get("accept-language", ""), known)


def lang_from_accept(header: str, known: tuple[str, ...] | None = None) -> str:
    """The first known language by q-value, a tag (bo-CN) taken for its language (bo)
    unless a catalog has the whole of it (zh_Hant for zh-Hant); Chinese when the header
    names none."""
    known = page_languages() if known is None else known
    by_tag = {lang.lower().replace("_", "-"): lang for lang in known}
    best, best_q = SOURCE_LANG, -1.0
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        tag = tag.strip().lower()
        lang = by_tag.get(tag) or by_tag.get(tag.split("-")[0])
        # Earlier entries win ties, as browsers list them in preference order.
        score = q - position * 1e-6
        if lang and q > 0 and score > best_q:
            best, best_q = lang, score
    return best


def translator(lang: str) -> Callable[..., str]:
    """``t(key, **fields)``: a page text in ``lang``, in Chinese where ``lang`` lacks it."""
    return PAGES.translator(lang)


def html_lang(lang: str) -> str:
    """The page's <html lang>: a BCP 47 tag (zh-CN, en, bo, zh-Hant)."""
    return "zh-CN" if lang == SOURCE_LANG else lang.replace("_", "-")


def install_jinja_i18n(env: jinja2.Environment) -> None:
    """Jinja2's i18n extension with gettext bound to each page's language (its context's
    ``lang``), so one environment serves concurrent pages in several languages:
    ``{{ _('catalog') }}`` is ``{{ t('catalog') }}``. Fields are ``str.format``'s, as
    in the catalogs: ``_('signed_in_as', name=…)``; hence the old-style callables, which
    leave the formatting to us (new-style ones apply ``%``)."""
    env.add_extension("jinja2.ext.i18n")

    @jinja2.pass_context
    def gettext(context: jinja2.runtime.Context, key: str, **fields: Any) -> str:
        return translator(context.get("lang") or SOURCE_LANG)(key, **fields)

    @jinja2.pass_context
    def ngettext(context: jinja2.runtime.Context, singular: str, plural: str, n: int,
                 **fields: Any) -> str:
        chain = PAGES.translations(context.get("lang") or SOURCE_LANG)
        return chain.ngettext(singular, plural, n).format(n=n, **fields)

    env.install_gettext_callables(gettext, ngettext, newstyle=False)  # type: ignore[attr-defined]
    env.globals["t"] = gettext  # for a template rendered without render()'s t
    env.globals["html_lang"] = html_lang


class LangMiddleware:
    """Remembers ?lang=… in a cookie so every later page keeps the chosen language."""

    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
        self.app = app

    @classmethod
    def as_middleware(cls):  # type: ignore[no-untyped-def]
        from starlette.middleware import Middleware

        return Middleware(cls)

    async def __call__(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        asked = request.query_params.get("lang")
        # Only a language with a catalog: its name (LANG_NAME) is safe in a header.
        if asked not in page_languages():
            await self.app(scope, receive, send)
            return

        async def send_with_cookie(message) -> None:  # type: ignore[no-untyped-def]
            if message["type"] == "http.response.start":
                cookie = f"{LANG_COOKIE}={asked}; Path=/; Max-Age=31536000; SameSite=Lax"
                message.setdefault("headers", []).append((b"set-cookie", cookie.encode()))
            await send(message)

        await self.app(scope, receive, send_with_cookie)
