"""Editing one section of a test workspace's shizu.toml in place (comments and other sections kept)."""

from __future__ import annotations

import json
import re
from pathlib import Path


def set_config(config_path: Path, section: str, **values: object) -> None:
    """Set ``key = value`` lines inside ``[section]``, replacing existing keys, adding new ones."""
    text = config_path.read_text(encoding="utf-8")
    start = text.index(f"[{section}]")
    end = text.find("\n[", start)
    end = len(text) if end < 0 else end
    body = text[start:end]
    for key, value in values.items():
        line = f"{key} = {json.dumps(value)}"
        body, found = re.subn(rf"(?m)^{re.escape(key)} = .*$", line.replace("\\", "\\\\"), body)
        if not found:
            body = body.rstrip("\n") + "\n" + line + "\n"
    config_path.write_text(text[:start] + body + text[end:], encoding="utf-8")
