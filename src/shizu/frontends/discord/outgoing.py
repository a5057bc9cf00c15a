"""From a persona message to what is posted on Discord (no Discord types here).

* Media: the catalogue item's local file is uploaded as an attachment when it exists and fits the
  upload limit (Discord attachment links expire); otherwise its stored link is sent.
* Custom emoji: ``:name:`` becomes an emoji the bot can use (from the servers it is in, animated
  ones included); a ``<:name:id>`` from the export that the bot cannot use is swapped for a usable
  one of the same name.
* Length: text longer than Discord's 2,000 characters is split at a line break, else a space.
* Pauses: each further message of a burst waits a little, longer for longer messages, capped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from shizu.chat.media import is_web_url
from shizu.persona.postprocess import EMOJI_RE, OutMessage

MESSAGE_LIMIT = 2000  # characters in one Discord message
MAX_FILES = 10  # attachments in one Discord message
_RAW_EMOJI_RE = re.compile(r"<a?:([A-Za-z0-9_~\-]{2,32}):(\d+)>")


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One persona message as Discord posts: text parts (each within the limit) and files to upload."""

    parts: tuple[str, ...]
    files: tuple[Path, ...] = ()


def prepare(message: OutMessage, emoji: Mapping[str, str], upload_limit: int) -> Outgoing:
    """What to post for ``message``; ``emoji`` maps names to usable ``<:name:id>`` forms."""
    files: list[Path] = []
    links: list[str] = []
    for item in message.media:
        path = item.local_file()  # checked again now: inside its export's folder, a regular file
        if path is not None and len(files) < MAX_FILES and _fits(path, upload_limit):
            files.append(path)
        elif is_web_url(item.url):
            links.append(item.url)
    if files or len(links) < len(message.media):  # uploads, or media that may not be shown as a link
        text = "\n".join(filter(None, [message.body, " ".join(links)]))
    else:
        text = message.text
    parts = split_message(resolve_emoji(text, emoji)) or [""]
    return Outgoing(parts=tuple(parts), files=tuple(files))


def resolve_emoji(text: str, usable: Mapping[str, str]) -> str:
    """``:name:`` and unusable ``<:name:id>`` as the usable emoji of that name, where there is one."""

    def raw(m: re.Match[str]) -> str:
        swap = usable.get(m.group(1))
        return m.group(0) if swap is None or swap.endswith(f":{m.group(2)}>") else swap

    text = _RAW_EMOJI_RE.sub(raw, text)
    return EMOJI_RE.sub(lambda m: usable.get(m.group(1), m.group(0)), text)


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """``text`` in parts of at most ``limit`` characters, cut at a line break, else a space."""
    parts: list[str] = []
    text = text.strip()
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = text.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        parts.append(text)
    return parts


def pause_before(text: str, per_char: float, cap: float) -> float:
    """Seconds to wait before posting ``text`` after the previous message of the same burst."""
    return min(cap, per_char * len(text))


def _fits(path: Path, limit: int) -> bool:
    try:
        return path.is_file() and path.stat().st_size <= limit
    except OSError:
        return False
