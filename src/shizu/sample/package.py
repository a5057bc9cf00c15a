"""The persona's own Discord data package, current era (2025+), as Discord writes it
(docs/export-formats.md §2): ``Account/user.json``, ``Messages/index.json`` and per channel
``Messages/c<id>/channel.json`` + ``messages.json`` (only her messages, newest first, ``ID`` a bare
JSON integer, UTC ``Timestamp`` without zone or fraction, raw ``<@id>`` / ``<:name:id>`` markup).

Discord writes these files with Python's ``json`` defaults (ASCII only, ``", "``/``": "``
separators); ``messages.json`` reproduces that with msgspec, without a per-message ``json.dumps``.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import msgspec

_encode_str = msgspec.json.Encoder().encode
_NON_ASCII = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")


def _ascii_escape(match: re.Match[bytes]) -> bytes:
    out = []
    for ch in match.group().decode("utf-8"):
        cp = ord(ch)
        if cp >= 0x10000:
            cp -= 0x10000
            out.append(b"\\u%04x\\u%04x" % (0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF)))
        else:
            out.append(b"\\u%04x" % cp)
    return b"".join(out)


def python_json(data: bytes) -> bytes:
    """Compact UTF-8 JSON as Python's ``json.dumps`` (``ensure_ascii``) would escape it."""
    return _NON_ASCII.sub(_ascii_escape, data)


class PackageRow(msgspec.Struct):
    """One of the persona's messages as the package records it."""

    id: int
    ts_ms: int
    contents: str  # raw markup
    attachments: str  # space-separated URLs


def _timestamp(ms: int) -> str:
    return datetime.fromtimestamp(ms // 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def write_messages(path: Path, rows: list[PackageRow]) -> None:
    """``messages.json``: a JSON array, one object per line, newest first (``rows`` are oldest first)."""
    lines = [
        b'{"ID": %d, "Timestamp": "%s", "Contents": %s, "Attachments": %s}'
        % (row.id, _timestamp(row.ts_ms).encode(), _encode_str(row.contents), _encode_str(row.attachments))
        for row in reversed(rows)
    ]
    path.write_bytes(python_json(b"[\n" + b",\n".join(lines) + b"\n]"))


def write_json(path: Path, obj: object) -> None:
    """Small metadata files (channel.json, index.json, user.json), as ``json.dumps`` writes them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj), encoding="ascii")
