"""DiscordChatExporter 2.47 JSON, written the way DCE writes it (see docs/export-formats.md §1.2).

Field order follows ``JsonMessageWriter``; the output is indented with two spaces, non-ASCII text
is raw UTF-8 except characters outside the BMP, which DCE's relaxed encoder writes as escaped
surrogate pairs (``"\\uD83D\\uDE2D"``). Messages are encoded in chunks with msgspec and streamed,
so a channel of any size is written in bounded memory; ``max_per_file`` partitions a channel into
``name [part N].json`` files, each a complete document with its own ``messageCount``.
"""

from __future__ import annotations

import re
from pathlib import Path

import msgspec
from msgspec import UNSET, UnsetType


class Role(msgspec.Struct, rename="camel"):
    id: str
    name: str
    color: str | None
    position: int


class User(msgspec.Struct, rename="camel"):
    id: str
    name: str
    discriminator: str
    nickname: str
    color: str | None
    is_bot: bool
    roles: tuple[Role, ...] | UnsetType  # omitted for reaction users
    avatar_url: str


class Emoji(msgspec.Struct, rename="camel"):
    id: str
    name: str
    code: str
    is_animated: bool
    image_url: str


class Attachment(msgspec.Struct, rename="camel"):
    id: str
    url: str
    file_name: str
    file_size_bytes: int


class Image(msgspec.Struct, rename="camel"):
    url: str
    canonical_url: str
    width: int
    height: int


class Embed(msgspec.Struct, rename="camel"):
    title: str
    url: str | None
    timestamp: str | None
    description: str
    color: str | UnsetType = UNSET
    thumbnail: Image | UnsetType = UNSET
    video: Image | UnsetType = UNSET
    images: tuple[Image, ...] = ()
    fields: tuple = ()
    inline_emojis: tuple[Emoji, ...] = ()


class Reaction(msgspec.Struct, rename="camel"):
    emoji: Emoji
    count: int
    users: tuple[User, ...]


class Reference(msgspec.Struct, rename="camel"):
    type: str
    message_id: str | None
    channel_id: str | None
    guild_id: str | None


class Interaction(msgspec.Struct, rename="camel"):
    id: str
    name: str
    user: User


class Message(msgspec.Struct, rename="camel"):
    id: str
    type: str
    timestamp: str
    timestamp_edited: str | None
    call_ended_timestamp: str | None
    is_pinned: bool
    content: str
    author: User
    attachments: tuple[Attachment, ...] = ()
    embeds: tuple[Embed, ...] = ()
    stickers: tuple = ()
    reactions: tuple[Reaction, ...] = ()
    mentions: tuple[User, ...] = ()
    reference: Reference | UnsetType = UNSET
    interaction: Interaction | UnsetType = UNSET
    inline_emojis: tuple[Emoji, ...] = ()


class Guild(msgspec.Struct, rename="camel"):
    id: str
    name: str
    icon_url: str


class Channel(msgspec.Struct, rename="camel"):
    id: str
    type: str
    category_id: str | None
    category: str | None
    name: str
    topic: str | None


class DateRange(msgspec.Struct):
    after: str | None = None
    before: str | None = None


class Preamble(msgspec.Struct, rename="camel"):
    guild: Guild
    channel: Channel
    date_range: DateRange
    exported_at: str


_encode = msgspec.json.Encoder().encode
_ASTRAL = re.compile(rb"[\xf0-\xf4][\x80-\xbf]{3}")
_escaped: dict[bytes, bytes] = {}


def _escape_astral(match: re.Match[bytes]) -> bytes:
    raw = match.group()
    out = _escaped.get(raw)
    if out is None:
        cp = ord(raw.decode("utf-8")) - 0x10000
        out = b"\\u%04X\\u%04X" % (0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF))
        _escaped[raw] = out
    return out


def dce_bytes(data: bytes) -> bytes:
    """Compact JSON as DCE's encoder spells it: supplementary-plane characters as escaped surrogates."""
    return _ASTRAL.sub(_escape_astral, data)


def file_name(guild: str, parent: str | None, channel: str, channel_id: str) -> str:
    """DCE's default output name: ``Guild - Parent - Channel [id].json`` (parent omitted when none)."""
    parts = [guild] + ([parent] if parent else []) + [channel]
    name = " - ".join(parts) + f" [{channel_id}].json"
    return re.sub(r'[\\/:*?"<>|]', "_", name)


def partition_name(base: str, index: int) -> str:
    """The first part keeps the name; later ones are ``name [part N].json`` (N from 2), like DCE."""
    return base if index == 0 else base.removesuffix(".json") + f" [part {index + 1}].json"


class ChannelFile:
    """Streams one channel's messages into one DCE JSON file, or several with ``max_per_file``."""

    def __init__(self, directory: Path, name: str, preamble: Preamble, max_per_file: int | None) -> None:
        self.directory = directory
        self.name = name
        self.max_per_file = max_per_file
        head = msgspec.json.format(_encode(preamble), indent=2)
        self._head = dce_bytes(head[: head.rindex(b"\n}")]) + b',\n  "messages": [\n'
        self.paths: list[Path] = []
        self._fh = None
        self._count = 0  # messages in the open part

    def write(self, messages: list[Message]) -> None:
        start = 0
        while start < len(messages):
            if self._fh is None:
                self._open()
            room = len(messages) - start
            if self.max_per_file:
                room = min(room, self.max_per_file - self._count)
            chunk = messages[start : start + room]
            body = msgspec.json.format(_encode(chunk), indent=2)[2:-2]  # drop "[\n" and "\n]"
            if self._count:
                self._fh.write(b",\n")
            self._fh.write(b"  " + dce_bytes(body).replace(b"\n", b"\n  "))
            self._count += len(chunk)
            start += room
            if self.max_per_file and self._count >= self.max_per_file:
                self._close_part()

    def close(self) -> None:
        if self._fh is not None:
            self._close_part()

    def _open(self) -> None:
        path = self.directory / partition_name(self.name, len(self.paths))
        self.paths.append(path)
        self._fh = open(path, "wb")
        self._fh.write(self._head)
        self._count = 0

    def _close_part(self) -> None:
        self._fh.write(b'\n  ],\n  "messageCount": %d\n}' % self._count)
        self._fh.close()
        self._fh = None
