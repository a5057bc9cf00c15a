"""Style: how the replies are written, measured the same way on the real replies and every system's.

A reply is one persona turn: a burst of chat messages, one per line, in the training set's form
(media as ``[gif: label]`` tags, custom emoji as ``:name:``). Each feature gives one value per
message (or per turn), so a system's values form a distribution that can be set against the real
replies':

* per message: length in characters and words, written all in lowercase, Unicode emoji, custom
  emoji, media tags, ending with sentence punctuation (``. ! ? …``), asking a question, and the
  persona's distinctive words (:func:`distinctive_words`) used;
* per turn: messages per burst, and repetition (a word 3-gram said twice in one turn: loops).

The overall style distance is the mean, over those features, of the two-sample
Kolmogorov-Smirnov statistic between a system's values and the real replies' (0: the same
distribution, 1: no overlap at all). It is scale-free, so characters and shares weigh the same.
distinct-2 (distinct word bigrams / all bigrams over every reply) is a corpus figure, shown
beside it.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import regex

from shizu.chat.layout import split_burst
from shizu.persona.postprocess import EMOJI_RE, TAG_RE

DISTINCTIVE_WORDS = 50  # how many of the persona's top terms are tracked
DISTINCTIVE_MIN_COUNT = 3  # times the persona must have written a word for it to count
DISTINCTIVE_MIN_Z = 1.96  # log-odds z-score a word needs (95% two-sided)

WORD_RE = re.compile(r"\w+(?:'\w+)*")
_EMOJI_RE = regex.compile(r"\p{Extended_Pictographic}|\p{Regional_Indicator}")
_GRAPHEME_RE = regex.compile(r"\X")
_ENDINGS = (".", "!", "?", "…")


@dataclass(frozen=True)
class Feature:
    key: str  # the name in report.json
    label: str  # the name in tables
    per: str  # "message" or "turn"


FEATURES = (
    Feature("chars_per_message", "characters / message", "message"),
    Feature("words_per_message", "words / message", "message"),
    Feature("messages_per_burst", "messages / burst", "turn"),
    Feature("lowercase_share", "all lowercase", "message"),
    Feature("emoji_per_message", "emoji / message", "message"),
    Feature("custom_emoji_per_message", "custom emoji / message", "message"),
    Feature("media_per_message", "media tags / message", "message"),
    Feature("punctuation_rate", "ends in . ! ? …", "message"),
    Feature("question_rate", "asks a question", "message"),
    Feature("distinctive_words_per_message", "distinctive words / msg", "message"),
    Feature("repetition_rate", "repeats a 3-gram", "turn"),
)


@dataclass(frozen=True)
class Style:
    """Every feature's values over a set of replies, and their distinct-2."""

    values: dict[str, list[float]]
    distinct_2: float | None
    messages: int

    def means(self) -> dict[str, float | None]:
        return {key: (sum(v) / len(v) if v else None) for key, v in self.values.items()}


def messages_of(turn: str) -> list[str]:
    """The non-empty chat messages of one turn."""
    return [m for m in split_burst(turn) if m.strip()]


def words(text: str) -> list[str]:
    """Lower-cased word tokens, media tags and ``:emoji:`` left out."""
    return WORD_RE.findall(_plain(text).lower())


def measure(turns: Iterable[str], distinctive: frozenset[str]) -> Style:
    """The style features of ``turns`` (each a persona turn, one message per line)."""
    values: dict[str, list[float]] = {f.key: [] for f in FEATURES}
    bigrams: list[tuple[str, str]] = []
    messages = 0
    for turn in turns:
        texts = messages_of(turn)
        values["messages_per_burst"].append(len(texts))
        tokens = words(turn)
        trigrams = Counter(zip(tokens, tokens[1:], tokens[2:]))
        values["repetition_rate"].append(float(any(n > 1 for n in trigrams.values())))
        for text in texts:
            messages += 1
            plain = _plain(text).strip()
            tokens = WORD_RE.findall(plain.lower())
            bigrams += zip(tokens, tokens[1:])
            values["chars_per_message"].append(len(text))
            values["words_per_message"].append(len(tokens))
            if any(c.isupper() or c.islower() for c in plain):
                values["lowercase_share"].append(float(not any(c.isupper() for c in plain)))
            values["emoji_per_message"].append(sum(1 for g in _GRAPHEME_RE.findall(text) if _EMOJI_RE.search(g)))
            values["custom_emoji_per_message"].append(len(EMOJI_RE.findall(text)))
            values["media_per_message"].append(len(TAG_RE.findall(text)))
            bare = "".join(g for g in _GRAPHEME_RE.findall(plain) if not _EMOJI_RE.search(g)).rstrip()
            if bare:
                values["punctuation_rate"].append(float(bare.endswith(_ENDINGS)))
            values["question_rate"].append(float("?" in plain))
            values["distinctive_words_per_message"].append(sum(1 for t in tokens if t in distinctive))
    distinct_2 = len(set(bigrams)) / len(bigrams) if bigrams else None
    return Style(values=values, distinct_2=distinct_2, messages=messages)


def distance(style: Style, real: Style) -> tuple[float, dict[str, float]]:
    """The overall style distance to the real replies, and each feature's KS statistic."""
    from scipy.stats import ks_2samp

    per_feature = {}
    for feature in FEATURES:
        mine, theirs = style.values[feature.key], real.values[feature.key]
        if mine and theirs:
            per_feature[feature.key] = float(ks_2samp(mine, theirs).statistic)
        else:
            per_feature[feature.key] = 0.0 if not mine and not theirs else 1.0
    return sum(per_feature.values()) / len(per_feature), per_feature


def distinctive_words(persona: Sequence[str], others: Sequence[str], limit: int = DISTINCTIVE_WORDS) -> list[str]:
    """The persona's top terms versus everyone else's, most distinctive first.

    Log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008, "Fightin'
    Words"; the prior is the pooled counts): a word ranks high when the persona uses it much more
    than the others do, and often enough for the difference to be significant (z >= 1.96).
    """
    mine = Counter(t for text in persona for t in words(text))
    theirs = Counter(t for text in others for t in words(text))
    prior = mine + theirs
    n_mine, n_theirs, n_prior = mine.total(), theirs.total(), prior.total()
    scored = []
    for word, count in mine.items():
        if count < DISTINCTIVE_MIN_COUNT:
            continue
        a = prior[word]
        other = theirs[word]
        delta = math.log((count + a) / (n_mine + n_prior - count - a)) - math.log((other + a) / (n_theirs + n_prior - other - a))
        z = delta / math.sqrt(1 / (count + a) + 1 / (other + a))
        if z >= DISTINCTIVE_MIN_Z:
            scored.append((z, word))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [word for _, word in scored[:limit]]


def _plain(text: str) -> str:
    """The words of a message: media tags and ``:emoji:`` removed."""
    return EMOJI_RE.sub(" ", TAG_RE.sub(" ", text))
