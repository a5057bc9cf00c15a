"""The one data type that flows from every importer through the store into the dataset builder.

Importers yield :class:`Message`; the store writes and reads them; the builder groups them into
conversations. All fields are plain values so a message can be encoded with msgspec as-is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

ChannelKind = Literal["dm", "group", "guild-text", "thread"]
EmbedKind = Literal["gif", "video", "image", "link"]


class Author(msgspec.Struct, frozen=True, kw_only=True):
    """Who wrote a message. ``id`` is the stable key; names change over the years."""

    id: str
    name: str = ""  # unique handle (username)
    display_name: str = ""  # nickname / global name at the time of the export
    is_bot: bool = False

    @property
    def label(self) -> str:
        """The name people see: display name, else handle, else id."""
        return self.display_name or self.name or self.id


class Channel(msgspec.Struct, frozen=True, kw_only=True):
    """Where a message was written. Threads name their parent channel."""

    id: str
    name: str = ""
    kind: ChannelKind = "guild-text"
    guild_id: str | None = None
    guild_name: str | None = None
    parent_id: str | None = None
    parent_name: str | None = None


class Attachment(msgspec.Struct, frozen=True, kw_only=True):
    url: str
    filename: str = ""
    size: int | None = None
    local_path: str | None = None  # set when the export was made with --media and the file exists


class Embed(msgspec.Struct, frozen=True, kw_only=True):
    url: str | None = None
    title: str = ""
    kind: EmbedKind = "link"


class Sticker(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str
    format: str = ""
    url: str = ""


class Reaction(msgspec.Struct, frozen=True, kw_only=True):
    emoji: str  # unicode emoji, or the custom emoji's name
    emoji_id: str | None = None
    count: int = 1


class Message(msgspec.Struct, frozen=True, kw_only=True):
    """One chat message, normalised: aware-UTC time, ``@Name`` mentions, ``:name:`` custom emoji."""

    id: str
    channel: Channel
    author: Author
    timestamp: datetime
    content: str = ""
    platform: str = "discord"
    source: str = ""
    kind: str = "Default"  # the export's own message type, kept for traceability
    is_system: bool = False
    reply_to: str | None = None
    edited_at: datetime | None = None
    attachments: tuple[Attachment, ...] = ()
    embeds: tuple[Embed, ...] = ()
    stickers: tuple[Sticker, ...] = ()
    custom_emoji: dict[str, str] = {}  # name -> id
    reactions: tuple[Reaction, ...] = ()
