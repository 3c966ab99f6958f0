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
from typing import Protocol

from media.paths import AnyPath


class ByteSource(Protocol):
    @property
    def size(self) -> int: ...

    def read_at(self, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes from ``offset``; fewer only at the end of the source."""
        ...

    def close(self) -> None: ...


class SourceUnreadable(OSError):
    """The image ends before the bytes its structure promises (a truncated download)."""


class FileSource:
    def __init__(self, path: AnyPath) -> None:
        self._fd = os.open(path, os.O_RDONLY)
        self._size = os.fstat(self._fd).st_size

    @property
    def size(self) -> int:
        return self._size

    def read_at(self, offset: int, length: int) -> bytes:
        if offset >= self._size or length <= 0:
            return b""
        return os.pread(self._fd, min(length, self._size - offset), offset)

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
    """The concatenation of byte runs from one or more files: ISO extents, DVD cells."""

    def __init__(self, segments: list[Segment]) -> None:
        self._segments = [s for s in segments if s.length > 0]
        self._starts: list[int] = []
        position = 0
        for segment in self._segments:
            self._starts.append(position)
            position += segment.length
        self._size = position
        self._fds: dict[bytes, int] = {}
        for segment in self._segments:
            if segment.path not in self._fds:
                self._fds[segment.path] = os.open(segment.path, os.O_RDONLY)

    @property
    def size(self) -> int:
        return self._size

    @property
    def segments(self) -> list[Segment]:
        return list(self._segments)

    def read_at(self, offset: int, length: int) -> bytes:
        if offset >= self._size or length <= 0:
            return b""
        length = min(length, self._size - offset)
        parts: list[bytes] = []
        index = bisect.bisect_right(self._starts, offset) - 1
        while length > 0:
            segment, start = self._segments[index], self._starts[index]
            inside = offset - start
            take = min(length, segment.length - inside)
            chunk = os.pread(self._fds[segment.path], take, segment.offset + inside)
            if len(chunk) < take:
                raise SourceUnreadable(f"{os.fsdecode(segment.path)} ends before byte "
                                       f"{segment.offset + inside + take}")
            parts.append(chunk)
            offset, length, index = offset + take, length - take, index + 1
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
