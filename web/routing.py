"""How a route is made: behind its access rule (web/access.py), with ids as its integers;
and the routes that belong to no area (the health probe, static files)."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from web import views
from web.auth import Endpoint, guarded

STATIC = Path(__file__).parent / "static"


def route(path: str, endpoint: Endpoint, name: str,
          methods: list[str] | None = None) -> Route:
    """A route behind the access rule web/access.py declares for ``name``. Its integers
    are ids (web/params.py): a number too long for one matches no route, never int()."""
    return Route(path.replace(":int}", ":id}"), guarded(endpoint, name), name=name,
                 methods=methods)


routes: list[BaseRoute] = [
    route("/healthz", views.healthz, name="healthz"),
    Mount("/static", StaticFiles(directory=STATIC), name="static"),
]
