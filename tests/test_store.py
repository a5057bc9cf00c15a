"""The message store: keyed by id, richer sources upgrade poorer ones, failures roll back."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shizu.errors import IngestError
from shizu.message import Attachment, Author, Channel, Message, Reaction
from shizu.store import MessageStore
from shizu.store.migrations import MIGRATIONS

CHANNEL = Channel(id="10", name="general", kind="guild-text", guild_id="1", guild_name="Cozy")
ALICE = Author(id="100", name="alice", display_name="Alice")


def msg(mid: str, content: str, minute: int = 0, **kw) -> Message:
    return Message(
        id=mid, channel=kw.pop("channel", CHANNEL), author=kw.pop("author", ALICE),
        timestamp=datetime(2024, 1, 1, 12, minute, tzinfo=UTC), content=content, **kw,
    )


def write(store: MessageStore, messages, quality: int = 2, path: str = "a.json"):
    return store.write_source(messages, path=path, format="test", sha256="x", quality=quality)


def test_same_messages_twice_add_nothing(tmp_path: Path) -> None:
    store = MessageStore(tmp_path / "s.db")
    first = write(store, [msg("1", "hi"), msg("2", "yo", 1), msg("1", "hi")])
    assert (first.read, first.new, first.upgraded, first.present) == (3, 2, 0, 1)
    again = write(store, [msg("1", "hi"), msg("2", "yo", 1)])
    assert (again.read, again.new, again.upgraded, again.present) == (2, 0, 0, 2)
    assert store.count() == 2


def test_richer_source_upgrades_and_poorer_does_not(tmp_path: Path) -> None:
    store = MessageStore(tmp_path / "s.db")
    write(store, [msg("1", "raw <@100>")], quality=1)
    up = write(store, [msg("1", "raw @Alice")], quality=2)
    assert (up.new, up.upgraded) == (0, 1)
    down = write(store, [msg("1", "raw <@100>")], quality=1)
    assert (down.new, down.upgraded, down.present) == (0, 0, 1)
    assert [m.content for m in store.iter_messages()] == ["raw @Alice"]


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    store = MessageStore(tmp_path / "s.db")
    original = msg(
        "7", "look :kekw:", reply_to="6", edited_at=datetime(2024, 1, 1, 13, tzinfo=UTC),
        attachments=(Attachment(url="https://cdn/x.png", filename="x.png", size=12),),
        custom_emoji={"kekw": "99"}, reactions=(Reaction(emoji="👍", count=2),),
    )
    write(store, [original], path="src.json")
    (back,) = store.iter_messages()
    assert back == Message(**{**{f: getattr(original, f) for f in original.__struct_fields__}, "source": "src.json"})


def test_failing_source_leaves_store_unchanged(tmp_path: Path) -> None:
    store = MessageStore(tmp_path / "s.db")
    write(store, [msg("1", "kept")])

    def broken():
        yield msg("2", "never stored")
        raise IngestError("b.json", "garbage", position="byte 10")

    with pytest.raises(IngestError, match=r"b.json \(byte 10\): garbage"):
        write(store, broken(), path="b.json")
    assert [m.id for m in store.iter_messages()] == ["1"]
    assert store.db.execute("SELECT count(*) FROM sources").fetchone()[0] == 1


def test_channel_and_author_metadata_prefers_known_names(tmp_path: Path) -> None:
    store = MessageStore(tmp_path / "s.db")
    write(store, [msg("1", "a", channel=CHANNEL)])
    write(store, [msg("2", "b", 5, channel=Channel(id="10"), author=Author(id="100"))], quality=1)
    assert store.channels()["10"].name == "general"
    assert store.db.execute("SELECT name, display_name FROM authors").fetchall() == [("alice", "Alice")]


def test_reopening_applies_no_migration_twice(tmp_path: Path) -> None:
    MessageStore(tmp_path / "s.db").close()
    store = MessageStore(tmp_path / "s.db")
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


def message_indexes(store: MessageStore) -> list[tuple[str, str]]:
    return store.db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type='index' AND tbl_name='messages' AND sql IS NOT NULL ORDER BY name"
    ).fetchall()


def test_bulk_load_into_an_empty_store_builds_the_indexes_at_the_end(tmp_path: Path) -> None:
    store = MessageStore(tmp_path / "s.db")
    indexes = message_indexes(store)
    assert [name for name, _ in indexes] == ["messages_author", "messages_channel_ts"]
    with store.bulk_load():
        assert message_indexes(store) == []
        write(store, [msg("1", "hi"), msg("2", "yo", 1)])
    assert message_indexes(store) == indexes
    assert store.db.execute("SELECT count(*) FROM pending_indexes").fetchone()[0] == 0
    plan = store.db.execute("EXPLAIN QUERY PLAN SELECT * FROM messages WHERE author_id = '100'").fetchall()
    assert "USING INDEX messages_author" in plan[0][-1]
    with store.bulk_load():  # the store is not empty now: its indexes stay
        assert message_indexes(store) == indexes
        write(store, [msg("3", "more", 2)])
    assert store.count() == 3


def test_indexes_dropped_by_a_killed_bulk_load_are_rebuilt_on_open(tmp_path: Path) -> None:
    indexes = message_indexes(MessageStore(tmp_path / "s.db"))
    killed = subprocess.run([sys.executable, "-c", f"""
import os
from pathlib import Path
from shizu.store import MessageStore
store = MessageStore(Path({str(tmp_path / "s.db")!r}))
with store.bulk_load():
    names = store.db.execute("SELECT name FROM sqlite_master WHERE type='index' AND tbl_name='messages' AND sql IS NOT NULL")
    print(len(names.fetchall()), flush=True)
    os._exit(9)  # killed mid-ingest: no cleanup runs
"""], capture_output=True, text=True)
    assert (killed.returncode, killed.stdout) == (9, "0\n"), killed.stderr
    reopened = MessageStore(tmp_path / "s.db")
    assert message_indexes(reopened) == indexes
    assert reopened.db.execute("SELECT count(*) FROM pending_indexes").fetchone()[0] == 0
