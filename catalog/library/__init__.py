"""The library: roots, items and disc images (items.py), scans, formats, themes and the
names old Windows machines wrote.

``from catalog import library`` gives the items' functions, as the one module did before."""

from catalog.library.items import *  # noqa: F403  (the package's face: the items)
