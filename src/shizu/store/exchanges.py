"""The exchange log and the collection, in the workspace database (migration 2).

Every time a frontend answers, it records an :class:`Exchange`: the message answered, the ids of
the messages the prompt was built from, what was sent (with the platform's ids of the sent
messages), what generated it and how long it took. Sent message ids map back to their exchange, so

* a reaction on one of the bot's messages finds the exchange it belongs to (:meth:`ExchangeLog.star`
  puts it in the collection, the gallery of memorable replies);
* the bot knows which of its own earlier messages were persona turns, and their text as generated
  (:meth:`ExchangeLog.persona_texts`), when it reads a channel's history back as context.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

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
                " context_ids, persona, reply, backend, stop, queued_ms, latency_ms, created_ts)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    exchange.platform, exchange.channel_id, exchange.place, exchange.trigger_id, exchange.trigger_author,
                    exchange.trigger_text, to_ms(exchange.trigger_time), json.dumps(list(exchange.context_ids)),
                    exchange.persona, json.dumps(reply, ensure_ascii=False), exchange.backend, exchange.stop,
                    exchange.queued_ms, exchange.latency_ms, to_ms(exchange.created),
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
            "SELECT e.id, e.platform, e.channel_id, e.place, e.trigger_id, e.trigger_author, e.trigger_text, e.trigger_ts,"
            " e.context_ids, e.persona, e.reply, e.backend, e.stop, e.queued_ms, e.latency_ms, e.created_ts,"
            " c.starred_by, c.starred_by_name, c.starred_ts"
            " FROM collection c JOIN exchanges e ON e.id = c.exchange_id ORDER BY c.starred_ts DESC, e.id DESC"
        )
        return [Starred(_exchange(row[:16]), row[16], row[17], from_ms(row[18])) for row in rows]


def _exchange(row: tuple[Any, ...]) -> Exchange:
    (ex_id, platform, channel_id, place, trigger_id, author, text, trigger_ts, context, persona, reply, backend, stop,
     queued_ms, latency_ms, created_ts) = row
    messages = tuple(
        SentMessage(
            ids=tuple(m["ids"]), text=m["text"], body=m["body"],
            media=tuple(MediaItem(i["kind"], i["label"], i["url"], i.get("local_path"), i.get("local_root")) for i in m["media"]),
        )
        for m in json.loads(reply)
    )
    return Exchange(
        platform=platform, channel_id=channel_id, place=place, trigger_id=trigger_id, trigger_author=author,
        trigger_text=text, trigger_time=from_ms(trigger_ts), context_ids=tuple(json.loads(context)), persona=persona,
        messages=messages, backend=backend, stop=stop, queued_ms=queued_ms, latency_ms=latency_ms,
        created=from_ms(created_ts), id=ex_id,
    )


def _media_json(item: MediaItem) -> dict[str, str | None]:
    return {"kind": item.kind, "label": item.label, "url": item.url, "local_path": item.local_path, "local_root": item.local_root}
