"""Text from old Windows machines: names and files in GBK where UTF-8 was expected."""

from __future__ import annotations


def decode_name(raw: bytes) -> str:
    """Readable text for a name's bytes: UTF-8, else GB18030 (a superset of GBK), else
    UTF-8 with replacement characters. Never raises."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors="replace")


def decode_text(data: bytes) -> str:
    """Sidecar text (.txt, .nfo, .srt) in UTF-8 (with or without BOM) or GBK."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    # Text read up to a size cap may end inside a character (GBK: 2 bytes, GB18030 and
    # UTF-8: up to 4); drop that tail rather than misread the whole text.
    for cut in range(4):
        end = len(data) - cut
        for encoding in ("utf-8", "gb18030"):
            try:
                return data[:end].decode(encoding)
            except UnicodeDecodeError:
                continue
        if cut == 0 and len(data) < 4:
            break
    return decode_name(data)
