"""The persona's memory index: add exchanges, embed them, search them (hybrid and scoped), list and forget them.

Everything lives in the workspace database (:mod:`shizu.store.memories`); a search loads a
:class:`~shizu.memory.snapshot.Snapshot` once and reloads it only when another process changed the
memories. A search ranks the memories the filter lets through twice, by BM25 over their words
(:mod:`~shizu.memory.lexical`) and by cosine of their embeddings (:mod:`~shizu.memory.vectors`),
and fuses the two rankings by reciprocal rank (:mod:`~shizu.memory.fusion`). With
``[memory] semantic = false``, or without the model, the lexical ranking is the result.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import cast

import numpy as np

from shizu.chat.hidden_names import HiddenNames
from shizu.chat.layout import Place, Turn
from shizu.config import MemoryConfig
from shizu.errors import MemoryStoreError
from shizu.memory import lexical, vectors
from shizu.memory.encoder import Embedder
from shizu.memory.fusion import fuse
from shizu.memory.record import Memory, Origin, Recalled, Scope, Where, decode_body, decode_place, encode_body, encode_place, exchange_text, visible
from shizu.memory.snapshot import Filter, Snapshot
from shizu.memory.terms import terms
from shizu.progress import QUIET, Reporter
from shizu.store.database import MessageStore
from shizu.store.memories import MemoryRow, MemoryTables
from shizu.store.rows import from_ms, to_ms

CANDIDATES = 50  # memories each ranking contributes to the fusion
CENTER_ROWS = 1000  # the bits' centre is refitted until it is the mean of at least this many embeddings
EMBED_BATCH = 1024  # memories embedded per transaction


class MemoryIndex:
    """The memories of the workspace database ``store``, searched as ``config`` says.

    ``embedder`` turns texts into unit vectors (all-MiniLM-L6-v2, see :mod:`shizu.memory.encoder`);
    without it (or with ``semantic = false``) memories are stored and searched by their words only,
    and embedded later by :meth:`embed_pending` once a model is given.
    """

    def __init__(self, store: MessageStore, config: MemoryConfig, embedder: Embedder | None = None) -> None:
        self.tables = MemoryTables(store)
        self.config = config
        self.embedder = embedder if config.semantic else None
        self._snapshot: Snapshot | None = None
        self._places: dict[int, tuple[Where, Place]] = {}
        self._center: np.ndarray | None = None
        self._generation = -1  # of the memory tables, when the snapshot was loaded or last followed
        self._excluded: tuple[frozenset[str], int, np.ndarray] | None = None  # opt-outs, snapshot size, mask
        self._hidden: tuple[tuple[str, ...], HiddenNames] | None = None

    # -- adding -------------------------------------------------------------------------------

    def add(self, memories: Iterable[Memory], *, embed: bool = True) -> int:
        """Store the memories that are new, or changed since stored (same key, other text: a privacy
        setting changed, say; the old one is forgotten); returns how many were stored.

        The bot's own replies (origin ``"bot"``) are kept only with ``remember_own_replies``.
        ``embed``: embed them now (when there is a model); ``shizu build`` adds without and then
        calls :meth:`embed_pending`, with a progress bar.
        """
        batch: dict[str, Memory] = {}
        for memory in memories:
            if memory.origin != "bot" or self.config.remember_own_replies:
                batch.setdefault(memory.key, memory)
        stored = self.tables.stored(list(batch))
        bodies = {key: encode_body(m) for key, m in batch.items()}
        new = [m for key, m in batch.items() if key not in stored or stored[key][1] != bodies[key]]
        changed = [stored[m.key] for m in new if m.key in stored]
        if changed:
            self._delete(changed)
        if not new:
            return 0
        places = {m.where.channel_key: m for m in batch.values()}
        place_ids = {key: self.tables.place_id(key, m.where.server_key, encode_place(m.where, m.place)) for key, m in places.items()}
        embedded = self._embed([m.text() for m in new]) if embed and self.embedder is not None else None
        rows = [
            MemoryRow(
                key=m.key, place_id=place_ids[m.where.channel_key], ts=to_ms(m.time), origin=m.origin, body=bodies[m.key],
                people=tuple(dict.fromkeys(m.people)), terms=terms(m.text()),
                bits=embedded[0][i] if embedded else None, vector=embedded[1][i] if embedded else None,
            )
            for i, m in enumerate(new)
        ]
        ids = self.tables.insert(rows)
        if embedded:
            self._refit_young_center()
        self._follow(place_ids, places, [(i, r.place_id, r.ts, len(r.terms), r.bits) for i, r in zip(ids, rows)])
        return len(new)

    def embed_pending(self, reporter: Reporter = QUIET) -> int:
        """Embed every memory stored without a vector (none without a model); returns how many."""
        total = self.tables.unembedded_count()
        if self.embedder is None or not total:
            return 0
        reporter.start("memory-embed", "Embedding memories", total)
        after = done = 0
        while rows := self.tables.unembedded(after, EMBED_BATCH):
            bits, stored = self._embed([exchange_text(*decode_body(body)) for _, body in rows])
            self.tables.set_vectors((memory_id, b, v) for (memory_id, _), b, v in zip(rows, bits, stored))
            self._refit_young_center()
            after, done = rows[-1][0], done + len(rows)
            reporter.update("memory-embed", done)
        reporter.stop("memory-embed")
        self._snapshot = None  # bits changed
        return done

    def _embed(self, texts: list[str]) -> tuple[list[bytes], list[bytes]]:
        """Sign bits and int8 vectors of ``texts``."""
        found = self._encode(texts)
        center = self._center_or_fit(found)
        return [b.tobytes() for b in vectors.sign_bits(found, center)], [v.tobytes() for v in vectors.quantize(found)]

    def _encode(self, texts: list[str]) -> np.ndarray:
        assert self.embedder is not None
        return np.asarray(self.embedder.encode(texts, normalize_embeddings=True, batch_size=64, show_progress_bar=False), dtype=np.float32)

    def _center_or_fit(self, found: np.ndarray) -> np.ndarray:
        """The centre the sign bits are taken around: stored, else the mean of these first embeddings."""
        center = self._stored_center()
        if center is None:
            center = vectors.unit(found).mean(axis=0)
            self._store_center(center, len(found))
        return center

    def _refit_young_center(self) -> None:
        """While the centre is the mean of fewer than :data:`CENTER_ROWS` embeddings and more exist,
        make it the mean of all of them and recompute every memory's bits (they are few)."""
        fitted = int.from_bytes(self.tables.meta("center_rows") or b"\0", "little")
        stored = list(self.tables.all_vectors()) if fitted < CENTER_ROWS else []
        if len(stored) <= fitted:
            return
        matrix = np.frombuffer(b"".join(v for _, v in stored), dtype=np.int8).reshape(len(stored), -1)
        center = vectors.unit(matrix).mean(axis=0)
        self.tables.set_bits((memory_id, b.tobytes()) for (memory_id, _), b in zip(stored, vectors.sign_bits(matrix, center)))
        self._store_center(center, len(stored))
        self._snapshot = None

    def _stored_center(self) -> np.ndarray | None:
        if self._center is None and (raw := self.tables.meta("center")) is not None:
            self._center = np.frombuffer(raw, dtype=np.float64)
        return self._center

    def _store_center(self, center: np.ndarray, rows: int) -> None:
        self.tables.set_meta("center", center.astype(np.float64).tobytes())
        self.tables.set_meta("center_rows", rows.to_bytes(8, "little"))
        self._center = center

    def _follow(self, place_ids: dict[str, int], places: dict[str, Memory], rows: list[tuple[int, int, int, int, bytes | None]]) -> None:
        """Bring a loaded snapshot up to date with memories this index just added (or drop it, when
        something else changed too: the insert must be the one change since the snapshot)."""
        snap = self._snapshot
        generation = self.tables.generation()
        if snap is None or generation != self._generation + 1:
            self._snapshot = None
            return
        moved = any(
            key in snap.place_of_key and snap.server_of_place[place_ids[key]] != snap.server_of_key.get(m.where.server_key)
            for key, m in places.items()
        )
        if moved:  # a channel now belongs to another server: regroup
            self._snapshot = None
            return
        for key, m in places.items():
            snap.add_place(place_ids[key], key, m.where.server_key)
            self._places[place_ids[key]] = (m.where, m.place)
        snap.append(rows)
        self._generation = generation

    # -- searching ----------------------------------------------------------------------------

    def search(
        self,
        text: str,
        here: Where,
        *,
        before: datetime | None = None,
        opt_out: Iterable[str] = (),
        hidden_names: Iterable[str] = (),
        vector: np.ndarray | None = None,
        k: int | None = None,
    ) -> list[Recalled]:
        """The memories to recall for the live context ``text`` (its messages, see :func:`query_text`) at ``here``, best first.

        Only memories of ``[memory] scope`` at ``here``, strictly older than ``before`` (a training
        example passes its conversation's start: never its own conversation, never the future),
        none that answered someone in ``opt_out`` (user ids), and ``hidden_names`` written as
        "someone" in what is returned. ``vector``: the context's embedding, when the caller has
        embedded many at once (:meth:`embed_queries`). ``k``: how many (default ``[memory] k``).
        """
        snap = self._loaded()
        rules = snap.filter(self.config.scope, here, to_ms(before) if before is not None else None, self._excluded_mask(snap, opt_out))
        rankings = [self._lexical(text, rules)]
        if self.config.semantic and (vector is not None or self.embedder is not None) and self._stored_center() is not None:
            query = vector if vector is not None else self._encode([text])[0]
            rankings.append(self._semantic(query, rules))
        fused = fuse(rankings, k or self.config.k)
        found = dict(self.entries([item for item, _, _ in fused], hidden_names=hidden_names))
        return [
            Recalled(item, found[item], score, ranks[0], ranks[1] if len(ranks) > 1 else None) for item, score, ranks in fused if item in found
        ]

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray | None:
        """The embeddings of many live contexts at once (faster than one by one); ``None`` without a model."""
        return self._encode(list(texts)) if self.embedder is not None and texts else None

    def _lexical(self, text: str, rules: Filter) -> list[int]:
        """Ids of the best memories by BM25, best first."""
        snap = rules.snapshot
        query = terms(text)
        frequencies = self.tables.frequencies(query)
        postings = []
        for term in lexical.choose(query, frequencies):
            found = self.tables.postings(term)
            ids, counts = np.unique(np.array(found.split(",") if found else [], dtype=np.int64), return_counts=True)
            positions = snap.positions(ids)
            ok = rules.admit(positions)
            postings.append((positions[ok], counts[ok], lexical.idf(frequencies[term], len(snap))))
        positions, scores = lexical.bm25(postings, snap.length, snap.average_length)
        return ranked(snap.ids[positions], scores)

    def _semantic(self, query: np.ndarray, rules: Filter) -> list[int]:
        """Ids of the best memories by cosine, best first (see :mod:`shizu.memory.vectors`)."""
        snap = rules.snapshot
        center = self._stored_center()
        assert center is not None
        query_bits = vectors.sign_bits(np.asarray(query)[None, :], center)[0]
        found = []
        for part in rules.parts():
            distance = vectors.hamming(snap.bits[:, part], query_bits)
            keep = rules.keep(part, embedded=True)
            if keep is not None:
                distance[~keep] = vectors.FAR
            near = vectors.nearest(distance, vectors.RESCORE)
            found.append(near + part.start if isinstance(part, slice) else part[near])
        stored = self.tables.vectors(snap.ids[np.concatenate(found)].tolist())
        if not stored:
            return []
        matrix = np.frombuffer(b"".join(v for _, v in stored), dtype=np.int8).reshape(len(stored), -1)
        similarity = vectors.cosine(vectors.unit(query), matrix)
        close = similarity >= vectors.MIN_COSINE
        return ranked(np.array([i for i, _ in stored], dtype=np.int64)[close], similarity[close])

    def _loaded(self) -> Snapshot:
        """The snapshot, (re)loaded when missing or when the memories changed under it (another
        process, or another index on the same connection)."""
        generation = self.tables.generation()
        if self._snapshot is not None and generation == self._generation:
            return self._snapshot
        places = self.tables.places()
        self._places = {place_id: decode_place(blob) for place_id, _, _, blob in places}
        self._snapshot = Snapshot(list(self.tables.index_rows()), [(p, ck, sk) for p, ck, sk, _ in places])
        self._excluded, self._center = None, None
        self._generation = generation
        return self._snapshot

    def _excluded_mask(self, snap: Snapshot, opt_out: Iterable[str]) -> np.ndarray | None:
        """Which memories answered someone in ``opt_out`` (by position); cached while they and the snapshot stay."""
        people = frozenset(opt_out)
        if not people:
            return None
        if self._excluded is None or self._excluded[:2] != (people, len(snap)):
            ids = np.array(sorted(self.tables.ids_with(people)), dtype=np.int64)
            mask = np.zeros(len(snap), dtype=bool)
            positions = snap.positions(ids)
            mask[positions[positions >= 0]] = True
            self._excluded = (people, len(snap), mask)
        return self._excluded[2]

    # -- listing and forgetting ---------------------------------------------------------------

    def places(self) -> list[tuple[Where, Place, int]]:
        """Every place with memories: where, how it is shown, and how many memories were made there."""
        counts = self.tables.place_counts()
        return [(*decode_place(blob), counts.get(place_id, 0)) for place_id, _, _, blob in self.tables.places()]

    def place(self, name: str) -> tuple[Where, Place]:
        """The one place with memories called ``name``: its channel id, or its name as shown
        (``general``, ``#general``, a DM's or a group's name), case-insensitive.

        Raises :class:`~shizu.errors.MemoryStoreError` naming the candidates when none or several match.
        """
        places = self.places()
        wanted = name.strip().casefold()
        found = [
            (where, place) for where, place, _ in places
            if wanted and wanted in (where.channel_id.casefold(), place.channel.casefold(), f"#{place.channel}".casefold())
        ]
        if len(found) == 1:
            return found[0]
        listed = "; ".join(f"{place.label()} ({where.platform} id {where.channel_id})" for where, place in (found or [p[:2] for p in places]))
        if found:
            raise MemoryStoreError(f"{name!r} names {len(found)} places: {listed}", hint="Give the channel id instead.")
        raise MemoryStoreError(
            f"No place with memories is called {name!r}",
            hint=f"The places with memories: {listed}." if places else "There are no memories yet: run `shizu build` with [memory] enabled = true.",
        )

    def select(self, *, where: Where | None = None, scope: Scope = "channel", person: str | None = None) -> list[int]:
        """Ids of the memories that ``scope`` shows at ``where`` (``None``: all) and, with ``person``,
        that answered that user id; in id order. ``select(where=dm)`` is that DM's memories,
        ``select(where=a_channel, scope="server")`` its whole server's."""
        place_ids = None
        if where is not None:
            place_ids = [place_id for place_id, _, _, blob in self.tables.places() if visible(decode_place(blob)[0], where, scope)]
        ids = self.tables.ids_in(place_ids)
        if person is not None:
            answered = self.tables.ids_with([person])
            ids = [i for i in ids if i in answered]
        return ids

    def entries(self, ids: Sequence[int], *, hidden_names: Iterable[str] = ()) -> list[tuple[int, Memory]]:
        """The stored memories ``ids`` (those still there), in id order, ``hidden_names`` written as "someone"."""
        rows = self.tables.rows(ids)
        people = self.tables.people([row[0] for row in rows])
        hidden = self._hidden_names(tuple(hidden_names))
        places = self._places if all(row[2] in self._places for row in rows) else {p: decode_place(b) for p, _, _, b in self.tables.places()}
        out = []
        for memory_id, key, place_id, ts, origin, body in rows:
            context, reply = decode_body(body)
            where, place = places[place_id]
            memory = Memory(key, where, place, from_ms(ts), context, reply, tuple(people.get(memory_id, ())), cast(Origin, origin))
            out.append((memory_id, memory if hidden is None else _scrubbed(memory, hidden)))
        return out

    def _hidden_names(self, names: tuple[str, ...]) -> HiddenNames | None:
        """The matcher of ``names`` (``None`` for none), kept while the same names come back."""
        if not names:
            return None
        if self._hidden is None or self._hidden[0] != names:
            self._hidden = (names, HiddenNames(names))
        return self._hidden[1]

    def forget(self, ids: Sequence[int]) -> int:
        """Delete the memories ``ids`` for good (see :meth:`MemoryTables.delete`); returns how many there were."""
        rows = self.tables.rows(ids)
        self._delete([(memory_id, body) for memory_id, _, _, _, _, body in rows])
        return len(rows)

    def forget_missing(self, keys: Collection[str]) -> int:
        """Forget the memories of the history whose key is not in ``keys`` (what a rebuild no longer
        makes: an export removed, a message filtered out now); live memories stay. Returns how many."""
        ids = [memory_id for memory_id, key in self.tables.history_keys() if key not in keys]
        return self.forget(ids) if ids else 0

    def _delete(self, stored: Sequence[tuple[int, bytes]]) -> None:
        """Delete the memories ``(id, body)``: their terms come from their bodies (FTS5 needs them)."""
        self.tables.delete([(memory_id, terms(exchange_text(*decode_body(body)))) for memory_id, body in stored])
        self._snapshot = None

    def forget_all(self) -> int:
        """Delete every memory for good; returns how many there were."""
        count = self.tables.count()
        self.tables.clear()
        self._snapshot, self._center = None, None
        return count


def ranked(ids: np.ndarray, scores: np.ndarray) -> list[int]:
    """The :data:`CANDIDATES` best ``ids`` by score (ties: the smaller id), best first."""
    order = np.lexsort((ids, -scores))[:CANDIDATES]
    return ids[order].tolist()


def _scrubbed(memory: Memory, hidden: HiddenNames) -> Memory:
    """``memory`` with the hidden names written as "someone" (speakers, texts, place names)."""
    context = tuple(Turn(hidden.scrub(t.speaker), False, tuple(hidden.scrub(x) for x in t.texts)) for t in memory.context)
    place = replace(memory.place, channel=hidden.strip(memory.place.channel), server=hidden.strip(memory.place.server), parent=hidden.strip(memory.place.parent))
    return replace(memory, context=context, reply=tuple(hidden.scrub(x) for x in memory.reply), place=place)
