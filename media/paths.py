"""Paths, and the one way library files are opened: once, below their root, by descriptor.

A file served or scanned is opened here, one path component at a time from a descriptor
of the directory it must lie under (``openat`` with ``O_NOFOLLOW``), and from then on used
only through that descriptor: read with ``pread``, handed to ffmpeg as ``/dev/fd/N``
(media/ffmpeg.py), never checked by name and opened again. A name swapped for a link
between a check and an open therefore cannot redirect the read (issue 13: a catalogued
file flipped to a link to /etc/passwd while its segments were made).

Links met on the way are either refused (``links=False``: inside discs, sidecars, and
the scan, whose walk hands over paths with every link already resolved) or resolved by
us, component by component, as long as they stay under the base directory
(``links=True``: an item the scan found through a link inside its root). That is the
kernel's ``openat2(RESOLVE_BENEATH)``, which Python does not expose.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeAlias

AnyPath: TypeAlias = str | bytes | os.PathLike[str] | os.PathLike[bytes]

# O_NONBLOCK: a FIFO put in a file's place must not hang the open (it is refused just
# after, by fstat); it changes nothing for the regular files that are kept.
_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK | os.O_NOCTTY
_DIRECTORY = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_DIRECTORY
MAX_LINKS = 40  # as the kernel's own limit on links followed in one lookup


class OutsideRoot(FileNotFoundError):
    """The path cannot be opened below its base without a link the rule refuses, or does
    not lead to a regular file: as far as serving goes, the catalogued file is gone."""


def _refuse(why: str, path: bytes) -> OutsideRoot:
    return OutsideRoot(errno.ENOENT, why, os.fsdecode(path))


def _open_base(base: int | AnyPath) -> tuple[int, bool]:
    """(descriptor, whether we opened it). A base given as a path is trusted (a library
    root as configured, or ``/``): links in it are followed."""
    if isinstance(base, int):
        return base, False
    return os.open(base, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC), True


def _real_path_of(fd: int) -> bytes | None:
    try:
        return os.readlink(f"/proc/self/fd/{fd}".encode())
    except OSError:
        return None


def _split(path: bytes) -> list[bytes]:
    return [part for part in path.split(b"/") if part not in (b"", b".")]


def open_beneath(base: int | AnyPath, rel: AnyPath, *, links: bool = False,
                 directory: bool = False) -> int:
    """A read-only descriptor for ``rel`` under ``base`` (a directory descriptor, or a
    trusted directory path): a regular file, or with ``directory`` a directory.

    Every component is opened with ``O_NOFOLLOW`` relative to the one before. A link is
    refused (``OutsideRoot``) unless ``links``; then its target is walked the same way,
    and refused if it climbs above ``base`` (``..``) or is an absolute path elsewhere.
    """
    shown = os.fsencode(rel)
    pending = _split(shown)
    root_fd, owned_root = _open_base(base)
    stack: list[int] = [root_fd]  # the directories walked, base first (not ours to close)
    followed = 0
    try:
        while True:
            if not pending:
                if not directory:
                    raise _refuse("a directory, not a file", shown)
                found = stack.pop() if len(stack) > 1 else os.dup(root_fd)
                return found
            name = pending.pop(0)
            if name == b"..":
                if len(stack) == 1:
                    raise _refuse("the path climbs above its library root", shown)
                os.close(stack.pop())
                continue
            last = not pending and not directory
            try:
                fd = os.open(name, _FILE if last else _DIRECTORY, dir_fd=stack[-1])
            except OSError as exc:
                if exc.errno not in (errno.ELOOP, errno.ENOTDIR):
                    raise
                target = _link_target(name, stack[-1])
                followed += 1
                if target is None:
                    if exc.errno == errno.ENOTDIR:
                        raise  # a file where a folder should be (gone, for callers)
                    # A link when opened (ELOOP), no link a moment later: swapped back
                    # and forth; look again, as often as a link would be followed.
                    if followed > MAX_LINKS:
                        raise _refuse("the name keeps changing", shown) from None
                    pending.insert(0, name)
                    continue
                if not links:
                    raise _refuse("a link (links are not followed here)", shown) from None
                if followed > MAX_LINKS:
                    raise _refuse("too many links", shown) from None
                if target.startswith(b"/"):
                    target = _beneath_root(target, root_fd, shown)
                    while len(stack) > 1:
                        os.close(stack.pop())
                pending[:0] = _split(target)
                continue
            if last:
                _require_regular(fd, shown)
                return fd
            stack.append(fd)
    finally:
        for fd in stack[1:]:
            os.close(fd)
        if owned_root:
            os.close(root_fd)


def _link_target(name: bytes, parent: int) -> bytes | None:
    try:
        return os.readlink(name, dir_fd=parent)
    except OSError:  # not a link (a real ENOTDIR or ELOOP): the open's error stands
        return None


def _beneath_root(target: bytes, root_fd: int, shown: bytes) -> bytes:
    """An absolute link target as a path relative to the base, when it names a place
    under the base's real path (``ln -s /srv/库/真实/a.mp4``); refused otherwise."""
    real = _real_path_of(root_fd)
    if real is None:
        raise _refuse("an absolute link, and the root's real path is unknown", shown)
    prefix = real.rstrip(b"/") + b"/"
    if target != real and not target.startswith(prefix):
        raise _refuse("a link to a place outside its library root", shown)
    return target[len(prefix):] if target != real else b""


def _require_regular(fd: int, shown: bytes) -> None:
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise _refuse("not a regular file", shown)


def open_resolved(path: AnyPath, *, directory: bool = False) -> int:
    """``path`` (made absolute) opened from ``/`` refusing any link in it: for paths whose
    links were all resolved already, as the scan's walk hands them over."""
    absolute = os.path.abspath(os.fsencode(path))  # getcwd() has no links
    return open_beneath(b"/", absolute, directory=directory)


def open_member(folder_fd: int, name: AnyPath) -> int:
    """A regular file inside an open folder, never through a link (disc members, a cue's
    .bin, sidecars)."""
    return open_beneath(folder_fd, name)


@contextmanager
def reading(target: int | AnyPath) -> Iterator[int]:
    """A descriptor for ``target``: the caller's own (left open), or a path opened by
    ``open_resolved`` (and closed after)."""
    if isinstance(target, int):
        yield target
        return
    fd = open_resolved(target)
    try:
        yield fd
    finally:
        os.close(fd)


def open_own(path: AnyPath) -> int:
    """A file the server itself wrote (an HLS segment in its cache), or a test's: opened
    by name. Library files never come this way: they are opened below their root by the
    functions above and handed over as descriptors."""
    return os.open(path, os.O_RDONLY | os.O_CLOEXEC)


class DiscFiles:
    """The files of one disc, each opened once below a base directory and kept open until
    ``close``: the disc itself (an image, a cue sheet or a VIDEO_TS folder), the files in a
    VIDEO_TS folder (``member``) and the files beside a cue sheet (``beside``).

    The disc is reached as ``open_beneath`` reaches it (``links`` as given: an item the
    scan found through a link inside its root); its members and neighbours never through
    a link, so a VOB or a .bin that is a link is refused (``OutsideRoot``). Descriptors
    from ``dup_*`` are the caller's to close; the others stay ours.
    """

    def __init__(self, base: int | AnyPath, rel: AnyPath, *, links: bool,
                 shown: bytes | None = None) -> None:
        self.rel = os.fsencode(rel)
        self.links = links
        # For messages, labels and segment names only: nothing is opened by it.
        self.path = shown if shown is not None else self.rel
        self._base, self._owned = _open_base(base)
        self._opened: dict[tuple[str, bytes], int] = {}

    @classmethod
    def resolved(cls, path: AnyPath) -> DiscFiles:
        """A disc at a path with no links in it (what the scan's walk hands over)."""
        absolute = os.path.abspath(os.fsencode(path))
        return cls(b"/", absolute, links=False, shown=absolute)

    def _cached(self, kind: str, name: bytes, opener: Callable[[], int]) -> int:
        key = (kind, name)
        if key not in self._opened:
            self._opened[key] = opener()
        return self._opened[key]

    def disc(self) -> int:
        """The image or cue sheet itself."""
        return self._cached("disc", b"", lambda: open_beneath(self._base, self.rel,
                                                               links=self.links))

    def folder(self) -> int:
        """The VIDEO_TS folder itself."""
        return self._cached("folder", b"", lambda: open_beneath(
            self._base, self.rel, links=self.links, directory=True))

    def parent(self) -> int:
        """The folder holding the disc (where a cue sheet's .bin files are)."""
        return self._cached("parent", b"", lambda: open_beneath(
            self._base, os.path.dirname(self.rel), links=self.links, directory=True))

    def member(self, name: bytes) -> int:
        return self._cached("member", name, lambda: open_member(self.folder(), name))

    def beside(self, name: bytes) -> int:
        return self._cached("beside", name, lambda: open_member(self.parent(), name))

    def dup_member(self, name: bytes) -> int:
        return os.dup(self.member(name))

    def dup_beside(self, name: bytes) -> int:
        return os.dup(self.beside(name))

    def dup_disc(self) -> int:
        return os.dup(self.disc())

    def close(self) -> None:
        for fd in self._opened.values():
            os.close(fd)
        self._opened.clear()
        if self._owned:
            os.close(self._base)
            self._owned = False

    def __enter__(self) -> DiscFiles:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def list_names(folder_fd: int) -> list[bytes]:
    """The names in an open folder, as bytes (``os.listdir`` on a descriptor answers str;
    GBK names come back exactly through ``fsencode``)."""
    return [os.fsencode(name) for name in os.listdir(folder_fd)]
