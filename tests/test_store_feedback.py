"""Live feedback on the persona's replies (migration 6): stored once per giver and verdict, never
from people who opted out, listed with the conversation and the reply judged, forgotten on demand."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from clock import NOW
from shizu.chat.layout import Place
from shizu.store import MessageStore
from shizu.store.exchanges import ContextMessage, Exchange, ExchangeLog, ReplyContext, SentMessage
from shizu.store.feedback import FeedbackTable
from shizu.store.migrations import MIGRATIONS

CONTEXT = ReplyContext(
    place=Place(kind="guild-text", channel="general", server="Cozy"), time=NOW, participants=("Alice", "Bob"),
    messages=(ContextMessage("Alice", "best pizza?", NOW - timedelta(minutes=1)), ContextMessage("Mika", "hm", NOW, is_persona=True)),
)


def exchange(trigger_id: str, texts: list[str], context: ReplyContext | None = CONTEXT) -> Exchange:
    return Exchange(
        platform="discord", channel_id="10", place="#general on Cozy", trigger_id=trigger_id, trigger_author="Alice",
        trigger_text="best pizza?", trigger_time=NOW, context_ids=("1",), persona="Mika",
        messages=tuple(SentMessage((f"{trigger_id}{i}",), text, text) for i, text in enumerate(texts)),
        backend="tiny", stop="end-of-turn", queued_ms=0, latency_ms=10, created=NOW, context=context,
    )


def logged(store: MessageStore) -> tuple[int, int]:
    """Two exchanges: "pineapple" (and its retake "margherita")."""
    log = ExchangeLog(store)
    return log.record(exchange("2", ["pineapple", "fight me"])), log.record(exchange("2", ["margherita"], context=None))


def test_a_verdict_is_stored_once_per_giver_source_and_exchange(tmp_path: Path) -> None:
    with MessageStore(tmp_path / "s.db") as store:
        first, second = logged(store)
        table = FeedbackTable(store, opt_out=["666"])
        added = [
            table.add(first, "up", source="discord-reaction", giver="7", giver_name="Bob", at=NOW, emoji="👍"),
            table.add(first, "up", source="discord-reaction", giver="7", giver_name="Bob", at=NOW, emoji="⭐"),  # the same again
            table.add(first, "down", source="discord-reaction", giver="7", giver_name="Bob", at=NOW, emoji="👎"),  # another verdict
            table.add(first, "up", source="web", giver="7", giver_name="Bob", at=NOW),  # another source
            table.add(second, "up", source="discord-reaction", giver="7", giver_name="Bob", at=NOW, emoji="👍"),  # another exchange
            table.add(first, "up", source="discord-reaction", giver="8", giver_name="Cleo", at=NOW, emoji="👍"),  # someone else
            table.add(first, "up", source="discord-reaction", giver="666", giver_name="Olly", at=NOW, emoji="👍"),  # opted out
        ]
        assert added == [True, False, True, True, True, True, False]
        assert store.db.execute("SELECT count(*) FROM feedback").fetchone()[0] == 5
        assert [(i.giver, i.verdict, i.emoji, i.exchange.id) for i in table.items()] == [
            ("7", "up", "👍", first), ("7", "down", "👎", first), ("7", "up", "", first), ("7", "up", "👍", second), ("8", "up", "👍", first),
        ]
        assert [i.id for i in table.items(source="web")] == [3]
        assert [i.verdict for i in table.items(source="discord-reaction", giver="8")] == ["up"]


def test_items_carry_the_conversation_the_reply_and_the_retake(tmp_path: Path) -> None:
    with MessageStore(tmp_path / "s.db") as store:
        first, second = logged(store)
        table = FeedbackTable(store)
        table.add(first, "rejected", source="reroll", giver="1", giver_name="Owner", at=NOW + timedelta(seconds=5), retake_id=second)
        table.add(second, "up", source="web", giver="web:voter-123", giver_name="Sam", at=NOW + timedelta(seconds=9))
        rejected, liked = table.items()
    assert (rejected.source, rejected.verdict, rejected.giver_name, rejected.created) == ("reroll", "rejected", "Owner", NOW + timedelta(seconds=5))
    assert rejected.exchange.texts == ("pineapple", "fight me") and rejected.exchange.context == CONTEXT
    assert rejected.retake is not None and rejected.retake.texts == ("margherita",)
    assert (liked.giver, liked.retake, liked.exchange.context) == ("web:voter-123", None, None)  # an exchange without its context


def test_people_who_opt_out_later_are_left_out_and_forgetting_counts_what_went(tmp_path: Path) -> None:
    with MessageStore(tmp_path / "s.db") as store:
        first, second = logged(store)
        before = FeedbackTable(store)
        for giver, exchange_id in (("7", first), ("7", second), ("8", first), ("9", first)):
            before.add(exchange_id, "up", source="discord-reaction", giver=giver, giver_name=giver, at=NOW)
        table = FeedbackTable(store, opt_out=["9"])
        assert [i.giver for i in table.items()] == ["7", "7", "8"]
        assert table.known([1, 4, 99]) == {1, 4}
        assert table.forget_giver("9") == 1  # what an opted-out person gave can still be deleted
        assert table.forget([1, 99]) == 1
        assert table.forget([1]) == 0
        assert table.forget_giver("7") == 1
        assert table.forget_all() == 1
        assert table.items() == [] and table.forget_all() == 0


def test_feedback_needs_a_logged_exchange(tmp_path: Path) -> None:
    with MessageStore(tmp_path / "s.db") as store:
        with pytest.raises(sqlite3.IntegrityError):
            FeedbackTable(store).add(42, "up", source="web", giver="web:x", giver_name="Sam", at=NOW)


def test_migration_6_keeps_the_exchanges_logged_before_it(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "s.db", isolation_level=None)
    for script in MIGRATIONS[:5]:
        db.executescript(script)
    db.execute(
        "INSERT INTO exchanges (platform, channel_id, place, trigger_id, trigger_author, trigger_text, trigger_ts, context_ids,"
        " persona, reply, backend, stop, queued_ms, latency_ms, created_ts) VALUES ('discord', '10', '#general', '2', 'Alice', 'hi',"
        " 0, '[]', 'Mika', '[{\"ids\": [\"100\"], \"text\": \"hey\", \"body\": \"hey\", \"media\": []}]', 'tiny', 'end', 0, 0, 0)"
    )
    db.execute("PRAGMA user_version=5")
    db.close()
    with MessageStore(tmp_path / "s.db") as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        old = ExchangeLog(store).exchanges([1])[1]
        assert (old.texts, old.context) == (("hey",), None)
        assert FeedbackTable(store).add(1, "down", source="discord-reaction", giver="7", giver_name="Bob", at=NOW, emoji="❌")
