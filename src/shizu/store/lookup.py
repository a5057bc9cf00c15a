"""Stored messages looked up by id: who wrote them and the reactions they drew.

The dataset's rows name the store ids behind every turn (``message_ids``); preference training
looks them up here to weigh the persona's turns by the reactions they drew, and to leave out
contexts written partly by people who opted out after the dataset was built.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from shizu.message import Reaction
from shizu.store.database import MessageStore
from shizu.store.rows import decode_extras

_CHUNK = 500  # SQLite's bound-parameter limit, with room to spare


def authors_of(store: MessageStore, ids: Iterable[str]) -> dict[str, str]:
    """``message id -> author id`` for those of ``ids`` that are stored."""
    out: dict[str, str] = {}
    for chunk in _chunks(ids):
        rows = store.db.execute(f"SELECT id, author_id FROM messages WHERE id IN ({','.join('?' * len(chunk))})", chunk)
        out.update(rows.fetchall())
    return out


def reactions_on(store: MessageStore, ids: Iterable[str]) -> dict[str, tuple[Reaction, ...]]:
    """``message id -> reactions`` for those of ``ids`` that are stored and drew any."""
    out: dict[str, tuple[Reaction, ...]] = {}
    for chunk in _chunks(ids):
        rows = store.db.execute(
            f"SELECT id, extras FROM messages WHERE extras IS NOT NULL AND id IN ({','.join('?' * len(chunk))})", chunk
        )
        for message_id, extras in rows:
            reactions = decode_extras(extras).reactions
            if reactions:
                out[message_id] = reactions
    return out


def _chunks(ids: Iterable[str]) -> Iterator[list[str]]:
    wanted = list(dict.fromkeys(ids))
    for start in range(0, len(wanted), _CHUNK):
        yield wanted[start:start + _CHUNK]
