"""Whether a request wants JSON or a page: API paths, the health probe, and clients that
ask for JSON and not for HTML."""

from __future__ import annotations

from starlette.requests import Request


def wants_json(request: Request) -> bool:
    if request.url.path.startswith("/api/") or request.url.path == "/healthz":
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept
