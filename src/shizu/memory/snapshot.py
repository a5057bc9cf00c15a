"""What retrieval filters on, in RAM: each memory's place, server, time, length and bits, grouped by scope.

Rows are sorted by server, then place, when loaded, so the memories a scope allows are one
contiguous range (no gather, no scan of the rest); memories added afterwards (the live ones) go to
an unsorted tail that every search checks one by one. A :class:`Filter` is one search's rules:
the scope's rows, and then ``before`` (only memories strictly older) and the excluded (opted-out)
memories.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from shizu.memory.record import Scope, Where

WORDS = 6  # uint64 words of sign bits per memory (384 dimensions)
_NO_BITS = bytes(8 * WORDS)

Index = slice | np.ndarray  # positions: a range of the sorted rows, or positions in the tail


class Snapshot:
    """Every memory's filter and ranking fields, by position; ``pos_of_id`` maps ids to positions."""

    def __init__(self, rows: Sequence[tuple[int, int, int, int, bytes | None]], places: Sequence[tuple[int, str, str]]) -> None:
        self.place_of_key: dict[str, int] = {}
        self.server_of_key: dict[str, int] = {}
        self.server_of_place: dict[int, int] = {}
        for place_id, channel_key, server_key in places:
            self.add_place(place_id, channel_key, server_key)
        ids, place, ts, length, bits = _columns(rows)
        server = self._servers(place)
        order = np.lexsort((ids, place, server))
        self.ids, self.place, self.server, self.ts, self.length = ids[order], place[order], server[order], ts[order], length[order]
        self.embedded = np.array([b is not None for b in bits[order]], dtype=bool)
        self.bits = _bits_matrix(bits[order])
        self.sorted = len(self.ids)
        self.server_ranges = _ranges(self.server)
        self.place_ranges = _ranges(self.place)
        self.pos_of_id = np.full(int(ids.max(initial=0)) + 1, -1, dtype=np.int64)
        self.pos_of_id[self.ids] = np.arange(len(self.ids))

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def average_length(self) -> float:
        return float(self.length.mean()) if len(self.length) else 1.0

    def add_place(self, place_id: int, channel_key: str, server_key: str) -> None:
        self.place_of_key[channel_key] = place_id
        self.server_of_place[place_id] = self.server_of_key.setdefault(server_key, len(self.server_of_key))

    def append(self, rows: Sequence[tuple[int, int, int, int, bytes | None]]) -> None:
        """Memories added after loading, at the end (unsorted: searches check each of them)."""
        ids, place, ts, length, bits = _columns(rows)
        server = self._servers(place)
        start = len(self.ids)
        self.ids, self.place, self.server = np.concatenate([self.ids, ids]), np.concatenate([self.place, place]), np.concatenate([self.server, server])
        self.ts, self.length = np.concatenate([self.ts, ts]), np.concatenate([self.length, length])
        self.embedded = np.concatenate([self.embedded, np.array([b is not None for b in bits], dtype=bool)])
        self.bits = np.concatenate([self.bits, _bits_matrix(bits)], axis=1)
        if int(ids.max()) >= len(self.pos_of_id):
            self.pos_of_id = np.concatenate([self.pos_of_id, np.full(int(ids.max()) + 1 - len(self.pos_of_id), -1, dtype=np.int64)])
        self.pos_of_id[ids] = np.arange(start, start + len(ids))

    def _servers(self, places: np.ndarray) -> np.ndarray:
        """The server code of each place id in ``places``."""
        lookup = np.zeros(max(self.server_of_place, default=0) + 1, dtype=np.int64)
        lookup[list(self.server_of_place)] = list(self.server_of_place.values())
        return lookup[places]

    def positions(self, ids: np.ndarray) -> np.ndarray:
        """Positions of ``ids`` (-1 for an id not loaded)."""
        inside = ids < len(self.pos_of_id)
        return np.where(inside, self.pos_of_id[np.where(inside, ids, 0)], -1)

    def filter(self, scope: Scope, here: Where, before: int | None, excluded: np.ndarray | None) -> Filter:
        """One search's rules: memories of ``scope`` at ``here``, older than ``before`` ms, not ``excluded``."""
        if scope == "everywhere":
            return Filter(self, None, None, before, excluded)
        if scope == "server":
            return Filter(self, "server", self.server_of_key.get(here.server_key, -1), before, excluded)
        return Filter(self, "place", self.place_of_key.get(here.channel_key, -1), before, excluded)


@dataclass(frozen=True, slots=True)
class Filter:
    """The memories one search may return (see :meth:`Snapshot.filter`)."""

    snapshot: Snapshot
    column: str | None  # "server", "place", or None for everywhere
    code: int | None
    before: int | None
    excluded: np.ndarray | None  # bool by position

    def parts(self) -> list[Index]:
        """Where the memories in scope lie: a range of the sorted rows, and the tail's matching positions."""
        snap = self.snapshot
        tail = np.arange(snap.sorted, len(snap))
        if self.column is None:
            return [slice(0, len(snap))]
        ranges = snap.server_ranges if self.column == "server" else snap.place_ranges
        start, end = ranges.get(self.code, (0, 0))
        return [slice(start, end), tail[getattr(snap, self.column)[tail] == self.code]]

    def keep(self, index: Index, *, embedded: bool = False) -> np.ndarray | None:
        """Which memories at ``index`` (already in scope) pass the time and opt-out rules (``None``: all)."""
        snap = self.snapshot
        masks = []
        if self.before is not None:
            masks.append(snap.ts[index] < self.before)
        if self.excluded is not None:
            masks.append(~self.excluded[index])
        if embedded:
            masks.append(snap.embedded[index])
        return np.logical_and.reduce(masks) if masks else None

    def admit(self, positions: np.ndarray) -> np.ndarray:
        """Which of ``positions`` (any memories, -1 for unknown ids) the whole filter lets through."""
        ok = positions >= 0
        if self.column is not None:
            ok &= getattr(self.snapshot, self.column)[positions] == self.code
        rest = self.keep(positions)
        return ok if rest is None else ok & rest


def _columns(rows: Sequence[tuple[int, int, int, int, bytes | None]]) -> tuple[np.ndarray, ...]:
    if not rows:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, empty, np.empty(0), np.empty(0, dtype=object)
    ids, place, ts, length, bits = zip(*rows)
    return (
        np.array(ids, dtype=np.int64), np.array(place, dtype=np.int64), np.array(ts, dtype=np.int64),
        np.array(length, dtype=np.float64), np.array(bits, dtype=object),
    )


def _bits_matrix(bits: np.ndarray) -> np.ndarray:
    """Sign bits (bytes or None per row) as a (WORDS, rows) uint64 matrix, zeros where missing."""
    raw = b"".join(b if b is not None else _NO_BITS for b in bits)
    return np.ascontiguousarray(np.frombuffer(raw, dtype=np.uint64).reshape(-1, WORDS).T)


def _ranges(codes: np.ndarray) -> dict[int, tuple[int, int]]:
    """``code -> (start, end)`` of each run of equal ``codes`` (each code forms one run: rows are sorted by it)."""
    starts = np.concatenate([[0], np.flatnonzero(np.diff(codes)) + 1]) if len(codes) else np.empty(0, dtype=np.int64)
    ends = np.append(starts[1:], len(codes))
    return {int(codes[s]): (int(s), int(e)) for s, e in zip(starts, ends)}
