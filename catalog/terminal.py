"""Text from outside (titles, file names, user agents, station codes) made safe for a
terminal line. A title holding a newline would forge a second PLAY line in the server's
output; one holding ESC could move the cursor, erase a line or retitle the window; a
right-to-left override would show "mp4.exe" as "exe.4pm". Each such character is shown as
its Python escape (``\\n``, ``\\x1b``, ``\\u202e``) instead, so what the operator reads is
what the text holds, one line per event. Everything else, Chinese included, is kept.
"""

from __future__ import annotations

import re
from typing import Any

# C0 and C1 controls, DEL, and the Unicode characters that reorder or break a line:
# the bidi marks, embeddings, overrides and isolates, and the line/paragraph separators.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e"
                     "\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return {0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"}.get(
        code, f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def printable(value: object) -> str:
    """``value`` as text with every terminal control shown as an escape."""
    return _UNSAFE.sub(_escape, str(value))


def printable_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Message fields with their text made printable; numbers stay numbers, so that a
    template's format specification (``{seconds:.1f}``) still applies."""
    return {k: v if isinstance(v, int | float) else printable(v) for k, v in fields.items()}


def json_line(value: object) -> str:
    """``value`` as one line of JSON that keeps Chinese readable: json.dumps already escapes
    C0 controls; DEL, C1 controls and the bidi characters are escaped here as well."""
    import json

    text = json.dumps(value, ensure_ascii=False)
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)
