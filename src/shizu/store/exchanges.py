"""The exchange log and the collection, in the workspace database (migration 2).

Every time a frontend answers, it records an :class:`Exchange`: the message answered, the ids of
the messages the prompt was built from and, since migration 6, the conversation itself
(:class:`ReplyContext`: what preference training pairs a reply with), what was sent (with the
platform's ids of the sent messages), what generated it and how long it took. Sent message ids map
back to their exchange, so

* a reaction on one of the bot's messages finds the exchange it belongs to (:meth:`ExchangeLog.star`
  puts it in the collection, the gallery of memorable replies; :meth:`ExchangeLog.exchange_of`
  finds it for feedback, :mod:`shizu.store.feedback`);
* the bot knows which of its own earlier messages were persona turns, and their text as generated
  (:meth:`ExchangeLog.persona_texts`), when it reads a channel's history back as context.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shizu.chat.layout import Place
from shizu.chat.media import MediaItem
from shizu.store.database import MessageStore
from shizu.store.rows import from_ms, to_ms


@dataclass(frozen=True, slots=True)
class SentMessage:
    """One persona message as sent: its platform ids (a long one may be split), text and media."""

    ids: tuple[str, ...]
    text: str  # as generated, media as their catalogue URLs
    body: str  # the text without the media
    media: tuple[MediaItem, ...] = ()


@dataclass(frozen=True, slots=True)
class ContextMessage:
    """One message of the conversation a reply answered, as the frontend handed it to the persona."""

    speaker: str
    text: str
    time: datetime
    is_persona: bool = False


@dataclass(frozen=True, slots=True)
class ReplyContext:
    """The conversation a reply answered: where, when the prompt said it was, who else was there
    (present but maybe silent) and the messages, oldest first. With the reply, what a trainer needs
    to render the same prompt again."""

    place: Place
    time: datetime
    participants: tuple[str, ...]
    messages: tuple[ContextMessage, ...]


@dataclass(frozen=True, slots=True)
class Exchange:
    """One answer of the persona: what it answered, from which context, and what it sent."""

    platform: str
    channel_id: str
    place: str  # where, for people: "#general (Cozy)", "a direct message"
    trigger_id: str
    trigger_author: str
    trigger_text: str
    trigger_time: datetime
    context_ids: tuple[str, ...]
    persona: str
    messages: tuple[SentMessage, ...]
    backend: str
    stop: str
    queued_ms: int
    latency_ms: int
    created: datetime
    id: int | None = None  # set once recorded
    context: ReplyContext | None = None  # None: recorded before contexts were kept (migration 6)

    @property
    def texts(self) -> tuple[str, ...]:
        """The reply, one text per message as generated (media as their catalogue URLs)."""
        return tuple(m.text for m in self.messages)


@dataclass(frozen=True, slots=True)
class Starred:
    """An exchange in the collection, with who starred it first and when."""

    exchange: Exchange
    by_id: str
    by_name: str
    at: datetime


class ExchangeLog:
    """The exchange log and the collection of the workspace database ``store``."""

    def __init__(self, store: MessageStore) -> None:
        self.store = store

    def record(self, exchange: Exchange) -> int:
        """Save ``exchange``; returns its id."""
        reply = [
            {"ids": list(m.ids), "text": m.text, "body": m.body, "media": [_media_json(i) for i in m.media]}
            for m in exchange.messages
        ]
        with self.store.transaction() as db:
            cursor = db.execute(
                "INSERT INTO exchanges (platform, channel_id, place, trigger_id, trigger_author, trigger_text, trigger_ts,"
                " context_ids, persona, reply, backend, stop, queued_ms, latency_ms, created_ts, context)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    exchange.platform, exchange.channel_id, exchange.place, exchange.trigger_id, exchange.trigger_author,
                    exchange.trigger_text, to_ms(exchange.trigger_time), json.dumps(list(exchange.context_ids)),
                    exchange.persona, json.dumps(reply, ensure_ascii=False), exchange.backend, exchange.stop,
                    exchange.queued_ms, exchange.latency_ms, to_ms(exchange.created), _context_json(exchange.context),
                ),
            )
            exchange_id = int(cursor.lastrowid or 0)
            db.executemany(
                "INSERT OR REPLACE INTO exchange_messages (message_id, exchange_id, text) VALUES (?, ?, ?)",
                [
                    (message_id, exchange_id, m.text if part == 0 else "")
                    for m in exchange.messages
                    for part, message_id in enumerate(m.ids)
                ],
            )
        return exchange_id

    def persona_texts(self, message_ids: Iterable[str]) -> dict[str, str]:
        """``message id -> text as generated`` for those of ``message_ids`` that are persona messages.

        The later parts of a message split at the platform's length limit map to ``""``.
        """
        ids = list(dict.fromkeys(message_ids))
        out: dict[str, str] = {}
        for start in range(0, len(ids), 500):  # SQLite's bound-parameter limit
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.store.db.execute(
                f"SELECT message_id, text FROM exchange_messages WHERE message_id IN ({marks})", chunk
            )
            out.update(dict(rows.fetchall()))
        return out

    def exchange_of(self, message_id: str) -> int | None:
        """The id of the exchange that sent ``message_id``; ``None`` when it is not a persona message."""
        row = self.store.db.execute("SELECT exchange_id FROM exchange_messages WHERE message_id = ?", (message_id,)).fetchone()
        return None if row is None else int(row[0])

    def latest(self, platform: str, channel_id: str) -> int | None:
        """The id of the last exchange recorded in ``channel_id`` of ``platform``, if any."""
        row = self.store.db.execute(
            "SELECT max(id) FROM exchanges WHERE platform = ? AND channel_id = ?", (platform, channel_id)
        ).fetchone()
        return None if row[0] is None else int(row[0])

    def exchanges(self, ids: Iterable[int]) -> dict[int, Exchange]:
        """``id -> exchange`` for those of ``ids`` that were recorded."""
        wanted = list(dict.fromkeys(ids))
        out: dict[int, Exchange] = {}
        for start in range(0, len(wanted), 500):  # SQLite's bound-parameter limit
            chunk = wanted[start:start + 500]
            rows = self.store.db.execute(f"SELECT {_COLUMNS} FROM exchanges e WHERE e.id IN ({','.join('?' * len(chunk))})", chunk)
            out.update((row[0], _exchange(row)) for row in rows)
        return out

    def star(self, message_id: str, by_id: str, by_name: str, at: datetime) -> int | None:
        """Put the exchange that sent ``message_id`` in the collection.

        Returns the exchange id when it was added now; ``None`` when ``message_id`` is not a persona
        message or its exchange is already in the collection (the first star counts).
        """
        with self.store.transaction() as db:
            row = db.execute("SELECT exchange_id FROM exchange_messages WHERE message_id = ?", (message_id,)).fetchone()
            if row is None:
                return None
            added = db.execute(
                "INSERT OR IGNORE INTO collection (exchange_id, starred_by, starred_by_name, starred_ts) VALUES (?, ?, ?, ?)",
                (row[0], by_id, by_name, to_ms(at)),
            ).rowcount
        return int(row[0]) if added else None

    def collection(self) -> list[Starred]:
        """Every starred exchange, the most recently starred first."""
        rows = self.store.db.execute(
            f"SELECT {_COLUMNS}, c.starred_by, c.starred_by_name, c.starred_ts"
            " FROM collection c JOIN exchanges e ON e.id = c.exchange_id ORDER BY c.starred_ts DESC, e.id DESC"
        )
        return [Starred(_exchange(row[:17]), row[17], row[18], from_ms(row[19])) for row in rows]


_COLUMNS = (  # what _exchange reads, from the table aliased ``e``
    "e.id, e.platform, e.channel_id, e.place, e.trigger_id, e.trigger_author, e.trigger_text, e.trigger_ts,"
    " e.context_ids, e.persona, e.reply, e.backend, e.stop, e.queued_ms, e.latency_ms, e.created_ts, e.context"
)


def _exchange(row: tuple[Any, ...]) -> Exchange:
    (ex_id, platform, channel_id, place, trigger_id, author, text, trigger_ts, context_ids, persona, reply, backend, stop,
     queued_ms, latency_ms, created_ts, context) = row
    messages = tuple(
        SentMessage(
            ids=tuple(m["ids"]), text=m["text"], body=m["body"],
            media=tuple(MediaItem(i["kind"], i["label"], i["url"], i.get("local_path"), i.get("local_root")) for i in m["media"]),
        )
        for m in json.loads(reply)
    )
    return Exchange(
        platform=platform, channel_id=channel_id, place=place, trigger_id=trigger_id, trigger_author=author,
        trigger_text=text, trigger_time=from_ms(trigger_ts), context_ids=tuple(json.loads(context_ids)), persona=persona,
        messages=messages, backend=backend, stop=stop, queued_ms=queued_ms, latency_ms=latency_ms,
        created=from_ms(created_ts), id=ex_id, context=None if context is None else _read_context(context),
    )


def _context_json(context: ReplyContext | None) -> str | None:
    if context is None:
        return None
    return json.dumps({
        "place": context.place.fields(), "time": to_ms(context.time), "participants": list(context.participants),
        "messages": [{"speaker": m.speaker, "text": m.text, "time": to_ms(m.time), "persona": m.is_persona} for m in context.messages],
    }, ensure_ascii=False)


def _read_context(text: str) -> ReplyContext:
    data = json.loads(text)
    return ReplyContext(
        place=Place(**data["place"]), time=from_ms(data["time"]), participants=tuple(data["participants"]),
        messages=tuple(ContextMessage(m["speaker"], m["text"], from_ms(m["time"]), m["persona"]) for m in data["messages"]),
    )


def _media_json(item: MediaItem) -> dict[str, str | None]:
    return {"kind": item.kind, "label": item.label, "url": item.url, "local_path": item.local_path, "local_root": item.local_root}
