"""Fixtures the web tests share."""

from yj_hall import hall  # noqa: F401  (a branch with its app: tests/yj_hall.py)
