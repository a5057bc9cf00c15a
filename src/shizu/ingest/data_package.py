"""Discord's own data package ("Request all of my data"), every era since 2018.

The unit is one channel's messages file, sniffed by content inside a folder named ``c?<digits>``:
``messages.csv`` (to Feb 2024: ``ID,Timestamp,Contents,Attachments``, Python-csv dialect) or
``messages.json`` (Mar 2024+: an array of ``{"ID": <int64>, "Timestamp", "Contents",
"Attachments"}``). The layout is found structurally, so renamed or localised folders work: the
channel folder's parent is the messages root (with ``index.json``), whose parent is the package
root; the account's ``user.json`` lies one level below that root (``Account/``, ``account/`` or a
translated name). Packages hold only the owner's messages: every message's author is the account
in ``user.json``, recorded in ``report.accounts`` so the store knows who "me" is.

Content is raw Discord markup; custom emoji ids are kept and the text is rendered the way
DiscordChatExporter renders it. Times come from the message id (millisecond snowflakes) when the
file's timestamps are coarser. Quality is "own messages": a DiscordChatExporter export of the same
messages later replaces them with its richer records.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import ClassVar
from urllib.parse import unquote, urlsplit

import msgspec

from shizu.chat.discord_markup import (
    custom_emoji_in,
    is_gif_url,
    is_snowflake,
    parse_timestamp,
    render_raw_markup,
    snowflake_time,
)
from shizu.errors import IngestError
from shizu.ingest.base import (
    QUALITY_OWN_MESSAGES,
    SKIP_BAD_TIMESTAMP,
    SKIP_MALFORMED,
    SKIP_NO_ID,
    FileReport,
)
from shizu.ingest.source import Source, archive_names, text_stream
from shizu.message import Attachment, Author, Channel, ChannelKind, Embed, Message

PLACEHOLDER_OWNER = "package-owner"
CSV_COLUMNS = ("ID", "Timestamp", "Contents", "Attachments")

_CHANNEL_DIR = re.compile(r"^c?(\d+)$")
_CSV_HEADER = ",".join(CSV_COLUMNS).encode()
NEWLINE = b"\n"
_JSON_HEAD = re.compile(rb'^\s*\[\s*(\]|\{[^{}]*"ID"\s*:)')
_URL = re.compile(r"https?://\S+")
_DM_LABEL = re.compile(r"^Direct Message with (.+?)(#\d{4})?$")

# channel.json ``type``: numeric in older packages, names in 2025+ ones.
_KIND_BY_NUMBER: dict[int, ChannelKind] = {1: "dm", 3: "group", 10: "thread", 11: "thread", 12: "thread"}
_KIND_BY_NAME: dict[str, ChannelKind] = {
    "DM": "dm", "GROUP_DM": "group", "PUBLIC_THREAD": "thread", "PRIVATE_THREAD": "thread",
    "ANNOUNCEMENT_THREAD": "thread", "GUILD_PUBLIC_THREAD": "thread", "GUILD_PRIVATE_THREAD": "thread",
    "GUILD_NEWS_THREAD": "thread",
}


class _Row(msgspec.Struct):
    """One row of ``messages.json``; ``ID`` is a bare int64, decoded exactly (never via float)."""

    ID: int | str | None = None
    Timestamp: str | None = None
    Contents: str | None = None
    Attachments: str | None = None


_decode_rows = msgspec.json.Decoder(list[msgspec.Raw]).decode
_decode_row = msgspec.json.Decoder(_Row).decode


@dataclass
class _Package:
    """What one package says about its owner and channels (read once, shared by its files)."""

    owner: Author | None
    labels: dict[str, str] = field(default_factory=dict)  # channel id -> index.json label
    names: dict[str, str] = field(default_factory=dict)  # user id -> name, for rendering mentions
    channel_names: dict[str, str] = field(default_factory=dict)  # channel id -> name, for <#id>
    warned: bool = False


class DataPackageImporter:
    format: ClassVar[str] = "discord-package"
    label: ClassVar[str] = "Discord data package"
    quality: ClassVar[int] = QUALITY_OWN_MESSAGES

    def __init__(self) -> None:
        self._packages: dict[tuple[str, str], _Package] = {}

    def sniff(self, source: Source, head: bytes) -> bool:
        parts = source.parts
        if len(parts) < 2 or not _CHANNEL_DIR.match(parts[-2]):
            return False
        head = head.removeprefix(b"\xef\xbb\xbf")
        first_line = head.split(NEWLINE, 1)[0].rstrip(b"\r")
        return first_line == _CSV_HEADER or bool(_JSON_HEAD.match(head))

    def read(self, source: Source, report: FileReport) -> Iterator[Message]:
        package = self._package(source)
        if package.owner is not None:
            report.accounts.append(package.owner)
            author = package.owner
        else:
            author = Author(id=PLACEHOLDER_OWNER)
            if not package.warned:
                package.warned = True
                report.warn(
                    "this data package has no account/user.json, so your account id is unknown; its messages are"
                    f" stored under the placeholder author {PLACEHOLDER_OWNER!r}. Tell Shizu who you are with"
                    ' `shizu init --me YOUR_ID` or `me = ["YOUR_ID"]` under [persona] in shizu.toml, and add'
                    f' "{PLACEHOLDER_OWNER}" there too to count messages found only in this package as yours.'
                )
        channel, names = self._channel(source, package, report)
        for mid, stamp, contents, attachments in _rows(source, report):
            if not mid:
                report.skip(SKIP_NO_ID)
                continue
            timestamp = _timestamp(mid, stamp)
            if timestamp is None:
                report.skip(SKIP_BAD_TIMESTAMP)
                continue
            markup = "<" in contents
            yield Message(
                id=mid,
                channel=channel,
                author=author,
                timestamp=timestamp,
                content=render_raw_markup(contents, names, package.channel_names) if markup else contents,
                source=source.name,
                attachments=tuple(
                    Attachment(url=url, filename=unquote(urlsplit(url).path.rsplit("/", 1)[-1]))
                    for url in attachments.split()
                ),
                embeds=tuple(Embed(url=url, kind="gif") for url in _URL.findall(contents) if is_gif_url(url)),
                custom_emoji=custom_emoji_in(contents) if markup else {},
            )

    # -- package and channel metadata -----------------------------------------------------------

    def _package(self, source: Source) -> _Package:
        """The owner account, channel labels and known names of the package ``source`` belongs to."""
        if source.member:
            messages_root = PurePosixPath(source.member).parent.parent
            key = (str(source.path), str(messages_root))
        else:
            messages_root = source.path.parent.parent
            key = (str(messages_root), "")
        package = self._packages.get(key)
        if package is not None:
            return package
        index = source.relative("..", "index.json")
        labels = {
            str(cid): label for cid, label in (_json_object(index) or {}).items() if isinstance(label, str)
        } if index else {}
        owner, names = _owner(_user_json(source, messages_root))
        channel_names = {cid: _label_name(label) for cid, label in labels.items()}
        package = self._packages[key] = _Package(owner, labels, names, channel_names)
        return package

    def _channel(self, source: Source, package: _Package, report: FileReport) -> tuple[Channel, dict[str, str]]:
        """The channel (from channel.json and index.json) and the user names usable in its mentions."""
        folder_id = _CHANNEL_DIR.match(source.parts[-2]).group(1)
        meta_source = source.sibling("channel.json")
        meta = _json_object(meta_source) if meta_source else None
        if meta_source and meta is None:
            report.warn("channel.json is not a JSON object; the channel's name and kind are unknown")
        meta = meta or {}
        cid = str(meta.get("id") or folder_id)
        guild = meta.get("guild") if isinstance(meta.get("guild"), dict) else {}
        recipients = [str(r) for r in meta.get("recipients") or [] if isinstance(r, (int, str))]
        label = package.labels.get(cid)
        kind = _kind(meta.get("type"), bool(guild), recipients, label)
        names = dict(package.names)
        name = meta.get("name") if isinstance(meta.get("name"), str) else ""
        if kind == "dm":
            owner_id = package.owner.id if package.owner else None
            others = [r for r in recipients if r != owner_id]
            other = others[0] if len(others) == 1 else None
            m = _DM_LABEL.match(label) if label else None
            if other and m:
                names.setdefault(other, m.group(1))
            name = name or (names.get(other, "") if other else "") or (m.group(1) if m else "")
        guild_name = guild.get("name") if isinstance(guild.get("name"), str) else None
        if not name and label:
            name = label.removesuffix(f" in {guild_name}") if guild_name else _label_name(label)
        parent = meta.get("parent_id")
        channel = Channel(
            id=cid,
            name=name,
            kind=kind,
            guild_id=str(guild["id"]) if guild.get("id") else None,
            guild_name=guild_name,
            parent_id=str(parent) if parent else None,
        )
        return channel, names


def _kind(value: object, in_guild: bool, recipients: list[str], label: str | None) -> ChannelKind:
    """channel.json ``type`` (0/"GUILD_TEXT", 1/"DM", 3/"GROUP_DM", 11/"PUBLIC_THREAD"...) as a kind."""
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return _KIND_BY_NUMBER.get(value, "guild-text")
    if isinstance(value, str) and value.upper() in _KIND_BY_NAME:
        return _KIND_BY_NAME[value.upper()]
    if in_guild or isinstance(value, str):
        return "guild-text"
    if len(recipients) > 2:
        return "group"
    if recipients or (label and _DM_LABEL.match(label)):
        return "dm"
    return "guild-text"


def _label_name(label: str) -> str:
    """The channel or person an index.json label names ("general in Server", "Direct Message with X#1234")."""
    if m := _DM_LABEL.match(label):
        return m.group(1)
    return label.partition(" in ")[0]


def _user_json(source: Source, messages_root: Path | PurePosixPath) -> Source | None:
    """``user.json`` one level below the package root (``Account/``, ``account/`` or a localised name)."""
    package_root = messages_root.parent
    if source.member:
        members = (PurePosixPath(n) for n in archive_names(source.path))
        candidates = [
            Source(source.path, str(p)) for p in sorted(members)
            if p.name == "user.json" and p.parent.parent == package_root and p.parent != messages_root
        ]
    else:
        try:
            folders = sorted(d for d in Path(package_root).iterdir() if d.is_dir() and d != messages_root)
        except OSError:
            return None
        candidates = [Source(d / "user.json") for d in folders if (d / "user.json").is_file()]
    candidates.sort(key=lambda s: PurePosixPath(s.member or s.path.as_posix()).parent.name.lower() != "account")
    return candidates[0] if candidates else None


def _owner(user_source: Source | None) -> tuple[Author | None, dict[str, str]]:
    """The account (id, username, global name) and the names of its friends, from user.json."""
    user = _json_object(user_source) if user_source else None
    if not user or not isinstance(user.get("id"), (int, str)) or not str(user["id"]).strip():
        return None, {}
    username = user.get("username") if isinstance(user.get("username"), str) else ""
    global_name = user.get("global_name") if isinstance(user.get("global_name"), str) else ""
    owner = Author(id=str(user["id"]), name=username, display_name=global_name or "")
    names = {owner.id: owner.label}
    for rel in user.get("relationships") or []:
        friend = rel.get("user") if isinstance(rel, dict) else None
        if isinstance(friend, dict) and isinstance(friend.get("id"), (int, str)):
            label = friend.get("global_name") or friend.get("username")
            if isinstance(label, str) and label:
                names[str(friend["id"])] = label
    return owner, names


def _json_object(source: Source) -> dict | None:
    try:
        value = msgspec.json.decode(source.read_bytes().removeprefix(b"\xef\xbb\xbf"))
    except (OSError, msgspec.DecodeError):
        return None
    return value if isinstance(value, dict) else None


# -- message rows -----------------------------------------------------------------------------------


def _timestamp(mid: str, text: str) -> datetime | None:
    """The file's UTC time, or the id's millisecond time when the file only has whole seconds."""
    snowflake = snowflake_time(mid) if is_snowflake(mid) else None
    try:
        stamp = parse_timestamp(text) if text else None
    except ValueError:
        stamp = None
    if stamp is None:
        return snowflake
    if snowflake is not None and stamp.microsecond == 0 and timedelta(0) <= snowflake - stamp < timedelta(seconds=1):
        return snowflake
    return stamp


Row = tuple[str, str, str, str]  # id, timestamp, contents, attachments


def _rows(source: Source, report: FileReport) -> Iterator[Row]:
    """The file's rows, whichever of the two formats it is (told apart by content)."""
    if source.head(64).lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"["):
        return _json_rows(source, report)
    return _csv_rows(source, report)


def _json_rows(source: Source, report: FileReport) -> Iterator[Row]:
    data = source.read_bytes().removeprefix(b"\xef\xbb\xbf")
    try:
        raw_rows = _decode_rows(data)
    except msgspec.DecodeError as exc:
        raise IngestError(
            source.name, f"is not a valid messages.json: {exc}", position=_json_position(data, str(exc)),
            hint="Extract the package again from Discord's zip; a cut-off file cannot be read.",
        ) from None
    for raw in raw_rows:
        try:
            row = _decode_row(raw)
        except msgspec.DecodeError:
            report.skip(SKIP_MALFORMED)
            continue
        mid = str(row.ID).strip() if row.ID is not None else ""
        yield mid, row.Timestamp or "", row.Contents or "", row.Attachments or ""
    report.progress(len(data))


def _json_position(data: bytes, message: str) -> str | None:
    """``line N`` for msgspec's "(byte N)" error positions; the last line for a cut-off file."""
    m = re.search(r"byte (\d+)", message)
    end = int(m.group(1)) if m else len(data) if "truncated" in message else None
    return None if end is None else f"line {data.count(NEWLINE, 0, end) + 1}"


def _csv_rows(source: Source, report: FileReport) -> Iterator[Row]:
    try:
        with text_stream(source) as fh:
            reader = csv.reader(fh)
            header = next(reader, None) or []
            columns = {name.strip(): i for i, name in enumerate(header)}
            if "ID" not in columns:
                raise IngestError(
                    source.name, f"has no ID column (header: {','.join(header)!r})", position="line 1",
                    hint="A data package messages.csv starts with ID,Timestamp,Contents,Attachments.",
                )
            at = [columns.get(name) for name in CSV_COLUMNS]
            for row in reader:
                if len(row) != len(header):
                    report.skip(SKIP_MALFORMED)
                    continue
                mid, stamp, contents, attachments = (row[i] if i is not None else "" for i in at)
                yield mid.strip(), stamp, contents, attachments
    except csv.Error as exc:
        raise IngestError(source.name, f"is not valid CSV: {exc}", position=f"line {reader.line_num}") from None
    except UnicodeDecodeError as exc:
        raise IngestError(
            source.name, f"is not UTF-8 text: {exc.reason}", hint="Use the messages.csv from Discord's zip as is."
        ) from None
    report.progress(source.size())
