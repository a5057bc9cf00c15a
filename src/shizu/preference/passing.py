"""``--skip-passing``: self-play pairs whose losing reply already passes for the person's are left out.

SPIN trains on every self-play pair, the real reply over the model's. Where the model's reply
already passes for the real one, making it lose pushes the model away from a reply that works.
The judge is ``shizu eval``'s detector (:func:`shizu.eval.detector.detect`: character n-grams,
style statistics with the persona's distinctive words, and the sentence embedding; the ``eval``
extra, checked before the stage starts), cross-validated over the round's own pairs so that no pair is judged by a detector
that saw it: a pair is left out when the detector finds the model's reply the more likely real
one of the two. Replies the guards cut always lose, and feedback pairs are people's own verdicts:
neither is judged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from shizu.eval.detector import detect
from shizu.preference.pairs import SAMPLED
from shizu.train.pair import Pair


@dataclass(frozen=True)
class Passing:
    """The pairs kept, and how many self-play pairs were judged and left out (``None``: too few to judge)."""

    pairs: list[Pair]
    judged: int | None
    skipped: int

    def describe(self) -> str:
        if self.judged is None:
            return "--skip-passing: too few self-play pairs for the detector to judge; none left out"
        return f"--skip-passing: the detector took the model's reply for the real one in {self.skipped} of {self.judged} self-play pairs, left out"


def without_passing(pairs: Sequence[Pair], *, distinctive: frozenset[str], embed: Callable[[list[str]], Any] | None, seed: int = 0) -> Passing:
    """``pairs`` without the self-play pairs (sampled, not guard-cut) whose loser passes for the person."""
    judged = [i for i, pair in enumerate(pairs) if pair.source == "self-play" and pair.why == SAMPLED]
    verdict = detect([pairs[i].chosen for i in judged], [pairs[i].rejected for i in judged], embed=embed, distinctive=distinctive, seed=seed)
    if verdict is None:
        return Passing(list(pairs), None, 0)
    passes = {i for i, picked in zip(judged, verdict.picked) if picked == 1.0}
    return Passing([pair for i, pair in enumerate(pairs) if i not in passes], len(judged), len(passes))
