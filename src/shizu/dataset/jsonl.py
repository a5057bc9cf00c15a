"""JSON Lines as the dataset writes them: one object per line, safe for any line splitter.

JSON allows U+2028, U+2029 and U+0085 raw inside strings, but ``str.splitlines()`` and some
editors treat them as line breaks; the burst layout uses U+2028 inside every multi-line message,
so they are always written escaped (``\\u2028``), which any JSON parser reads back unchanged.
"""

from __future__ import annotations

from typing import Any

import msgspec

_encode = msgspec.json.Encoder().encode
_RAW_BREAKS = ((b"\xe2\x80\xa8", b"\\u2028"), (b"\xe2\x80\xa9", b"\\u2029"), (b"\xc2\x85", b"\\u0085"))


def encode_line(obj: Any) -> bytes:
    """``obj`` as one JSON line, newline included."""
    data = _encode(obj)
    for raw, escaped in _RAW_BREAKS:
        if raw in data:
            data = data.replace(raw, escaped)
    return data + b"\n"
