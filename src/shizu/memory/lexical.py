"""The lexical half: BM25 over the FTS5 postings of the query's rarest terms.

FTS5 holds the postings (which memories contain a term, how often); the scores are computed here
with NumPy from the document frequencies and lengths :mod:`shizu.store.memories` keeps, because
FTS5's own ``bm25()`` costs several microseconds per matching row, and so that a full scan (the
benchmark's baseline) can score with the very same function.

The query is the live context's distinct terms, rarest first, as long as their postings fit in
:data:`POSTINGS_BUDGET`: words in a good share of all memories ("lol", "the") weigh little in BM25
and would cost the most to read, so they are left to the semantic half.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

K1 = 1.2
B = 0.75
POSTINGS_BUDGET = 8000  # occurrences read per query, at most
MAX_QUERY_TERMS = 32


def choose(query: Sequence[str], frequencies: Mapping[str, int]) -> list[str]:
    """The distinct terms of ``query`` that some memory has, rarest first, within the postings budget."""
    found = sorted((frequencies[t], t) for t in dict.fromkeys(query) if frequencies.get(t, 0) > 0)
    chosen: list[str] = []
    spent = 0
    for df, term in found[:MAX_QUERY_TERMS]:
        if spent + df > POSTINGS_BUDGET:
            break
        chosen.append(term)
        spent += df
    return chosen


def idf(df: int, total: int) -> float:
    """BM25's inverse document frequency (the form that never goes negative)."""
    return math.log(1 + (total - df + 0.5) / (df + 0.5))


def bm25(postings: Sequence[tuple[np.ndarray, np.ndarray, float]], lengths: np.ndarray, average: float) -> tuple[np.ndarray, np.ndarray]:
    """Scores of the memories in ``postings``: per term ``(positions, counts, idf)``, in query order.

    ``lengths`` is every memory's term count, by position. Returns (positions, scores), by position.
    """
    if not postings:
        return np.empty(0, dtype=np.int64), np.empty(0)
    positions = np.concatenate([p for p, _, _ in postings])
    weights = np.concatenate([
        weight * counts * (K1 + 1) / (counts + K1 * (1 - B + B * lengths[p] / average)) for p, counts, weight in postings
    ])
    unique, inverse = np.unique(positions, return_inverse=True)
    return unique, np.bincount(inverse, weights=weights)
