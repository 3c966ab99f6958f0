"""The station-token key in the data directory (catalog/org/station_tokens.py says what it
is for), read by the database layer so that every session carries it and no area below
needs the file: made on first use, readable by its owner only."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

KEY_FILE = "station-token.key"
KEY_INFO = "station_token_key"  # where Database puts the key in every session's info


def load_key(data_dir: Path) -> bytes:
    """The data directory's token key, made on first use (readable by the owner only)."""
    path = data_dir / KEY_FILE
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return bytes.fromhex(path.read_text().strip())
    with os.fdopen(fd, "w") as out:
        out.write(key.hex() + "\n")
    return key
