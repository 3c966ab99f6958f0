"""Planning: sessions and playlists (sessions.py), the policy's rule checks, auto-compose,
exported playlists and what a member has coming and has watched.

``from catalog import planning`` gives the sessions' functions, as the one module did before."""

from catalog.planning.sessions import *  # noqa: F403  (the package's face: the sessions)
