"""A memory (one past exchange of the persona), where it was made, and the scope rule.

A memory is one persona turn with the turns it answered: who said what, where, when, and the
persona's reply, as the caller gives them (``shizu build`` passes text already PII-redacted and
without opted-out people). Where it was made decides where it may come back (:func:`visible`):

* ``"channel"``: only in the same channel, thread, group DM or DM;
* ``"server"`` (the default): a server channel's memories anywhere in the same server; a DM's or
  a group DM's only in that same DM or group, as with ``"channel"``;
* ``"everywhere"``: any memory anywhere, DMs included (a DM secret can come up in a server).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import msgspec

from shizu.chat.layout import Place, Turn
from shizu.message import ChannelKind

Scope = Literal["channel", "server", "everywhere"]
Origin = Literal["history", "live", "bot"]  # the history, the person's own new message, a generated reply


@dataclass(frozen=True, slots=True)
class Where:
    """Where a memory was made, or where the persona talks now: what the scope rule compares."""

    platform: str
    kind: ChannelKind
    channel_id: str
    server_id: str = ""  # the server of a server channel or thread ("" elsewhere)

    @property
    def channel_key(self) -> str:
        return f"{self.platform}/channel/{self.channel_id}"

    @property
    def server_key(self) -> str:
        """The server for a server channel or thread; a DM or group is its own (as is a channel of an unknown server)."""
        if self.kind in ("guild-text", "thread") and self.server_id:
            return f"{self.platform}/server/{self.server_id}"
        return self.channel_key


def visible(made: Where, here: Where, scope: Scope) -> bool:
    """Whether a memory made at ``made`` may be recalled at ``here`` under ``scope``."""
    if scope == "everywhere":
        return True
    if scope == "server":
        return made.server_key == here.server_key
    return made.channel_key == here.channel_key


@dataclass(frozen=True, slots=True)
class Memory:
    """One exchange: the turns the persona answered and its reply, with where and when."""

    key: str  # stable and unique in the workspace: the persona turn's first message id
    where: Where
    place: Place  # how the place is shown (names as the dataset shows them)
    time: datetime  # aware: when the persona answered (its reply's last message)
    context: tuple[Turn, ...]  # the turns it answered, oldest first
    reply: tuple[str, ...]  # the persona's messages
    people: tuple[str, ...] = ()  # user ids of the people in ``context`` (opt-outs are enforced on them)
    origin: Origin = "history"

    def text(self) -> str:
        """What search reads (see :func:`exchange_text`)."""
        return exchange_text(self.context, self.reply)


def exchange_text(context: Sequence[Turn], reply: Sequence[str]) -> str:
    """What search reads of an exchange, both halves: the lines answered, then the reply's, one a line.

    Without the speakers' names: with them, every memory of a DM would match the other person's
    name, by its words and by meaning alike (a query "Ana: lol" is as close to any of Ana's
    memories as a paraphrase is).
    """
    return "\n".join([text for turn in context for text in turn.texts] + list(reply))


def query_text(turns: Sequence[Turn]) -> str:
    """The live context as search reads it: its messages' texts, one a line, no names."""
    return "\n".join(text for turn in turns for text in turn.texts)


@dataclass(frozen=True, slots=True)
class Recalled:
    """A memory found by a search: its id, fused score and rank in each list (``None``: not in it)."""

    id: int
    memory: Memory
    score: float
    lexical_rank: int | None
    semantic_rank: int | None


# -- the stored form (msgpack): the place once per channel, each memory's turns and reply --------

_Body = tuple[list[tuple[str, list[str]]], list[str]]
_PlaceRecord = tuple[str, ChannelKind, str, str, str, str, str, str]  # where's fields, then the Place's shown names
_encode = msgspec.msgpack.Encoder().encode
_decode_body = msgspec.msgpack.Decoder(_Body).decode
_decode_place = msgspec.msgpack.Decoder(_PlaceRecord).decode


def encode_body(memory: Memory) -> bytes:
    return _encode(([(turn.speaker, turn.texts) for turn in memory.context], memory.reply))


def decode_body(data: bytes) -> tuple[tuple[Turn, ...], tuple[str, ...]]:
    context, reply = _decode_body(data)
    return tuple(Turn(speaker, False, tuple(texts)) for speaker, texts in context), tuple(reply)


def encode_place(where: Where, place: Place) -> bytes:
    return _encode((where.platform, where.kind, where.channel_id, where.server_id, place.channel, place.server, place.parent, place.platform))


def decode_place(data: bytes) -> tuple[Where, Place]:
    platform, kind, channel_id, server_id, channel, server, parent, shown_platform = _decode_place(data)
    where = Where(platform, kind, channel_id, server_id)
    return where, Place(kind=where.kind, channel=channel, server=server, parent=parent, platform=shown_platform)
