"""Byte sources: random access to an item's bytes wherever they live.

A plain file, a file inside an ISO image (its extents), a DVD title (its cells' sector
ranges in the title set's VOB files, inside an ISO or a VIDEO_TS folder) or a VCD track
(media/vcd.py: raw sectors de-framed). Everything that streams or probes reads through
this interface, at the right offset, in constant memory: nothing is extracted or copied.
Reads use ``os.pread``, so one source may be read from several threads at once.
"""

from __future__ import annotations

import bisect
import io
import os
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from media.paths import AnyPath, OutsideRoot, open_own

__all__ = ["ByteSource", "FileBacked", "FileRun", "FileSource", "OutsideRoot", "Segment",
           "SegmentSource", "SourceReader", "SourceUnreadable"]


class ByteSource(Protocol):
    @property
    def size(self) -> int: ...

    def read_at(self, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes from ``offset``; fewer only at the end of the source."""
        ...

    def close(self) -> None: ...


FileRun = tuple[int, int, int]  # (open descriptor, offset in it, length)


@runtime_checkable
class FileBacked(Protocol):
    """A source whose bytes lie unchanged in files, so the kernel can send them itself
    (``sendfile``). A VCD track is not: its sectors are de-framed on the way."""

    def runs(self, offset: int, length: int) -> list[FileRun]:
        """The file runs holding ``length`` bytes from ``offset`` (clipped to the source)."""
        ...


class SourceUnreadable(OSError):
    """The image ends before the bytes its structure promises (a truncated download)."""


class FileSource:
    """A whole file: a descriptor (``int``, taken over: closed with the source), or a
    path of the server's own (``open_own``)."""

    def __init__(self, target: int | AnyPath) -> None:
        self._fd = target if isinstance(target, int) else open_own(target)
        self._size = os.fstat(self._fd).st_size

    @property
    def size(self) -> int:
        return self._size

    def read_at(self, offset: int, length: int) -> bytes:
        if offset >= self._size or length <= 0:
            return b""
        return os.pread(self._fd, min(length, self._size - offset), offset)

    def runs(self, offset: int, length: int) -> list[FileRun]:
        if offset >= self._size or length <= 0:
            return []
        return [(self._fd, offset, min(length, self._size - offset))]

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> FileSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class Segment:
    """``length`` bytes of the file at ``path`` starting at ``offset``."""

    path: bytes
    offset: int
    length: int


class SegmentSource:
    """The concatenation of byte runs from one or more files: ISO extents, DVD cells.

    ``fds`` holds a descriptor per segment path, opened by the caller (media.discs, below
    the library root) and taken over; paths without one are opened as ``open_own``."""

    def __init__(self, segments: list[Segment], fds: dict[bytes, int] | None = None) -> None:
        self._segments = [s for s in segments if s.length > 0]
        self._starts: list[int] = []
        position = 0
        for segment in self._segments:
            self._starts.append(position)
            position += segment.length
        self._size = position
        self._fds: dict[bytes, int] = dict(fds or {})
        try:
            for segment in self._segments:
                if segment.path not in self._fds:
                    self._fds[segment.path] = open_own(segment.path)
        except OSError:
            self.close()
            raise

    @property
    def size(self) -> int:
        return self._size

    @property
    def segments(self) -> list[Segment]:
        return list(self._segments)

    def runs(self, offset: int, length: int) -> list[FileRun]:
        if offset >= self._size or length <= 0:
            return []
        length = min(length, self._size - offset)
        found: list[FileRun] = []
        index = bisect.bisect_right(self._starts, offset) - 1
        while length > 0:
            segment, start = self._segments[index], self._starts[index]
            inside = offset - start
            take = min(length, segment.length - inside)
            found.append((self._fds[segment.path], segment.offset + inside, take))
            offset, length, index = offset + take, length - take, index + 1
        return found

    def read_at(self, offset: int, length: int) -> bytes:
        parts: list[bytes] = []
        for fd, position, take in self.runs(offset, length):
            chunk = os.pread(fd, take, position)
            if len(chunk) < take:
                path = next(p for p, open_fd in self._fds.items() if open_fd == fd)
                raise SourceUnreadable(f"{os.fsdecode(path)} ends before byte "
                                       f"{position + take}")
            parts.append(chunk)
        return b"".join(parts)

    def close(self) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()

    def __enter__(self) -> SegmentSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SourceReader(io.RawIOBase):
    """A seekable read-only file object over a byte source (for libraries that want one)."""

    def __init__(self, source: ByteSource) -> None:
        super().__init__()
        self._source = source
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._source.size}
        self._position = max(0, base[whence] + offset)
        return self._position

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._source.read_at(self._position, len(buffer))
        buffer[: len(data)] = data
        self._position += len(data)
        return len(data)
