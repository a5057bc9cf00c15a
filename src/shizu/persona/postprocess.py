"""From the persona's raw turn to the messages a frontend sends.

One line of the turn is one chat message (``split_burst``). Each message is cleaned so nothing
invented or harmful goes out:

* a media tag becomes the real catalogue item (exact label, else the nearest label of the same
  kind, else the tag is dropped): its URL in ``text``, the item itself in ``media`` for frontends
  that upload the local file instead (Discord attachment links expire);
* a URL that is not in the catalogue is removed (models cannot reproduce URLs: they invent them);
* ``:name:`` becomes the custom emoji ``<:name:id>`` when its id is known;
* ``@everyone`` and ``@here`` are defused with a zero-width space, role pings become ``@role``;
* a line opened with the persona's own name (``Mika: ...``) loses that prefix.

Everything removed or changed is counted in :class:`Cleanup` (the eval reports invented links).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields

from shizu.chat.layout import clean_name, split_burst
from shizu.chat.media import MEDIA_KINDS, MediaItem, split_text
from shizu.persona.media import MediaCatalogue

TAG_RE = re.compile(r"\[(" + "|".join(MEDIA_KINDS) + r"):[ \t]*([^\]\n\u2028]*?)[ \t]*\]")
EMOJI_RE = re.compile(r"(?<![<\w]):([A-Za-z0-9_~\-]{2,32}):(?!\d+>)")
MASS_PING_RE = re.compile(r"@(everyone|here)\b")
ROLE_PING_RE = re.compile(r"<@&\d+>")
ZWSP = "\u200b"


@dataclass
class Cleanup:
    """What post-processing changed in one reply (or, summed, in many)."""

    links_removed: int = 0  # URLs not in the catalogue: invented links
    tags_exact: int = 0  # media tags sent as the catalogue item with that label
    tags_nearest: int = 0  # media tags sent as the closest catalogue label
    tags_dropped: int = 0  # media tags with no catalogue item close enough
    emoji_restored: int = 0  # :name: turned into <:name:id>
    pings_neutralised: int = 0  # @everyone / @here / role pings defused
    name_prefixes: int = 0  # the persona's own "Name:" removed from a line
    empty_messages: int = 0  # messages with nothing left to send

    def add(self, other: Cleanup) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


@dataclass(frozen=True)
class OutMessage:
    """One chat message ready to send.

    ``text`` is what a plain-text frontend sends (media as their URLs); ``body`` is the same
    without the media, for frontends that attach ``media`` (local files where the export had them).
    """

    text: str
    body: str
    media: tuple[MediaItem, ...] = ()


class Cleaner:
    """Post-processing for one persona with its catalogue (and extra emoji ids a frontend knows)."""

    def __init__(self, persona: str, catalogue: MediaCatalogue, emoji: Mapping[str, str] | None = None) -> None:
        self.catalogue = catalogue
        self.emoji = {**catalogue.emoji, **(emoji or {})}
        self.own_prefix = clean_name(persona).casefold() + ":"

    def turn(self, raw: str, counts: Cleanup) -> list[OutMessage]:
        """Every message of a whole persona turn (one per line)."""
        out = []
        for line in raw.split("\n"):
            message = self.line(line, counts)
            if message is not None:
                out.append(message)
        return out

    def line(self, line: str, counts: Cleanup) -> OutMessage | None:
        """One line of the turn as a message, or ``None`` when nothing is left to send."""
        if not line.strip():
            return None
        if line.lstrip().casefold().startswith(self.own_prefix):
            line = line.lstrip()[len(self.own_prefix):].lstrip()
            counts.name_prefixes += 1
        text: list[str] = []
        body: list[str] = []
        media: list[MediaItem] = []
        removed = False
        for piece in split_text(split_burst(line)[0]):
            if isinstance(piece, str):
                removed |= self._words(piece, text, body, media, counts)
                continue
            item = self.catalogue.by_url(piece.url)
            if item is None:
                counts.links_removed += 1
                removed = True
            else:
                text.append(piece.url)
                media.append(item)
        out_text, out_body = "".join(text), "".join(body)
        if removed:
            out_text = _tidy(out_text)
        if removed or media:
            out_body = _tidy(out_body)
        if not out_text.strip():
            counts.empty_messages += 1
            return None
        return OutMessage(text=out_text, body=out_body, media=tuple(media))

    def _words(self, piece: str, text: list[str], body: list[str], media: list[MediaItem], counts: Cleanup) -> bool:
        """Plain text (with tags): resolve tags, restore emoji, defuse pings. True if a tag was dropped."""
        dropped = False
        pos = 0
        for m in TAG_RE.finditer(piece):
            words = self._inline(piece[pos:m.start()], counts)
            text.append(words)
            body.append(words)
            pos = m.end()
            item = self.catalogue.exact(m.group(1), m.group(2))
            if item is not None:
                counts.tags_exact += 1
            else:
                item = self.catalogue.nearest(m.group(1), m.group(2))
                if item is not None:
                    counts.tags_nearest += 1
            if item is None:
                counts.tags_dropped += 1
                dropped = True
                continue
            text.append(item.url)
            media.append(item)
        words = self._inline(piece[pos:], counts)
        text.append(words)
        body.append(words)
        return dropped

    def _inline(self, words: str, counts: Cleanup) -> str:
        def emoji(m: re.Match[str]) -> str:
            emoji_id = self.emoji.get(m.group(1))
            if emoji_id is None:
                return m.group(0)
            counts.emoji_restored += 1
            return f"<:{m.group(1)}:{emoji_id}>"

        words = EMOJI_RE.sub(emoji, words)
        words, mass = MASS_PING_RE.subn(lambda m: f"@{ZWSP}{m.group(1)}", words)
        words, roles = ROLE_PING_RE.subn("@role", words)
        counts.pings_neutralised += mass + roles
        return words


def invented_links(text: str, catalogue: MediaCatalogue) -> int:
    """How many URLs in ``text`` are not catalogue items (before post-processing: invented links)."""
    return sum(1 for piece in split_text(text) if not isinstance(piece, str) and catalogue.by_url(piece.url) is None)


def _tidy(text: str) -> str:
    """Close the gap a removed (or attached) link or tag left: no doubled spaces, none at line edges."""
    text = re.sub(r"[ \t]{2,}", " ", text)
    return "\n".join(line.strip() for line in text.split("\n")).strip()
