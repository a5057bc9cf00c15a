"""Live feedback on the persona's replies, in the workspace database (migration 6; docs/feedback.md).

Each row is one verdict on one logged exchange (:mod:`shizu.store.exchanges`): a friend's 👍 or 👎
reaction on Discord, a thumb on the web page, the owner's "another take" (the reply discarded,
verdict ``rejected``, with the take that replaced it), or a blind-test answer (``up``: the model's
reply was taken for the real one; ``down``: it was spotted; its exchange is logged under the
held-out turn's key, platform ``blind-test``). Who gave it is kept (a Discord user id, or
``web:`` and the page's voter id) so the person can see and delete it, and so one giver counts once:
the same giver, verdict, exchange and source is stored once (a unique index).

People in ``[privacy] opt_out`` never have feedback stored, and what they gave before opting out
is left out of :meth:`FeedbackTable.items` (``shizu feedback forget --giver`` deletes it).
Preference training reads :meth:`FeedbackTable.items`: each item carries the exchange, whose
``context`` and ``texts`` are the conversation and the reply judged.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, cast

from shizu.store.database import MessageStore
from shizu.store.exchanges import Exchange, ExchangeLog
from shizu.store.rows import from_ms, to_ms

Source = Literal["discord-reaction", "web", "reroll", "blind-test"]
Verdict = Literal["up", "down", "rejected"]
SOURCES: tuple[Source, ...] = ("discord-reaction", "web", "reroll", "blind-test")


@dataclass(frozen=True, slots=True)
class FeedbackItem:
    """One stored verdict with the exchange it judges (and, for a reroll, the take that replaced it)."""

    id: int
    created: datetime
    source: Source
    giver: str  # a Discord user id, or "web:" and the page's voter id
    giver_name: str
    verdict: Verdict
    emoji: str  # the reaction, "" when none
    exchange: Exchange  # the reply judged: its context and texts (for "rejected": the reply discarded)
    retake: Exchange | None = None  # for a reroll: the reply written instead, once it was sent


class FeedbackTable:
    """The feedback rows of the workspace database ``store``; ``opt_out``: user ids never stored."""

    def __init__(self, store: MessageStore, opt_out: Collection[str] = ()) -> None:
        self.store = store
        self.opt_out = frozenset(opt_out)

    def add(
        self, exchange_id: int, verdict: Verdict, *, source: Source, giver: str, giver_name: str, at: datetime,
        emoji: str = "", retake_id: int | None = None,
    ) -> bool:
        """Store one verdict on the exchange ``exchange_id``; ``False`` when the giver opted out or
        already gave this verdict on it from this source (nothing is stored then)."""
        if giver in self.opt_out:
            return False
        with self.store.transaction() as db:
            added = db.execute(
                "INSERT OR IGNORE INTO feedback (created_ts, source, giver, giver_name, exchange_id, verdict, emoji, retake_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (to_ms(at), source, giver, giver_name, exchange_id, verdict, emoji, retake_id),
            ).rowcount
        return bool(added)

    def items(self, source: Source | None = None, giver: str | None = None) -> list[FeedbackItem]:
        """The stored feedback (from ``source``, by ``giver``: each only when given), oldest first,
        without what people in ``opt_out`` gave."""
        sql = "SELECT id, created_ts, source, giver, giver_name, verdict, emoji, exchange_id, retake_id FROM feedback WHERE 1"
        args: list[str] = []
        for column, value in (("source", source), ("giver", giver)):
            if value is not None:
                sql += f" AND {column} = ?"
                args.append(value)
        rows = [row for row in self.store.db.execute(sql + " ORDER BY created_ts, id", args) if row[3] not in self.opt_out]
        exchanges = ExchangeLog(self.store).exchanges(i for row in rows for i in row[7:] if i is not None)
        return [
            FeedbackItem(
                id=row_id, created=from_ms(created), source=cast(Source, kind), giver=who, giver_name=name,
                verdict=cast(Verdict, verdict), emoji=emoji, exchange=exchanges[exchange_id],
                retake=exchanges[retake_id] if retake_id is not None else None,
            )
            for row_id, created, kind, who, name, verdict, emoji, exchange_id, retake_id in rows
        ]

    def count(self, giver: str | None = None) -> int:
        """How much feedback is stored (by ``giver`` when given), opted out or not."""
        sql, args = ("SELECT count(*) FROM feedback", ()) if giver is None else ("SELECT count(*) FROM feedback WHERE giver = ?", (giver,))
        return int(self.store.db.execute(sql, args).fetchone()[0])

    def known(self, ids: Iterable[int]) -> set[int]:
        """Those of ``ids`` that are stored."""
        wanted = list(dict.fromkeys(ids))
        found: set[int] = set()
        for start in range(0, len(wanted), 500):  # SQLite's bound-parameter limit
            chunk = wanted[start:start + 500]
            rows = self.store.db.execute(f"SELECT id FROM feedback WHERE id IN ({','.join('?' * len(chunk))})", chunk)
            found.update(row[0] for row in rows)
        return found

    def forget(self, ids: Iterable[int]) -> int:
        """Delete the feedback ``ids``; returns how many were stored."""
        wanted = list(dict.fromkeys(ids))
        deleted = 0
        with self.store.transaction() as db:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start:start + 500]
                deleted += db.execute(f"DELETE FROM feedback WHERE id IN ({','.join('?' * len(chunk))})", chunk).rowcount
        return deleted

    def forget_giver(self, giver: str) -> int:
        """Delete everything ``giver`` gave (opted out or not); returns how much."""
        with self.store.transaction() as db:
            return db.execute("DELETE FROM feedback WHERE giver = ?", (giver,)).rowcount

    def forget_all(self) -> int:
        """Delete all feedback; returns how much there was."""
        with self.store.transaction() as db:
            return db.execute("DELETE FROM feedback").rowcount
