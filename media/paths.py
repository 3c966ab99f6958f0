"""The path type every media function accepts: str or bytes (GBK names stay bytes)."""

from __future__ import annotations

import os
from typing import TypeAlias

AnyPath: TypeAlias = str | bytes | os.PathLike[str] | os.PathLike[bytes]
