"""Reciprocal rank fusion: one ranking from the lexical and the semantic ones.

A memory scores ``1 / (RRF_K + rank)`` in each list it is in (rank 1 is the best), summed; ties go
to the better single rank, then to the older memory (the smaller id). Ranks, not raw scores, are
fused, so BM25's and cosine's different scales need no calibration.
"""

from __future__ import annotations

from collections.abc import Sequence

RRF_K = 60  # the constant of Cormack et al. (2009): dampens the weight of the very first ranks


def fuse(rankings: Sequence[Sequence[int]], count: int) -> list[tuple[int, float, tuple[int | None, ...]]]:
    """The ``count`` best ids of ``rankings`` (lists of ids, best first): ``(id, score, rank in each list)``."""
    ranks: dict[int, list[int | None]] = {}
    for which, ranking in enumerate(rankings):
        for rank, item in enumerate(ranking, start=1):
            ranks.setdefault(item, [None] * len(rankings))[which] = rank
    scored = [
        (sum(1 / (RRF_K + r) for r in found if r is not None), min(r for r in found if r is not None), item, tuple(found))
        for item, found in ranks.items()
    ]
    scored.sort(key=lambda s: (-s[0], s[1], s[2]))
    return [(item, score, found) for score, _, item, found in scored[:count]]
