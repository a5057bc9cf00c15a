"""The encoded training set in flat arrays, cached on disk and memory-mapped.

A history of 300,000 messages encodes to millions of tokens; as Python lists of ints (ids and
labels, each int an object) that is hundreds of MB, held again by every copy the recipe makes
(cutoff, budget, features). Here a split is three flat NumPy arrays (token ids, "supervised" flags,
persona turn ends) plus one row per example (where its tokens and turn ends start, how many it
keeps). Cutting, selecting and ordering make new row tables over the same arrays; an example
becomes lists only when the Trainer asks for it.

The arrays are written once to ``<workspace>/cache/encoded/<key>/`` (the key hashes the examples,
the dataset file, the tokenizer and the end-of-turn token) and memory-mapped on the next run, so a
second ``shizu train`` (or ``--dry-run``) skips tokenising. The cache holds the person's messages as
token ids: it stays in the workspace, and deleting ``cache/`` is always safe.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload

import numpy as np

from shizu.chat.template import IGNORE_INDEX, Encoded

CACHE_VERSION = "1"  # bump when the encoding or the layout changes
KEPT_CACHES = 4  # newest cached encodings kept (train and val of the last two datasets)
_ARRAYS = ("ids", "supervised", "turn_ends", "rows")
INCOMING = ".incoming-"  # <key>.incoming-<pid>: a cache being written
# rows columns: token start, tokens kept, turn-end start, turn ends kept
START, LENGTH, ENDS_START, ENDS_KEPT = range(4)


@dataclass(frozen=True)
class Cutoff:
    """What the sequence cutoff did to a split."""

    max_length: int
    whole: int  # examples kept entirely
    shortened: int  # cut back to their last whole persona turn
    dropped: int  # not even the first persona turn fits

    @property
    def total(self) -> int:
        return self.whole + self.shortened + self.dropped

    @property
    def whole_share(self) -> float:
        return self.whole / self.total if self.total else 1.0

    def describe(self) -> str:
        return (
            f"cutoff {self.max_length} tokens keeps {self.whole_share:.1%} of {self.total} examples whole"
            f" ({self.shortened} cut back to their last whole persona turn, {self.dropped} dropped)"
        )


class EncodedSet(Sequence[Encoded]):
    """Encoded examples over shared flat arrays; indexing gives an :class:`Encoded`, slicing a set."""

    def __init__(self, ids: np.ndarray, supervised: np.ndarray, turn_ends: np.ndarray, rows: np.ndarray) -> None:
        self.ids, self.supervised_flags, self.turn_ends, self.rows = ids, supervised, turn_ends, rows
        self._prefix: np.ndarray | None = None

    @classmethod
    def from_encoded(cls, encoded: Iterator[Encoded] | Sequence[Encoded]) -> EncodedSet:
        """Pack encodings one at a time (only the flat arrays grow)."""
        ids, flags, ends, rows = array("i"), array("b"), array("i"), array("q")
        for enc in encoded:
            rows.extend((len(ids), len(enc.input_ids), len(ends), len(enc.turn_ends)))
            ids.extend(enc.input_ids)
            flags.extend(label != IGNORE_INDEX for label in enc.labels)
            ends.extend(enc.turn_ends)
        return cls(
            np.frombuffer(ids, dtype=np.int32), np.frombuffer(flags, dtype=np.int8).astype(bool),
            np.frombuffer(ends, dtype=np.int32), np.frombuffer(rows, dtype=np.int64).reshape(-1, 4),
        )

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, index: int) -> Encoded: ...
    @overload
    def __getitem__(self, index: slice) -> EncodedSet: ...

    def __getitem__(self, index: int | slice) -> Encoded | EncodedSet:
        if isinstance(index, slice):
            return self._with_rows(self.rows[index])
        start, length, ends_start, ends_kept = (int(v) for v in self.rows[index])
        ids = self.ids[start:start + length]
        labels = np.where(self.supervised_flags[start:start + length], ids, IGNORE_INDEX)
        return Encoded(input_ids=ids.tolist(), labels=labels.tolist(), turn_ends=self.turn_ends[ends_start:ends_start + ends_kept].tolist())

    @property
    def lengths(self) -> np.ndarray:
        return self.rows[:, LENGTH]

    @property
    def tokens(self) -> int:
        """Tokens in all examples (after any cutoff)."""
        return int(self.lengths.sum())

    @property
    def supervised(self) -> int:
        """Supervised (persona) tokens in all examples."""
        if self._prefix is None:
            self._prefix = np.concatenate(([0], np.cumsum(self.supervised_flags, dtype=np.int64)))
        starts = self.rows[:, START]
        return int((self._prefix[starts + self.lengths] - self._prefix[starts]).sum())

    def features(self) -> Features:
        """The Trainer's view: ``{"input_ids", "labels"}`` dicts built on demand."""
        return Features(self)

    def cut(self, max_length: int) -> tuple[EncodedSet, Cutoff]:
        """Examples fitted into ``max_length`` tokens, each cut right after its last persona turn
        that fits (never inside a turn; dropped when none fits), and what that did."""
        rows = self.rows.copy()
        keep = np.ones(len(rows), dtype=bool)
        shortened = 0
        for i in np.flatnonzero(rows[:, LENGTH] > max_length):
            start, count = rows[i, ENDS_START], rows[i, ENDS_KEPT]
            kept_ends = int(np.searchsorted(self.turn_ends[start:start + count], max_length, side="right"))  # turns that fit
            if kept_ends == 0:
                keep[i] = False
                continue
            rows[i, LENGTH], rows[i, ENDS_KEPT] = self.turn_ends[start + kept_ends - 1], kept_ends
            shortened += 1
        dropped = int((~keep).sum())
        return self._with_rows(rows[keep]), Cutoff(max_length, whole=len(rows) - shortened - dropped, shortened=shortened, dropped=dropped)

    def save(self, folder: Path) -> None:
        """Write the arrays to ``folder`` at once: a temporary folder of this process renamed into
        place. When another process (a rank of a multi-process run) got there first, its copy (the
        same arrays) stays and this one is dropped."""
        incoming = folder.with_name(f"{folder.name}{INCOMING}{os.getpid()}")
        shutil.rmtree(incoming, ignore_errors=True)
        incoming.mkdir(parents=True)
        for name, values in zip(_ARRAYS, (self.ids, self.supervised_flags, self.turn_ends, self.rows), strict=True):
            np.save(incoming / f"{name}.npy", values)
        try:
            incoming.rename(folder)
        except OSError:
            if not folder.is_dir():
                raise
            shutil.rmtree(incoming, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path) -> EncodedSet:
        """The arrays :meth:`save` wrote, memory-mapped (read-only: pages load as they are used)."""
        return cls(*(np.load(folder / f"{name}.npy", mmap_mode="r") for name in _ARRAYS))

    def _with_rows(self, rows: np.ndarray) -> EncodedSet:
        subset = EncodedSet(self.ids, self.supervised_flags, self.turn_ends, rows)
        subset._prefix = self._prefix
        return subset


class Features(Sequence[dict[str, list[int]]]):
    """What the Trainer, its length-grouped sampler and the calibration read."""

    def __init__(self, encoded: EncodedSet) -> None:
        self.encoded = encoded

    def __len__(self) -> int:
        return len(self.encoded)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        enc = self.encoded[index]
        return {"input_ids": enc.input_ids, "labels": enc.labels}


def cached_encoding(cache_dir: Path, key: str, encode: Callable[[], EncodedSet]) -> tuple[EncodedSet, bool]:
    """The encoding cached under ``key``, else ``encode()``'s result, saved for next time (the
    oldest caches beyond :data:`KEPT_CACHES` are removed). Returns the set and whether it was cached."""
    folder = cache_dir / key
    if all((folder / f"{name}.npy").is_file() for name in _ARRAYS):
        folder.touch()
        return EncodedSet.load(folder), True
    encoded = encode()
    encoded.save(folder)
    finished = [p for p in cache_dir.iterdir() if p.is_dir() and INCOMING not in p.name]  # not another process's half-written one
    for old in sorted(finished, key=lambda p: p.stat().st_mtime)[:-KEPT_CACHES]:
        shutil.rmtree(old, ignore_errors=True)
    return EncodedSet.load(folder), False


def encoding_key(*parts: str | Sequence[str]) -> str:
    """A cache key over the things an encoding depends on (strings, or sequences of strings)."""
    digest = hashlib.sha256(CACHE_VERSION.encode())
    for part in parts:
        for text in [part] if isinstance(part, str) else part:
            digest.update(text.encode() + b"\0")
        digest.update(b"\1")
    return digest.hexdigest()[:32]
