"""The SQLite message store: message id is the key, so re-ingesting never duplicates anything.

Writes happen one source file per transaction (:meth:`MessageStore.write_source`): a file that
fails rolls back and leaves the store exactly as it was.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from shizu.message import Author, Channel, Message
from shizu.store.migrations import MIGRATIONS
from shizu.store.rows import NO_EXTRAS, SourceRows, WriteCounts, decode_extras, from_ms


class MessageStore:
    def __init__(self, path: Path, *, shared: bool = False) -> None:
        """The store at ``path``; ``shared``: usable from other threads than this one (the caller
        makes sure only one uses it at a time)."""
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=not shared)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self._migrate()
        self._rebuild_pending_indexes()
        self._min_quality: int | None = None  # lowest quality stored, read once (see _may_upgrade)
        self._min_quality_known = False

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> MessageStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            with self.transaction():
                for statement in script.split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version={number}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")

    @contextmanager
    def bulk_load(self) -> Iterator[None]:
        """Writes into an empty store update its message indexes once at the end, not row by row.

        Building an index over a million messages at once takes about a fifth of the time of
        keeping it up to date through the inserts. The dropped indexes are noted in the same
        transaction, so a process killed before the end has them rebuilt when the store is opened.
        """
        deferred = False
        if self.db.execute("SELECT NOT EXISTS (SELECT 1 FROM messages)").fetchone()[0]:
            with self.transaction() as db:
                indexes = db.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type='index' AND tbl_name='messages' AND sql IS NOT NULL"
                ).fetchall()
                db.executemany("INSERT OR REPLACE INTO pending_indexes(name, sql) VALUES (?,?)", indexes)
                for name, _ in indexes:
                    db.execute(f'DROP INDEX "{name}"')
            deferred = True
        try:
            yield
        finally:
            if deferred:
                self._rebuild_pending_indexes()

    def _rebuild_pending_indexes(self) -> None:
        pending = self.db.execute("SELECT name, sql FROM pending_indexes").fetchall()
        if pending:
            with self.transaction() as db:
                for name, sql in pending:
                    db.execute(sql)
                    db.execute("DELETE FROM pending_indexes WHERE name=?", (name,))

    @contextmanager
    def _foreign_keys_unchecked(self) -> Iterator[None]:
        """Turn SQLite's per-row foreign-key checks off (outside any transaction) for a bulk write.

        ``write_source`` inserts the ``sources`` row its messages point to first, in the same
        transaction, so the check can never fail there; with the messages upsert it costs more than
        the insert itself (2-3x slower ingest).
        """
        self.db.execute("PRAGMA foreign_keys=OFF")
        try:
            yield
        finally:
            self.db.execute("PRAGMA foreign_keys=ON")

    # -- writing --------------------------------------------------------------------------

    def write_source(
        self,
        messages: Iterable[Message],
        *,
        path: str,
        format: str,
        sha256: str,
        quality: int,
        accounts: Iterable[Author] = (),
    ) -> WriteCounts:
        """Insert one source's messages in one transaction; rolls back if the iterator raises.

        A message already stored is kept unless this source is richer (higher ``quality``).
        ``accounts`` (the exporting person's own accounts) is read after the messages are consumed,
        so an importer may fill it while reading.
        """
        rows = SourceRows(sha256)
        return self.write_rows(rows, rows.batches(messages), path=path, format=format, quality=quality, accounts=accounts)

    def write_rows(
        self,
        rows: SourceRows,
        batches: Iterable[list[Sequence]],
        *,
        path: str,
        format: str,
        quality: int,
        accounts: Iterable[Author] = (),
    ) -> WriteCounts:
        """:meth:`write_source` for messages already turned into rows (by ``rows``, maybe elsewhere).

        ``rows`` (its hash, count, channels and authors) and ``accounts`` are read once ``batches``
        is exhausted: the worker process of ``shizu ingest`` sends them after the last batch.
        """
        counts = WriteCounts()
        with self._foreign_keys_unchecked(), self.transaction() as db:
            cur = db.execute(
                "INSERT INTO sources(path, format, sha256, ingested_at, messages_read, messages_new)"
                " VALUES (?,?,'',?,0,0)",
                (path, format, datetime.now(UTC).isoformat(timespec="seconds")),
            )
            source_id = cur.lastrowid
            changes_before = db.total_changes
            check = self._may_upgrade(quality)
            for batch in batches:
                counts.upgraded += self._insert(batch, quality, source_id, check)
            counts.read = rows.read
            counts.new = db.total_changes - changes_before - counts.upgraded
            self._upsert_channels(rows.channels.values())
            self._upsert_authors(rows.authors.values())
            for account in accounts:
                db.execute(
                    "INSERT INTO accounts(user_id, platform, name, source) VALUES (?,?,?,?)"
                    " ON CONFLICT(user_id) DO UPDATE SET name=excluded.name, source=excluded.source",
                    (account.id, rows.platform, account.label, path),
                )
            db.execute(
                "UPDATE sources SET sha256=?, messages_read=?, messages_new=? WHERE id=?",
                (rows.sha256, counts.read, counts.new, source_id),
            )
        if counts.read:
            self._min_quality = quality if self._min_quality is None else min(self._min_quality, quality)
        return counts

    def _may_upgrade(self, quality: int) -> bool:
        """Whether messages of a lower quality are stored (one table scan per connection).

        Telling new rows from upgraded ones then costs one lookup per message only when an
        upgrade is possible, instead of a count(*) over the whole table for every file.
        """
        if not self._min_quality_known:
            self._min_quality = self.db.execute("SELECT min(quality) FROM messages").fetchone()[0]
            self._min_quality_known = True
        return self._min_quality is not None and self._min_quality < quality

    def _insert(self, rows: list[Sequence], quality: int, source_id: int, check_upgrades: bool) -> int:
        """Upsert ``rows`` (see :func:`_row`); returns how many replace a stored message of lower quality."""
        upgraded = 0
        if check_upgrades:
            ids = list({row[0] for row in rows})
            for i in range(0, len(ids), 900):  # SQLite's bound-parameter limit is 999 in old builds
                chunk = ids[i : i + 900]
                upgraded += self.db.execute(
                    f"SELECT count(*) FROM messages WHERE quality < ? AND id IN ({','.join('?' * len(chunk))})",
                    (quality, *chunk),
                ).fetchone()[0]
        self.db.executemany(
            "INSERT INTO messages(id, platform, channel_id, author_id, author_name, ts, content, reply_to,"
            " kind, is_system, edited_ts, extras, quality, source_id)"
            f" VALUES (?,?,?,?,?,?,?,?,?,?,?,?,{int(quality)},{int(source_id)})"  # constants: fewer bindings
            " ON CONFLICT(id) DO UPDATE SET platform=excluded.platform, channel_id=excluded.channel_id,"
            " author_id=excluded.author_id, author_name=excluded.author_name, ts=excluded.ts,"
            " content=excluded.content, reply_to=excluded.reply_to, kind=excluded.kind,"
            " is_system=excluded.is_system, edited_ts=excluded.edited_ts, extras=excluded.extras,"
            " quality=excluded.quality, source_id=excluded.source_id"
            " WHERE excluded.quality > messages.quality",
            rows,
        )
        return upgraded

    def _upsert_channels(self, channels: Iterable[tuple[Channel, str]]) -> None:
        # Richer metadata wins: a data package may know only the id, an export knows names.
        self.db.executemany(
            "INSERT INTO channels(id, platform, name, kind, guild_id, guild_name, parent_id, parent_name)"
            " VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET"
            " name=CASE WHEN excluded.name != '' THEN excluded.name ELSE channels.name END,"
            " kind=excluded.kind,"
            " guild_id=coalesce(excluded.guild_id, channels.guild_id),"
            " guild_name=coalesce(excluded.guild_name, channels.guild_name),"
            " parent_id=coalesce(excluded.parent_id, channels.parent_id),"
            " parent_name=coalesce(excluded.parent_name, channels.parent_name)",
            [
                (c.id, platform, c.name, c.kind, c.guild_id, c.guild_name, c.parent_id, c.parent_name)
                for c, platform in channels
            ],
        )

    def _upsert_authors(self, authors: Iterable[tuple[Author, int]]) -> None:
        self.db.executemany(
            "INSERT INTO authors(id, name, display_name, is_bot, last_ts) VALUES (?,?,?,?,?)"
            " ON CONFLICT(id) DO UPDATE SET"
            " name=CASE WHEN excluded.name != '' THEN excluded.name ELSE authors.name END,"
            " display_name=CASE WHEN excluded.display_name != '' THEN excluded.display_name"
            " ELSE authors.display_name END,"
            " is_bot=max(excluded.is_bot, authors.is_bot), last_ts=max(excluded.last_ts, authors.last_ts)"
            " WHERE excluded.last_ts >= authors.last_ts",
            [(a.id, a.name, a.display_name, int(a.is_bot), ts) for a, ts in authors],
        )

    # -- reading --------------------------------------------------------------------------

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM messages").fetchone()[0]

    def account_ids(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT user_id FROM accounts ORDER BY user_id")]

    def channels(self) -> dict[str, Channel]:
        return {
            row[0]: Channel(
                id=row[0], name=row[1], kind=row[2], guild_id=row[3], guild_name=row[4],
                parent_id=row[5], parent_name=row[6],
            )
            for row in self.db.execute(
                "SELECT id, name, kind, guild_id, guild_name, parent_id, parent_name FROM channels"
            )
        }

    def iter_messages(self, channel_id: str | None = None) -> Iterator[Message]:
        """Every message, ordered by channel then time (then id, for equal times)."""
        channels = self.channels()
        authors = {
            row[0]: (row[1], bool(row[2]))
            for row in self.db.execute("SELECT id, name, is_bot FROM authors")
        }
        query = (
            "SELECT m.id, m.platform, m.channel_id, m.author_id, m.author_name, m.ts, m.content, m.reply_to,"
            " m.kind, m.is_system, m.edited_ts, m.extras, s.path FROM messages m JOIN sources s ON s.id = m.source_id"
        )
        args: tuple = ()
        if channel_id is not None:
            query += " WHERE m.channel_id = ?"
            args = (channel_id,)
        query += " ORDER BY m.channel_id, m.ts, length(m.id), m.id"
        for row in self.db.execute(query, args):
            (mid, platform, cid, aid, aname, ts, content, reply_to, kind, is_system, edited, extras, src) = row
            handle, is_bot = authors.get(aid, ("", False))
            ex = decode_extras(extras) if extras is not None else NO_EXTRAS
            yield Message(
                id=mid,
                channel=channels.get(cid) or Channel(id=cid),
                author=Author(id=aid, name=handle, display_name=aname, is_bot=is_bot),
                timestamp=from_ms(ts),
                content=content,
                platform=platform,
                source=src,
                kind=kind,
                is_system=bool(is_system),
                reply_to=reply_to,
                edited_at=from_ms(edited) if edited is not None else None,
                attachments=ex.attachments,
                embeds=ex.embeds,
                stickers=ex.stickers,
                custom_emoji=ex.custom_emoji,
                reactions=ex.reactions,
            )
