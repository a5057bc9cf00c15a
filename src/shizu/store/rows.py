"""Messages as store rows: the column layout, the msgpack blob of rarely-set parts, times in ms.

No database here: ``shizu ingest`` turns messages into rows in the worker process that parses a
file (:mod:`shizu.ingest.worker`) and sends them to the process that writes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec

from shizu.message import Attachment, Author, Channel, Embed, Message, Reaction, Sticker

BATCH = 5000


class Extras(msgspec.Struct, array_like=True, omit_defaults=True):
    """The rarely-set parts of a message, stored as one msgpack blob."""

    attachments: tuple[Attachment, ...] = ()
    embeds: tuple[Embed, ...] = ()
    stickers: tuple[Sticker, ...] = ()
    custom_emoji: dict[str, str] = {}
    reactions: tuple[Reaction, ...] = ()


_encode_extras = msgspec.msgpack.Encoder().encode
decode_extras = msgspec.msgpack.Decoder(Extras).decode


class WriteCounts(msgspec.Struct, kw_only=True):
    read: int = 0
    new: int = 0
    upgraded: int = 0  # present before, replaced by a richer source (full export over data package)

    @property
    def present(self) -> int:
        return self.read - self.new - self.upgraded


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def to_ms(ts: datetime) -> int:
    """Unix milliseconds (floored, exact integer arithmetic)."""
    return (ts - _EPOCH) // _MS


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


class SourceRows:
    """One source's messages as store rows, and what a source adds besides its messages.

    No database here: ``shizu ingest`` runs this in the worker process that parses the file
    (:mod:`shizu.ingest.worker`) and sends the rows and this summary to the writing process.
    """

    def __init__(self, sha256: str = "") -> None:
        self.sha256 = sha256
        self.read = 0
        self.platform = "discord"
        self.channels: dict[str, tuple[Channel, str]] = {}  # id -> (channel, platform)
        self.authors: dict[str, tuple[Author, int]] = {}  # id -> (latest author info, its time)

    def batches(self, messages: Iterable[Message], size: int = BATCH) -> Iterator[list[tuple]]:
        """Rows of ``messages`` in lists of ``size``, noting channels and authors on the way."""
        batch: list[tuple] = []
        channels, authors = self.channels, self.authors
        channel = None
        for msg in messages:
            ts = to_ms(msg.timestamp)
            if msg.channel is not channel:  # importers share one Channel object per channel
                channel = msg.channel
                channels[channel.id] = (channel, msg.platform)
                self.platform = msg.platform
            author = msg.author
            seen = authors.get(author.id)
            if seen is None or seen[1] <= ts:
                authors[author.id] = (author, ts)
            batch.append(_row(msg, ts))
            if len(batch) >= size:
                self.read += len(batch)
                yield batch
                batch = []
        if batch:
            self.read += len(batch)
            yield batch


NO_EXTRAS = Extras()


def _row(msg: Message, ts: int) -> tuple:
    """A message as the ``messages`` columns up to ``extras`` (quality and source are per source)."""
    has_extras = msg.attachments or msg.embeds or msg.stickers or msg.custom_emoji or msg.reactions
    extras = (
        _encode_extras(Extras(msg.attachments, msg.embeds, msg.stickers, msg.custom_emoji, msg.reactions))
        if has_extras
        else None
    )
    return (
        msg.id, msg.platform, msg.channel.id, msg.author.id, msg.author.label, ts, msg.content, msg.reply_to,
        msg.kind, int(msg.is_system), to_ms(msg.edited_at) if msg.edited_at else None, extras,
    )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


BOUND_PARAMETERS = 900  # bound parameters per statement (SQLite's limit is 999 in old builds)


def chunked(items: Sequence) -> Iterator[list]:
    """``items`` in lists of at most :data:`BOUND_PARAMETERS`: one ``IN (...)`` statement each."""
    for start in range(0, len(items), BOUND_PARAMETERS):
        yield list(items[start : start + BOUND_PARAMETERS])


def placeholders(items: Sequence) -> str:
    """``?,?,...``: one bound parameter for each of ``items``."""
    return ",".join("?" * len(items))
