"""The organization: the tree of city, towns, branches and stations (tree.py), members
and rosters, accounts and sign-ins, station tokens, and who may see what (scope.py).

``from catalog import org`` gives the tree's functions, as the one module did before."""

from catalog.org.tree import *  # noqa: F403  (the package's face: the tree)
