"""The persona's memory in the workspace database (migration 5): the SQL behind :mod:`shizu.memory`.

A memory is one row of ``memories`` (what retrieval loads into RAM: place, time, length, embedding
bits), its text in ``memory_texts``, the people it answered in ``memory_people``, its int8 embedding
in ``memory_vectors`` and its search terms in the contentless FTS5 table ``memory_fts`` (the BM25
postings; ``memory_terms`` keeps each term's document frequency). Ids are shared by all of them.
Terms, bodies and vectors are made by :mod:`shizu.memory`; this module only stores and reads them.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from shizu.store.database import MessageStore
from shizu.store.rows import chunked, placeholders


@dataclass(frozen=True, slots=True)
class MemoryRow:
    """One memory to insert: everything but its id, already encoded."""

    key: str
    place_id: int
    ts: int  # unix milliseconds, UTC
    origin: str
    body: bytes
    people: tuple[str, ...]
    terms: list[str]  # the search terms in text order: FTS5 postings, BM25 length and document frequencies
    bits: bytes | None = None
    vector: bytes | None = None


class MemoryTables:
    """The memory tables of the workspace database ``store``."""

    def __init__(self, store: MessageStore) -> None:
        self.db = store.db
        self._transaction = store.transaction
        # Each term's postings, one row per occurrence (so a term's count in a memory is its rows there).
        self.db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.memory_postings USING fts5vocab(main, 'memory_fts', 'instance')")

    # -- places -------------------------------------------------------------------------------

    def place_id(self, channel_key: str, server_key: str, place: bytes) -> int:
        """The id of the place ``channel_key`` (added, or its shown form updated)."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO memory_places(channel_key, server_key, place) VALUES (?,?,?)"
                " ON CONFLICT(channel_key) DO UPDATE SET server_key=excluded.server_key, place=excluded.place",
                (channel_key, server_key, place),
            )
            return db.execute("SELECT id FROM memory_places WHERE channel_key=?", (channel_key,)).fetchone()[0]

    def place_counts(self) -> dict[int, int]:
        """``place id -> memories made there``."""
        return dict(self.db.execute("SELECT place_id, count(*) FROM memories GROUP BY place_id").fetchall())

    def places(self) -> list[tuple[int, str, str, bytes]]:
        """Every place: ``(id, channel_key, server_key, place)``."""
        return self.db.execute("SELECT id, channel_key, server_key, place FROM memory_places ORDER BY id").fetchall()

    # -- writing ------------------------------------------------------------------------------

    def stored(self, keys: Sequence[str]) -> dict[str, tuple[int, bytes]]:
        """``key -> (id, body)`` of those of ``keys`` already stored."""
        found: dict[str, tuple[int, bytes]] = {}
        if self.db.execute("SELECT NOT EXISTS (SELECT 1 FROM memories)").fetchone()[0]:
            return found
        for chunk in chunked(keys):
            for key, memory_id, body in self.db.execute(
                f"SELECT m.key, m.id, t.body FROM memories m JOIN memory_texts t ON t.id = m.id WHERE m.key IN ({placeholders(chunk)})", chunk
            ):
                found[key] = (memory_id, body)
        return found

    def history_keys(self) -> list[tuple[int, str]]:
        """``(id, key)`` of every memory made from the history (not live, not the bot's)."""
        return self.db.execute("SELECT m.id, m.key FROM memories m JOIN memory_texts t ON t.id = m.id WHERE t.origin = 'history'").fetchall()

    def insert(self, rows: Sequence[MemoryRow]) -> list[int]:
        """Store ``rows`` (keys must be new) in one transaction; their ids, in order."""
        if not rows:
            return []
        df: Counter[str] = Counter()
        for row in rows:
            df.update(set(row.terms))
        with self._transaction() as db:
            first = db.execute("SELECT coalesce(max(id), 0) + 1 FROM memories").fetchone()[0]
            ids = list(range(first, first + len(rows)))
            db.executemany(
                "INSERT INTO memories(id, key, place_id, ts, tokens, bits) VALUES (?,?,?,?,?,?)",
                [(i, r.key, r.place_id, r.ts, len(r.terms), r.bits) for i, r in zip(ids, rows)],
            )
            db.executemany("INSERT INTO memory_texts(id, origin, body) VALUES (?,?,?)", [(i, r.origin, r.body) for i, r in zip(ids, rows)])
            db.executemany(
                "INSERT OR IGNORE INTO memory_people(person, memory_id) VALUES (?,?)", [(p, i) for i, r in zip(ids, rows) for p in r.people]
            )
            db.executemany(
                "INSERT INTO memory_vectors(id, vector) VALUES (?,?)", [(i, r.vector) for i, r in zip(ids, rows) if r.vector is not None]
            )
            db.executemany("INSERT INTO memory_fts(rowid, terms) VALUES (?,?)", [(i, " ".join(r.terms)) for i, r in zip(ids, rows)])
            db.executemany(
                "INSERT INTO memory_terms(term, df) VALUES (?,?) ON CONFLICT(term) DO UPDATE SET df = df + excluded.df", df.items()
            )
            _bump(db)
        return ids

    def set_vectors(self, rows: Iterable[tuple[int, bytes, bytes]]) -> None:
        """Store ``(id, bits, vector)`` of memories embedded after they were added."""
        rows = list(rows)
        with self._transaction() as db:
            db.executemany("UPDATE memories SET bits=? WHERE id=?", [(bits, i) for i, bits, _ in rows])
            db.executemany("INSERT OR REPLACE INTO memory_vectors(id, vector) VALUES (?,?)", [(i, v) for i, _, v in rows])
            _bump(db)

    def set_bits(self, rows: Iterable[tuple[int, bytes]]) -> None:
        """Replace the embedding bits of ``(id, bits)`` (after the centre moved)."""
        with self._transaction() as db:
            db.executemany("UPDATE memories SET bits=? WHERE id=?", [(bits, i) for i, bits in rows])
            _bump(db)

    def delete(self, items: Sequence[tuple[int, list[str]]]) -> None:
        """Remove the memories ``(id, terms)`` (their terms are needed to take them out of FTS5)."""
        ids = [i for i, _ in items]
        df: Counter[str] = Counter()
        for _, terms in items:
            df.update(set(terms))
        with self._erasing() as db:
            db.executemany("INSERT INTO memory_fts(memory_fts, rowid, terms) VALUES ('delete', ?, ?)", [(i, " ".join(t)) for i, t in items])
            db.executemany("UPDATE memory_terms SET df = df - ? WHERE term = ?", [(n, term) for term, n in df.items()])
            db.execute("DELETE FROM memory_terms WHERE df <= 0")
            for chunk in chunked(ids):
                for table, column in (("memory_people", "memory_id"), ("memory_vectors", "id"), ("memory_texts", "id"), ("memories", "id")):
                    db.execute(f"DELETE FROM {table} WHERE {column} IN ({placeholders(chunk)})", chunk)
            db.execute("DELETE FROM memory_places WHERE id NOT IN (SELECT DISTINCT place_id FROM memories)")

    def clear(self) -> None:
        """Remove every memory."""
        with self._erasing() as db:
            db.execute("INSERT INTO memory_fts(memory_fts) VALUES ('delete-all')")
            for table in ("memory_people", "memory_vectors", "memory_texts", "memory_terms", "memories", "memory_places"):
                db.execute(f"DELETE FROM {table}")
            db.execute("DELETE FROM memory_meta WHERE name != 'generation'")

    @contextmanager
    def _erasing(self) -> Iterator[sqlite3.Connection]:
        """A transaction that deletes for good: secure delete overwrites the freed pages, the FTS5
        index is merged so no old segment keeps a deleted term, and the write-ahead log is
        checkpointed, so the text is gone from the files, not only from the tables."""
        self.db.execute("PRAGMA secure_delete=ON")
        try:
            with self._transaction() as db:
                yield db
                db.execute("INSERT INTO memory_fts(memory_fts) VALUES ('optimize')")
                _bump(db)
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            self.db.execute("PRAGMA secure_delete=OFF")

    # -- reading ------------------------------------------------------------------------------

    def generation(self) -> int:
        """A number every change to the memory tables increases (other processes' included)."""
        row = self.db.execute("SELECT value FROM memory_meta WHERE name='generation'").fetchone()
        return int(row[0]) if row else 0

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM memories").fetchone()[0]

    def index_rows(self) -> Iterator[tuple[int, int, int, int, bytes | None]]:
        """``(id, place_id, ts, tokens, bits)`` of every memory: what retrieval keeps in RAM."""
        return self.db.execute("SELECT id, place_id, ts, tokens, bits FROM memories")

    def frequencies(self, terms: Iterable[str]) -> dict[str, int]:
        """Document frequency of those of ``terms`` that some memory contains."""
        terms = list(dict.fromkeys(terms))
        out: dict[str, int] = {}
        for chunk in chunked(terms):
            out.update(self.db.execute(f"SELECT term, df FROM memory_terms WHERE term IN ({placeholders(chunk)})", chunk).fetchall())
        return out

    def postings(self, term: str) -> str:
        """The memory id of every occurrence of ``term``, in id order, comma-separated ("" for none).

        One string is read back several times faster than one row per occurrence.
        """
        return self.db.execute("SELECT group_concat(doc) FROM temp.memory_postings WHERE term=?", (term,)).fetchone()[0] or ""

    def vectors(self, ids: Sequence[int]) -> list[tuple[int, bytes]]:
        """``(id, int8 vector)`` of those of ``ids`` that have one, in id order."""
        out: list[tuple[int, bytes]] = []
        for chunk in chunked(sorted(ids)):
            out += self.db.execute(f"SELECT id, vector FROM memory_vectors WHERE id IN ({placeholders(chunk)}) ORDER BY id", chunk).fetchall()
        return out

    def unembedded(self, after: int, limit: int) -> list[tuple[int, bytes]]:
        """``(id, body)`` of up to ``limit`` memories without a vector, ids above ``after``, in id order."""
        return self.db.execute(
            "SELECT m.id, t.body FROM memories m JOIN memory_texts t ON t.id = m.id"
            " WHERE m.bits IS NULL AND m.id > ? ORDER BY m.id LIMIT ?",
            (after, limit),
        ).fetchall()

    def unembedded_count(self) -> int:
        return self.db.execute("SELECT count(*) FROM memories WHERE bits IS NULL").fetchone()[0]

    def all_vectors(self) -> Iterator[tuple[int, bytes]]:
        """``(id, int8 vector)`` of every embedded memory, in id order."""
        return self.db.execute("SELECT id, vector FROM memory_vectors ORDER BY id")

    def rows(self, ids: Sequence[int]) -> list[tuple[int, str, int, int, str, bytes]]:
        """``(id, key, place_id, ts, origin, body)`` of those of ``ids`` still stored, in id order."""
        out: list[tuple[int, str, int, int, str, bytes]] = []
        for chunk in chunked(sorted(ids)):
            out += self.db.execute(
                "SELECT m.id, m.key, m.place_id, m.ts, t.origin, t.body FROM memories m JOIN memory_texts t ON t.id = m.id"
                f" WHERE m.id IN ({placeholders(chunk)}) ORDER BY m.id",
                chunk,
            ).fetchall()
        return out

    def people(self, ids: Sequence[int]) -> dict[int, list[str]]:
        """The people each of ``ids`` answered."""
        out: dict[int, list[str]] = {}
        for chunk in chunked(list(ids)):
            for person, memory_id in self.db.execute(
                f"SELECT person, memory_id FROM memory_people WHERE memory_id IN ({placeholders(chunk)}) ORDER BY memory_id, person", chunk
            ):
                out.setdefault(memory_id, []).append(person)
        return out

    def ids_with(self, people: Iterable[str]) -> set[int]:
        """The memories that answered any of ``people``."""
        people = list(people)
        found: set[int] = set()
        for chunk in chunked(people):
            found.update(r[0] for r in self.db.execute(f"SELECT memory_id FROM memory_people WHERE person IN ({placeholders(chunk)})", chunk))
        return found

    def ids_in(self, place_ids: Sequence[int] | None = None, before: int | None = None) -> list[int]:
        """The memories of ``place_ids`` (``None``: everywhere) from before ``before`` (ms; ``None``: any time), in id order."""
        query, args = "SELECT id FROM memories WHERE 1", []
        if place_ids is not None:
            query += f" AND place_id IN ({placeholders(place_ids) or 'NULL'})"
            args += list(place_ids)
        if before is not None:
            query += " AND ts < ?"
            args.append(before)
        return [r[0] for r in self.db.execute(query + " ORDER BY id", args)]

    def meta(self, name: str) -> bytes | None:
        row = self.db.execute("SELECT value FROM memory_meta WHERE name=?", (name,)).fetchone()
        return row[0] if row else None

    def set_meta(self, name: str, value: bytes) -> None:
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO memory_meta(name, value) VALUES (?,?)", (name, value))
            _bump(db)


def _bump(db: sqlite3.Connection) -> None:
    db.execute("INSERT INTO memory_meta(name, value) VALUES ('generation', 1) ON CONFLICT(name) DO UPDATE SET value = value + 1")

