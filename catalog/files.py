"""Files the server keeps as evidence under its data directory (sign-in sheets, photos):
written once, completely or not at all."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_once(path: Path, data: bytes) -> None:
    """``data`` at ``path``, unless a file is there already (content-addressed names):
    through a temporary file, synced and renamed, so a crash leaves no half a file."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
