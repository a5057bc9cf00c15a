"""Stored messages looked up by id: who wrote them and the reactions they drew.

The dataset's rows name the store ids behind every turn (``message_ids``); preference training
looks them up here to weigh the persona's turns by the reactions they drew, and to leave out
contexts written partly by people who opted out after the dataset was built.
"""

from __future__ import annotations

from collections.abc import Iterable

from shizu.message import Reaction
from shizu.store.database import MessageStore
from shizu.store.rows import chunked, decode_extras, placeholders


def authors_of(store: MessageStore, ids: Iterable[str]) -> dict[str, str]:
    """``message id -> author id`` for those of ``ids`` that are stored."""
    out: dict[str, str] = {}
    for chunk in chunked(list(dict.fromkeys(ids))):
        rows = store.db.execute(f"SELECT id, author_id FROM messages WHERE id IN ({placeholders(chunk)})", chunk)
        out.update(rows.fetchall())
    return out


def reactions_on(store: MessageStore, ids: Iterable[str]) -> dict[str, tuple[Reaction, ...]]:
    """``message id -> reactions`` for those of ``ids`` that are stored and drew any."""
    out: dict[str, tuple[Reaction, ...]] = {}
    for chunk in chunked(list(dict.fromkeys(ids))):
        rows = store.db.execute(
            f"SELECT id, extras FROM messages WHERE extras IS NOT NULL AND id IN ({placeholders(chunk)})", chunk
        )
        for message_id, extras in rows:
            reactions = decode_extras(extras).reactions
            if reactions:
                out[message_id] = reactions
    return out

