"""DiscordChatExporter JSON, message by message: the export's shape as typed structs, and
:class:`Converter` (RawMessage -> Message: kinds, replies, forwards, content, media, the channel).

The streaming reader (:mod:`shizu.ingest.dce_json`) finds the messages in the file; everything
about what a message means is here (docs/export-formats.md §1).
"""

from __future__ import annotations

import msgspec

from shizu.chat.discord_markup import custom_emoji_in, is_gif_url, render_raw_markup
from shizu.errors import IngestError
from shizu.ingest.base import SKIP_BAD_TIMESTAMP, SKIP_NO_AUTHOR, SKIP_NO_ID, FileReport
from shizu.ingest.dce_common import RAW_MARKUP, MediaFolder, file_name, parse_dce_timestamp
from shizu.ingest.source import Source
from shizu.message import Attachment, Author, Channel, ChannelKind, Embed, EmbedKind, Message, Reaction, Sticker

# -- the export's shape, as msgspec structs (every field optional: fields came and went) -------

_S = {"gc": False}  # decoded per message and dropped at once: keep them out of the cycle collector


class _User(msgspec.Struct, **_S):
    id: str | None = None
    name: str | None = None
    nickname: str | None = None  # 2.27+
    isBot: bool | None = False


class _Emoji(msgspec.Struct, **_S):
    id: str | None = None  # "" (<= 2.32: null) for unicode emoji
    name: str | None = None


class _Reaction(msgspec.Struct, **_S):
    emoji: _Emoji | None = None
    count: int | None = 1


class _Attachment(msgspec.Struct, **_S):
    url: str | None = None
    fileName: str | None = None
    fileSizeBytes: int | None = None


class _Image(msgspec.Struct, **_S):
    url: str | None = None
    canonicalUrl: str | None = None  # 2.46.1+: the original URL when ``url`` is a proxy or local file


class _Embed(msgspec.Struct, **_S):
    title: str | None = None
    url: str | None = None
    thumbnail: _Image | None = None
    image: _Image | None = None
    video: _Image | None = None  # 2.42.3+
    images: tuple[_Image, ...] | None = ()  # 2.35+


class _Sticker(msgspec.Struct, **_S):
    id: str | None = None
    name: str | None = None
    format: str | None = None
    sourceUrl: str | None = None


class _Reference(msgspec.Struct, **_S):
    type: str | None = None  # 2.47+: "Default" | "Forward"
    messageId: str | None = None
    channelId: str | None = None


class _Forwarded(msgspec.Struct, **_S):
    content: str | None = None
    attachments: tuple[_Attachment, ...] | None = ()
    embeds: tuple[_Embed, ...] | None = ()
    stickers: tuple[_Sticker, ...] | None = ()


class RawMessage(msgspec.Struct, **_S):
    id: str | None = None
    type: str | None = None
    timestamp: str | None = None
    timestampEdited: str | None = None
    content: str | None = None
    author: _User | None = None
    attachments: tuple[_Attachment, ...] | None = ()
    embeds: tuple[_Embed, ...] | None = ()
    stickers: tuple[_Sticker, ...] | None = ()  # 2.33+
    reactions: tuple[_Reaction, ...] | None = ()
    mentions: tuple[_User, ...] | None = ()  # 2.25+
    reference: _Reference | None = None  # 2.26+
    forwardedMessage: _Forwarded | None = None  # 2.47+
    inlineEmojis: tuple[_Emoji, ...] | None = ()  # 2.44+


class _Guild(msgspec.Struct):
    id: str | None = None
    name: str | None = None


class _Channel(msgspec.Struct):
    id: str | None = None
    type: str | int | None = None
    categoryId: str | None = None
    category: str | None = None
    name: str | None = None


class Header(msgspec.Struct):
    guild: _Guild | None = None
    channel: _Channel | None = None
    messages: tuple[()] = ()


class Trailer(msgspec.Struct):
    messageCount: int | None = None


# -- enumerations ------------------------------------------------------------------------------

SYSTEM_KINDS = frozenset(
    {
        "RecipientAdd", "RecipientRemove", "Call", "ChannelNameChange", "ChannelIconChange",
        "ChannelPinnedMessage", "GuildMemberJoin", "ThreadCreated",
    }
    | {str(n) for n in range(1, 19)}
)
REPLY_KINDS = frozenset({"Reply", "19"})

_CHANNEL_KINDS: dict[str, ChannelKind] = {
    "DirectTextChat": "dm", "1": "dm",
    "DirectGroupTextChat": "group", "3": "group",
    "GuildNewsThread": "thread", "GuildPublicThread": "thread", "GuildPrivateThread": "thread",
    "10": "thread", "11": "thread", "12": "thread",
}

class Converter:
    """RawMessage -> Message for one file (channel, author cache, media folder)."""

    def __init__(self, source: Source, channel: Channel, report: FileReport) -> None:
        self.source = source
        self.name = source.name
        self.channel = channel
        self.report = report
        self.authors: dict[tuple, Author] = {}
        self.user_names: dict[str, str] = {}  # user id -> display name, for raw <@id> mentions
        self.channel_names = {channel.id: channel.name} if channel.name else {}
        self.media = MediaFolder(source)
        self.malformed_at: str | None = None

    @classmethod
    def for_header(cls, source: Source, report: FileReport, header: Header) -> Converter:
        """The converter for the channel a file's header describes; an :class:`IngestError` without one."""
        ch = header.channel
        if ch is None or not ch.id:
            raise IngestError(
                source.name, "is not a DiscordChatExporter export: no channel id before the messages",
                hint="Export the channel with DiscordChatExporter using -f Json.",
            )
        kind = _CHANNEL_KINDS.get(str(ch.type), "guild-text")
        guild = header.guild
        guild_id = guild.id if guild and guild.id and guild.id != "0" else None
        parent_id = parent_name = None
        if kind == "thread" and ch.categoryId and ch.categoryId.isdigit() and ch.categoryId != "0":
            parent_id, parent_name = ch.categoryId, ch.category
        channel = Channel(
            id=ch.id, name=ch.name or "", kind=kind, guild_id=guild_id,
            guild_name=(guild.name if guild_id and guild else None) or None,
            parent_id=parent_id, parent_name=parent_name,
        )
        return cls(source, channel, report)

    def note_malformed(self, where: str) -> None:
        if self.malformed_at is None:
            self.malformed_at = where

    def finish(self) -> None:
        for warning in self.media.warnings("JSON"):
            self.report.warn(warning)
        if self.malformed_at:
            self.report.warn(f"messages with fields of the wrong type were skipped (the first at {self.malformed_at})")

    def convert(self, raw: RawMessage) -> Message | None:
        report = self.report
        if not raw.id:
            report.skip(SKIP_NO_ID)
            return None
        a = raw.author
        if a is None or not a.id:
            report.skip(SKIP_NO_AUTHOR)
            return None
        try:
            ts = parse_dce_timestamp(raw.timestamp)
        except (ValueError, TypeError, OverflowError):
            report.skip(SKIP_BAD_TIMESTAMP)
            return None
        key = (a.id, a.name, a.nickname, a.isBot)
        author = self.authors.get(key)
        if author is None:
            author = self.authors[key] = Author(
                id=a.id, name=a.name or "", display_name=a.nickname or a.name or "", is_bot=bool(a.isBot)
            )
            self.user_names[a.id] = author.label

        kind = raw.type or "Default"
        content = raw.content or ""
        attachments = raw.attachments
        embeds = raw.embeds
        stickers = raw.stickers
        ref = raw.reference
        reply_to = None
        fwd = raw.forwardedMessage
        if fwd is not None or (ref is not None and ref.type == "Forward"):
            if fwd is not None:
                content = content or fwd.content or ""
                attachments = (attachments or ()) + (fwd.attachments or ())
                embeds = (embeds or ()) + (fwd.embeds or ())
                stickers = (stickers or ()) + (fwd.stickers or ())
        elif ref is not None and ref.messageId:
            if kind in REPLY_KINDS:
                reply_to = ref.messageId
            elif (
                kind not in SYSTEM_KINDS
                and (ref.channelId is None or ref.channelId == self.channel.id)
                and (content or attachments or stickers)
            ):
                reply_to = ref.messageId

        emoji: dict[str, str] = {}
        if raw.inlineEmojis:
            emoji = {e.name: e.id for e in raw.inlineEmojis if e.id and e.name}
        if "<" in content and RAW_MARKUP.search(content):
            emoji.update(custom_emoji_in(content))
            names = self.user_names
            if raw.mentions:
                names = dict(names)
                for u in raw.mentions:
                    if u.id:
                        names[u.id] = u.nickname or u.name or u.id
            content = render_raw_markup(content, names, self.channel_names)

        edited = None
        if raw.timestampEdited:
            try:
                edited = parse_dce_timestamp(raw.timestampEdited)
            except (ValueError, TypeError, OverflowError):
                edited = None

        return Message(
            id=raw.id,
            channel=self.channel,
            author=author,
            timestamp=ts,
            content=content,
            source=self.name,
            kind=kind,
            is_system=kind in SYSTEM_KINDS,
            reply_to=reply_to,
            edited_at=edited,
            attachments=tuple(self._attachment(x) for x in attachments if x.url) if attachments else (),
            embeds=tuple(_embed(e) for e in embeds) if embeds else (),
            stickers=tuple(_sticker(s) for s in stickers if s.id or s.name) if stickers else (),
            custom_emoji=emoji,
            reactions=tuple(
                Reaction(emoji=r.emoji.name, emoji_id=r.emoji.id or None, count=r.count if r.count is not None else 1)
                for r in raw.reactions
                if r.emoji is not None and r.emoji.name
            )
            if raw.reactions
            else (),
        )

    def _attachment(self, a: _Attachment) -> Attachment:
        url = a.url
        return Attachment(
            url=url,
            filename=a.fileName or file_name(url),
            size=a.fileSizeBytes,
            local_path=self.media.local_path(url),
        )


def _embed(e: _Embed) -> Embed:
    video = e.video
    image = e.image or (e.images[0] if e.images else None)
    url = e.url or (image.url if image else None) or (video.url if video else None)
    kind: EmbedKind
    if (e.url and is_gif_url(e.url)) or (
        video is not None and any(u and is_gif_url(u) for u in (video.url, video.canonicalUrl))
    ):
        kind = "gif"
    elif video is not None:
        kind = "video"
    elif image is not None:
        kind = "image"
    else:
        kind = "link"
    return Embed(url=url, title=e.title or "", kind=kind)


def _sticker(s: _Sticker) -> Sticker:
    return Sticker(id=s.id or "", name=s.name or "", format=s.format or "", url=s.sourceUrl or "")
