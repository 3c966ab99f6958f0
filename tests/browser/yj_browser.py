"""Helpers the browser tests share."""

from __future__ import annotations

from typing import Any


def wait_until(page: Any, expression: str, timeout: float = 30_000) -> None:
    """Waits until ``expression`` is true in ``page``. Playwright's wait_for_function
    evaluates its string in the page, which the pages' policy (script-src 'self', no
    'unsafe-eval') refuses; page.evaluate goes through the DevTools protocol instead."""
    import time

    deadline = time.monotonic() + timeout / 1000
    while not _evaluate(page, expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout / 1000:.0f} s: {expression}")
        page.wait_for_timeout(100)


def _evaluate(page: Any, expression: str) -> Any:
    """The expression's value, or None while a navigation replaces the document (a form's
    POST and redirect): the next poll reads the new page."""
    from playwright.sync_api import Error

    try:
        return page.evaluate(expression)
    except Error as error:
        if "context was destroyed" in str(error) or "navigat" in str(error):
            return None
        raise
