"""Fact recall: asked again about something the person said before, does the reply give it?

A probe is a held-out turn whose real reply states a fact the persona had stated earlier, and the
fact is a few words; a system recalls it when its reply to the same context contains one of them
(a whole word, any case). Probes come from one of two places:

* a facts file (``shizu sample`` writes ``facts.json``: each fact's keywords and the questions
  friends asked about it, with the ids of the answers): every held-out turn whose real reply is the
  answer to one of those questions probes that fact;
* the history itself, where the person answered the same question twice: a held-out turn whose
  question (the last line before the reply) means nearly the same as the question before one of
  the persona's training turns (sentence embeddings, cosine at least :data:`SAME_QUESTION`), when
  both answers share a word that is rare in the persona's training turns (in at most
  :data:`RARE_SHARE` of them, not a stop word): those shared words are the fact.

The recall rate is a proportion over few probes, so its interval is Wilson's score interval
(exact enough at small n, and never the empty interval a bootstrap gives at 0 or n of n).
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from shizu.errors import EvalError

SAME_QUESTION = 0.75  # cosine similarity of two questions taken as the same question
RARE_SHARE = 0.02  # a fact word is in at most this share of the persona's training turns
Z95 = 1.959964
_WORD = re.compile(r"[^\W_]{3,}")
_TAGS = re.compile(r":[\w~-]+:|\[[a-z]+: [^\]]*\]")  # custom emoji and media tags: not words said


@dataclass(frozen=True)
class Probe:
    """Held-out turn ``turn`` (an index) asks about ``fact``; a reply recalls it with one of ``words``."""

    turn: int
    fact: str
    words: tuple[str, ...]

    def recalled(self, reply: str) -> bool:
        found = words_of(reply)
        return any(word in found for word in self.words)

    def to_json(self) -> dict[str, Any]:
        return {"turn": self.turn, "fact": self.fact, "words": list(self.words)}


def words_of(text: str) -> set[str]:
    """The words of ``text`` (letters and digits, three or more: "mochi", "4711"), casefolded."""
    return {w.casefold() for w in _WORD.findall(_TAGS.sub(" ", text))}


def probes_from_facts(path: Path, replies: Sequence[Sequence[str]]) -> list[Probe]:
    """A probe for each held-out reply (``replies[i]``: the store ids of turn i's real reply) that
    answers a question of the facts file at ``path`` (``{"facts": [{"id", "keywords", "questions":
    [{"answer_ids": [...]}, ...]}, ...]}``: the first answer id is the message that states it)."""
    try:
        facts = [
            (str(f["id"]), tuple(str(k).casefold() for k in f["keywords"]), {str(q["answer_ids"][0]) for q in f["questions"]})
            for f in json.loads(path.read_text(encoding="utf-8"))["facts"]
        ]
    except FileNotFoundError:
        raise EvalError(f"{path} does not exist", hint="Pass the facts.json that `shizu sample` wrote, or leave out --facts.") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise EvalError(
            f"{path} is not a facts file ({exc})",
            hint='It needs {"facts": [{"id": ..., "keywords": [...], "questions": [{"answer_ids": [...]}]}]}: see docs/sample-persona.md.',
        ) from None
    probes = []
    for i, ids in enumerate(replies):
        probes += [Probe(i, fact, words) for fact, words, answers in facts if answers & set(ids)]
    return probes


def probes_from_repeats(
    questions: Sequence[str], replies: Sequence[str], asked: Sequence[tuple[str, str]], embed: Callable[[list[str]], np.ndarray],
) -> list[Probe]:
    """A probe for each held-out turn (``questions[i]``, its real ``replies[i]``) that repeats one of
    the persona's training answers ``asked`` (``(question, answer)`` pairs): see the module docstring."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    answered = [(q, a) for q, a in asked if q.strip()]
    if not answered or not questions:
        return []
    seen = Counter(word for _, answer in answered for word in words_of(answer))
    rare = max(1, math.floor(RARE_SHARE * len(answered)))
    earlier = np.asarray(embed([q for q, _ in answered]))
    now = np.asarray(embed(list(questions)))
    probes = []
    for i, similarity in enumerate(now @ earlier.T):
        if not questions[i].strip():
            continue
        shared: set[str] = set()
        for j in np.flatnonzero(similarity >= SAME_QUESTION):
            shared |= words_of(answered[j][1]) & words_of(replies[i])
        words = tuple(sorted(w for w in shared if seen[w] <= rare and w not in ENGLISH_STOP_WORDS))
        if words:
            probes.append(Probe(i, " ".join(words), words))
    return probes


def recall_rate(probes: Sequence[Probe], texts: Sequence[str]) -> dict[str, float | int | None]:
    """How many of ``probes`` the replies ``texts`` (one per held-out turn) recall, with the 95%
    Wilson interval (``None`` without probes: report.json holds no NaN)."""
    hits = sum(probe.recalled(texts[probe.turn]) for probe in probes)
    if not probes:
        return {"recalled": 0, "probes": 0, "value": None, "low": None, "high": None}
    low, high = wilson(hits, len(probes))
    return {"recalled": hits, "probes": len(probes), "value": hits / len(probes), "low": low, "high": high}


def wilson(hits: int, n: int) -> tuple[float, float]:
    """The 95% Wilson score interval of the proportion ``hits / n`` (NaN for n = 0)."""
    if n == 0:
        return math.nan, math.nan
    p = hits / n
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / (1 + Z95**2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)
