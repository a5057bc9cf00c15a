"""Telegram Desktop "Export chat history" / "Export Telegram data" in machine-readable JSON.

Field reference: ``docs/export-formats.md`` §3. What this importer does
with each part of an export:

* **Shapes.** A single-chat export's ``result.json`` *is* the chat (``name``, ``type``, ``id``,
  ``messages``); a full export holds ``chats.list`` and ``left_chats.list`` plus
  ``personal_information``, whose ``user_id`` is the exporting person ("me", added to
  :attr:`FileReport.accounts`). A Saved Messages chat is the person's chat with themselves, so its
  id names "me" as well.
* **Parsing.** The document is decoded once by msgspec with each message kept raw, then every
  message is decoded on its own into a typed struct: a message with a field of the wrong type (or
  text that is not UTF-8) is skipped (``malformed``) instead of failing the file. Memory is about
  the file's size. tdesktop writes JSON by hand and sometimes writes invalid JSON: control
  characters as ``\\xNN`` (rewritten to ``\\u00NN`` where the backslash is not itself escaped)
  and, in 4.1.1, an unquoted ``document_id`` path (quoted); both are repaired only when the file
  does not parse as it is.
* **Ids.** Message ids are ``tg:<chat id>:<message id>`` (Telegram numbers messages per chat),
  replies point to the same form (``reply_to_peer_id`` names the chat of a cross-chat reply), and
  channels are ``tg:<chat id>``. Authors are ``tg:user123`` / ``tg:channel123`` / ``tg:chat123``:
  newer exports write ``from_id`` as ``"user123"``, older ones (before 2022) as a bare number, which
  was always a user, so ``9999`` becomes ``tg:user9999`` and both eras name the same person alike.
* **Time.** ``date_unixtime`` (epoch seconds, a string) when present; older exports only have
  ``date``, the exporting computer's local time without a zone, read in ``[ingest] timezone``
  (else as UTC; a warning counts such messages).
* **Ids carried over from a group.** When a group becomes a supergroup, its old messages keep
  negative ids; they are stored as ``tg:<chat>:n<number>``, which no positive id can equal.
* **Polls.** The question and one ``- option`` line per answer are the message's text.
* **Text.** ``text_entities`` (or ``text``, a string or a mixed array of strings and entity
  objects) rebuilt by concatenating every part's text exactly; hidden ``text_link`` targets are
  not added to the text.
* **Kinds.** ``service`` messages are system messages whose ``kind`` is their ``action`` (pins,
  calls, joins...); forwarded messages keep ``kind="forwarded"`` because their text was written by
  someone else; ``unsupported`` entries (an id and nothing else) are skipped.
* **Media.** Photos and files are attachments, stickers are :class:`Sticker` labelled with their
  emoji, animations (Telegram's GIFs, stored as mp4) are ``gif`` embeds. A file that the export
  holds next to ``result.json`` gets a ``file://`` URL and its ``local_path``; a placeholder such
  as ``"(File not included. Change data exporting settings to download.)"``, a missing file, or a
  file inside a zip archive leaves the URL empty, so the item is shown as a tag but never sent.
* **Chats.** ``personal_chat``, ``bot_chat``, ``saved_messages`` and ``verification_codes`` are
  DMs (in a bot chat the bot is the author whose id is the chat's); groups and supergroups are
  ``group``; channels are ``guild-text`` (one-to-many posting, like a server channel).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import ClassVar

import msgspec

from shizu.chat.media import LOCAL_OUTSIDE
from shizu.errors import IngestError
from shizu.ingest.base import (
    QUALITY_FULL_EXPORT,
    SKIP_BAD_TIMESTAMP,
    SKIP_MALFORMED,
    SKIP_NO_AUTHOR,
    SKIP_NO_ID,
    FileReport,
    read_whole,
)
from shizu.ingest.source import Source
from shizu.message import Attachment, Author, Channel, ChannelKind, Embed, Message, Reaction, Sticker

SKIP_UNSUPPORTED = "unsupported"  # an entry tdesktop could not export (only an id and a type)

# -- the export's shape (every field optional: fields came and went over the years) ------------


class _Part(msgspec.Struct):
    type: str | None = None
    text: str | None = None


class _Reaction(msgspec.Struct):
    type: str | None = None
    count: int | None = 1
    emoji: str | None = None
    document_id: str | int | None = None


class _Answer(msgspec.Struct):
    text: str | list[str | _Part] | None = None


class _Poll(msgspec.Struct):
    question: str | list[str | _Part] | None = None
    answers: list[_Answer] | None = None


class _Message(msgspec.Struct):
    id: int | str | None = None
    type: str | None = None
    date: str | None = None
    date_unixtime: str | int | None = None
    edited: str | None = None
    edited_unixtime: str | int | None = None
    from_: str | None = msgspec.field(name="from", default=None)
    from_id: str | int | None = None
    actor: str | None = None
    actor_id: str | int | None = None
    action: str | None = None
    forwarded_from: str | None | msgspec.UnsetType = msgspec.UNSET  # null: a hidden sender
    reply_to_message_id: int | str | None = None
    reply_to_peer_id: str | int | None = None
    photo: str | None = None
    photo_file_size: int | None = None
    file: str | None = None
    file_name: str | None = None
    file_size: int | None = None
    media_type: str | None = None
    mime_type: str | None = None
    sticker_emoji: str | None = None
    text: str | list[str | _Part] | None = None
    text_entities: list[_Part] | None = None
    reactions: list[_Reaction] | None = None
    poll: _Poll | None = None


class _Chat(msgspec.Struct):
    name: str | None = None
    type: str | None = None
    id: int | str | None = None
    messages: list[msgspec.Raw] | None = None


class _ChatList(msgspec.Struct):
    chats: list[_Chat] | None = msgspec.field(name="list", default=None)


class _Personal(msgspec.Struct):
    user_id: int | str | None = None
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None


class _Export(msgspec.Struct):
    """Both shapes at once: a single chat (``messages``) or a full export (``chats``...)."""

    name: str | None = None
    type: str | None = None
    id: int | str | None = None
    messages: list[msgspec.Raw] | None = None
    personal_information: _Personal | None = None
    chats: _ChatList | None = None
    left_chats: _ChatList | None = None


_decode_export = msgspec.json.Decoder(_Export).decode
_decode_message = msgspec.json.Decoder(_Message).decode

# -- enumerations ------------------------------------------------------------------------------

_CHAT_KINDS: dict[str, ChannelKind] = {
    "personal_chat": "dm", "bot_chat": "dm", "saved_messages": "dm", "verification_codes": "dm",
    "private_group": "group", "private_supergroup": "group", "public_supergroup": "group", "replies": "group",
    "private_channel": "guild-text", "public_channel": "guild-text",
}
_UNNAMED_CHATS = {"saved_messages": "Saved Messages", "replies": "Replies", "verification_codes": "Verification Codes"}
_CHANNEL_TYPES = frozenset({"private_channel", "public_channel"})
_MEDIA_NAMES = {  # readable file names for kinds of media whose own names say nothing
    "voice_message": "voice message.ogg", "video_message": "video message.mp4", "video_file": "video.mp4",
    "audio_file": "audio.mp3",
}
_PEER_RE = re.compile(r"^(user|channel|chat)?(\d+)$")

# -- sniffing and repairs ----------------------------------------------------------------------

_JSON_STRING = rb'"(?:[^"\\]|\\.)*"'
_SNIFF_CHAT = re.compile(
    rb'^(?:\xef\xbb\xbf)?\s*\{\s*(?:"name"\s*:\s*(?:null|' + _JSON_STRING + rb')\s*,\s*)?'
    rb'"type"\s*:\s*(?:null|"[a-z_]*")\s*,\s*"id"\s*:\s*-?\d+\s*,\s*"messages"\s*:\s*\[',
    re.S,
)
_SNIFF_FULL = re.compile(
    rb'^(?:\xef\xbb\xbf)?\s*\{\s*"about"\s*:\s*' + _JSON_STRING + rb'\s*,\s*"(?:personal_information|'
    rb'profile_pictures|stories|contacts|frequent_contacts|sessions|web_sessions|other_data|chats|left_chats)"\s*:',
    re.S,
)
# "\xNN" where the backslash itself is not escaped (preceded by an even number of backslashes).
_BAD_ESCAPE = re.compile(rb"(?<!\\)((?:\\\\)*)\\x([0-9A-Fa-f]{2})")
# tdesktop 4.1.1: "document_id": video_files/sticker.webm (a path written without quotes).
_BARE_PATH = re.compile(rb'("document_id"\s*:\s*)(?!null\b|true\b|false\b)([^\s"\[{\-\d][^,\r\n}\]]*?)(\s*[,}\]\r\n])')
_BYTE_POS = re.compile(r"\(byte (\d+)\)")

_REEXPORT_HINT = "Export the chat again from Telegram Desktop (Export chat history, format: JSON); nothing was stored."


class TelegramImporter:
    format: ClassVar[str] = "telegram-json"
    label: ClassVar[str] = "Telegram Desktop JSON"
    quality: ClassVar[int] = QUALITY_FULL_EXPORT

    def sniff(self, source: Source, head: bytes) -> bool:
        return bool(_SNIFF_CHAT.match(head) or _SNIFF_FULL.match(head) or _looks_like_telegram(head))

    def read(self, source: Source, report: FileReport) -> Iterator[Message]:
        data = read_whole(source, report)
        export = _parse(source.name, data)
        reader = _Reader(source, report)
        personal = export.personal_information
        me = _peer(personal.user_id) if personal is not None else None
        if personal is not None and me is not None:
            full_name = " ".join(p for p in (personal.first_name, personal.last_name) if p)
            handle = (personal.username or "").lstrip("@")
            report.accounts.append(Author(id=f"tg:user{me}", name=handle, display_name=full_name))
        chats = [_Chat(name=export.name, type=export.type, id=export.id, messages=export.messages)] if export.messages is not None else []
        for section in (export.chats, export.left_chats):
            chats += (section.chats or []) if section else []
        if not chats:
            raise IngestError(
                source.name, "looks like a Telegram Desktop export but holds no chat: no `messages` list and no `chats` section",
                hint=_REEXPORT_HINT,
            )
        if all(_peer(chat.id) is None for chat in chats):
            raise IngestError(
                source.name, "looks like a Telegram Desktop export but its chats have no `id` (a tool that edited the file removed it);"
                " Shizu needs each chat's id to keep chats and message ids apart",
                hint=_REEXPORT_HINT,
            )
        for chat in chats:
            yield from reader.chat(chat)
        reader.finish()


def _parse(name: str, data: bytes) -> _Export:
    """The document, repairing tdesktop's invalid escapes and bare paths if it does not parse."""
    try:
        return _decode_export(data)
    except (msgspec.DecodeError, UnicodeDecodeError):
        pass
    repaired = _BARE_PATH.sub(rb'\1"\2"\3', _BAD_ESCAPE.sub(rb"\1\\u00\2", data))
    try:
        return _decode_export(repaired)
    except msgspec.ValidationError as exc:
        raise IngestError(
            name, f"is not a Telegram Desktop export: {exc}",
            hint="Export with Telegram Desktop and choose 'Machine-readable JSON'.",
        ) from None
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        text = str(exc)
        if isinstance(exc, UnicodeDecodeError) or "UTF-8" in text:  # msgspec 0.23 reports it as a DecodeError
            try:
                repaired.decode("utf-8")
            except UnicodeDecodeError as bad:
                raise IngestError(name, "is not valid UTF-8", _line_of(repaired, bad.start), hint=_REEXPORT_HINT) from None
            raise IngestError(name, "is not valid UTF-8", hint=_REEXPORT_HINT) from None
        if "truncated" in text:
            raise IngestError(
                name, "ends in the middle of the JSON (an interrupted export?)", hint=_REEXPORT_HINT
            ) from None
        m = _BYTE_POS.search(text)
        where = _line_of(repaired, int(m.group(1))) if m else None
        what = _BYTE_POS.sub("", text).strip()
        raise IngestError(name, f"is not valid JSON: {what}", where, hint=_REEXPORT_HINT) from None


def _line_of(data: bytes, index: int) -> str:
    line = data.count(b"\n", 0, index) + 1
    column = index - (data.rfind(b"\n", 0, index) + 1) + 1
    return f"line {line}, column {column}"


# A Telegram export whose first lines are damaged (a missing comma): its message fields give it away.
_TELEGRAM_FIELDS = re.compile(rb'"(?:date_unixtime|text_entities|from_id"\s*:\s*"(?:user|channel)\d)')


def _looks_like_telegram(head: bytes) -> bool:
    """A JSON object whose head has Telegram's own message fields, even if it does not parse."""
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{") and len(set(_TELEGRAM_FIELDS.findall(head))) >= 2


def _message_number(value: str | int | None) -> str | None:
    """A message id as text. Messages carried over when a group became a supergroup have negative
    ids: they become ``n<number>``, which no positive id can equal."""
    if isinstance(value, str) and value.startswith("-") and value[1:].isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        return f"n{-value}"
    return _peer(value)


def _peer(value: str | int | None) -> str | None:
    """The bare number of a peer id (``"user123"``, ``"channel123"``, ``123``), or None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value) if value >= 0 else None
    if isinstance(value, str):
        m = _PEER_RE.match(value)
        return m.group(2) if m else None
    return None


def _author_id(value: str | int | None) -> str | None:
    """``tg:user123`` / ``tg:channel123`` / ``tg:chat123``; a bare number (old exports) is a user."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"tg:user{value}" if value >= 0 else None
    if isinstance(value, str):
        m = _PEER_RE.match(value)
        if m:
            return f"tg:{m.group(1) or 'user'}{m.group(2)}"
    return None


def _unix(value: str | int | None) -> datetime | None:
    if value is None or value == "":
        return None
    return datetime.fromtimestamp(int(value), tz=UTC)


def _local(value: str | None, report: FileReport) -> datetime | None:
    """``date``: the exporting computer's wall-clock time without a zone, read in ``[ingest] timezone`` (else UTC)."""
    if not value:
        return None
    ts = datetime.fromisoformat(value)
    return report.naive_time(ts) if ts.tzinfo is None else ts.astimezone(UTC)


def _text(m: _Message) -> str:
    """The message's plain text: every part's text concatenated, exactly as written; a poll's
    question and options, one per line (``- option``)."""
    if m.poll is not None:
        options = [f"- {_plain(a.text)}" for a in m.poll.answers or ()]
        return "\n".join([_plain(m.poll.question), *options]).strip()
    if m.text_entities:
        return "".join(p.text or "" for p in m.text_entities)
    if isinstance(m.text, str):
        return m.text
    if m.text:
        return "".join(p if isinstance(p, str) else (p.text or "") for p in m.text)
    return ""


def _is_placeholder(path: str) -> bool:
    """tdesktop writes "(File not included. ...)" and the like instead of a path."""
    return path.startswith("(") and path.endswith(")")


class _Reader:
    """_Message -> Message for one export file (authors, local files, counters for warnings)."""

    def __init__(self, source: Source, report: FileReport) -> None:
        self.name = source.name
        self.source = source
        self.report = report
        self.accounts = {a.id for a in report.accounts}
        self.authors: dict[tuple, Author] = {}
        self.local_time_only = 0
        self.missing_files = 0
        self.refused_files = 0
        self.malformed_at: str | None = None

    def chat(self, chat: _Chat) -> Iterator[Message]:
        chat_id = _peer(chat.id)
        raws = chat.messages or ()
        if chat_id is None:
            if raws:
                self.report.skip(SKIP_NO_ID, len(raws))
                self.report.warn(f"a chat without an id ({chat.name or 'unnamed'}) was skipped: {len(raws)} messages")
            return
        kind = _CHAT_KINDS.get(chat.type or "", "group")
        channel = Channel(
            id=f"tg:{chat_id}", name=chat.name or _UNNAMED_CHATS.get(chat.type or "", ""), kind=kind,
        )
        bot_id = f"tg:user{chat_id}" if chat.type == "bot_chat" else None
        default_author = f"tg:channel{chat_id}" if chat.type in _CHANNEL_TYPES else None
        if chat.type == "saved_messages" and f"tg:user{chat_id}" not in self.accounts:
            self.accounts.add(f"tg:user{chat_id}")
            self.report.accounts.append(Author(id=f"tg:user{chat_id}"))
        for index, raw in enumerate(raws):
            try:
                m = _decode_message(raw)
            except (msgspec.DecodeError, UnicodeDecodeError):
                self._malformed(channel, index)
                continue
            msg = self._message(m, channel, chat_id, bot_id, default_author)
            if msg is not None:
                yield msg

    def finish(self) -> None:
        """Name the accounts known only by id (Saved Messages) and report what was odd."""
        names = {a.id: a.display_name for a in self.authors.values() if a.display_name}
        self.report.accounts[:] = [
            a if a.display_name or a.id not in names else Author(id=a.id, name=a.name, display_name=names[a.id])
            for a in self.report.accounts
        ]
        if self.local_time_only:
            self.report.warn(
                f"{self.local_time_only} messages have only the exporting computer's local time (exports made before"
                f" about 2022 have no date_unixtime); they were read as {self.report.zone_label}"
                + ("" if self.report.timezone else " (set [ingest] timezone in shizu.toml, or shizu ingest --timezone, to change it)")
            )
        if self.missing_files:
            self.report.warn(
                f"{self.missing_files} media files named by the export are missing next to it"
                " (keep the export's folders beside result.json to use them)"
            )
        if self.refused_files:
            self.report.warn(f"{self.refused_files} media path(s) point outside the export's folder and were ignored ({LOCAL_OUTSIDE})")
        if self.malformed_at:
            self.report.warn(
                "messages that could not be read (a field of the wrong type, or text that is not UTF-8) were skipped"
                f" (the first: {self.malformed_at})"
            )

    def _malformed(self, channel: Channel, index: int) -> None:
        self.report.skip(SKIP_MALFORMED)
        if self.malformed_at is None:
            self.malformed_at = f"chat {channel.name or channel.id!r}, message #{index + 1}"

    def _message(
        self, m: _Message, channel: Channel, chat_id: str, bot_id: str | None, default_author: str | None
    ) -> Message | None:
        report = self.report
        if m.type == "unsupported":
            report.skip(SKIP_UNSUPPORTED)
            return None
        mid = _message_number(m.id)
        if mid is None:
            report.skip(SKIP_NO_ID)
            return None
        try:
            ts = _unix(m.date_unixtime)
            local_only = ts is None
            ts = ts or _local(m.date, report)
        except (ValueError, TypeError, OverflowError, OSError):
            ts = None
        if ts is None:
            report.skip(SKIP_BAD_TIMESTAMP)
            return None
        try:
            edited = _unix(m.edited_unixtime) or _local(m.edited, report)
        except (ValueError, TypeError, OverflowError, OSError):
            edited = None  # the message stands without its edit time
        is_service = m.type == "service"
        author_id = _author_id(m.actor_id if is_service else m.from_id) or _author_id(m.from_id) or default_author
        if author_id is None:
            report.skip(SKIP_NO_AUTHOR)
            return None
        name = (m.actor if is_service else m.from_) or ""
        if not name and m.type == "message":
            name = channel.name if author_id == default_author else "Deleted Account"
        key = (author_id, name, author_id == bot_id)
        author = self.authors.get(key)
        if author is None:
            author = self.authors[key] = Author(id=author_id, display_name=name, is_bot=author_id == bot_id)
        self.local_time_only += local_only

        reply_to = None
        reply = _message_number(m.reply_to_message_id)
        if reply is not None:
            reply_to = f"tg:{_peer(m.reply_to_peer_id) or chat_id}:{reply}"
        if is_service:
            kind = m.action or "service"
        elif m.forwarded_from is not msgspec.UNSET:
            kind = "forwarded"
        else:
            kind = "message"
        attachments, embeds, stickers = self._media(m)
        return Message(
            id=f"tg:{chat_id}:{mid}",
            channel=channel,
            author=author,
            timestamp=ts,
            content=_text(m),
            platform="telegram",
            source=self.name,
            kind=kind,
            is_system=is_service,
            reply_to=reply_to,
            edited_at=edited,
            attachments=attachments,
            embeds=embeds,
            stickers=stickers,
            reactions=tuple(_reaction(r) for r in m.reactions or ()),
        )

    def _media(self, m: _Message) -> tuple[tuple[Attachment, ...], tuple[Embed, ...], tuple[Sticker, ...]]:
        if m.photo:
            url, local = self._file(m.photo)
            name = "photo.jpg" if _is_placeholder(m.photo) else PurePosixPath(m.photo).name
            return (Attachment(url=url, filename=name, size=m.photo_file_size, local_path=local),), (), ()
        if not m.file:
            return (), (), ()
        url, local = self._file(m.file)
        real_name = "" if _is_placeholder(m.file) else PurePosixPath(m.file).name
        if m.media_type == "sticker":
            emoji = m.sticker_emoji or ""
            fmt = real_name.rsplit(".", 1)[-1] if "." in real_name else (m.mime_type or "").rsplit("/", 1)[-1]
            return (), (), (Sticker(id=url or emoji or "sticker", name=emoji or "sticker", format=fmt, url=url),)
        if m.media_type == "animation":
            return (), (Embed(url=url or None, title=m.file_name or "", kind="gif"),), ()
        name = m.file_name or _MEDIA_NAMES.get(m.media_type or "") or real_name or "file"
        return (Attachment(url=url, filename=name, size=m.file_size, local_path=local),), (), ()

    def _file(self, path: str) -> tuple[str, str | None]:
        """(``file://`` URL, local path) of a media file next to the export; ("", None) if absent."""
        if _is_placeholder(path) or self.source.member:
            return "", None
        found = self.source.local_file(path)
        if found.path is not None:
            return Path(found.path).as_uri(), found.path
        if found.refused:
            self.refused_files += 1
        else:
            self.missing_files += 1
        return "", None


def _reaction(r: _Reaction) -> Reaction:
    count = r.count if r.count is not None else 1
    if r.type == "custom_emoji":
        emoji_id = str(r.document_id) if r.document_id is not None else None
        return Reaction(emoji="custom_emoji", emoji_id=emoji_id, count=count)
    if r.type == "paid":
        return Reaction(emoji="⭐", count=count)
    return Reaction(emoji=r.emoji or "?", count=count)


def _plain(text: str | list[str | _Part] | None) -> str:
    if isinstance(text, str):
        return text
    return "".join(p if isinstance(p, str) else (p.text or "") for p in text or ())
