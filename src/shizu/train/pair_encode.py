"""Preference pairs and ratings as token ids, rendered and masked exactly as supervised training does.

Each side of a pair, and each rating, is the context plus one persona turn, encoded by
:func:`shizu.chat.template.encode_for_training` (the chat template's render; the inference prompt
checked to be a prefix of it) and checked by :func:`shizu.train.preflight.check_supervision`
(the turn ends with the end-of-turn token). The prompt is everything before that last persona
turn, which is where the runtime's prompt ends; the completion is the turn up to and including
its end-of-turn token: the tokens supervised training would supervise for it.

A pair or rating longer than the cutoff is left out (cutting it would cut the reply being
judged), and counted; so is a pair whose two sides tokenise the shared prompt differently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from shizu.chat.template import IGNORE_INDEX, Encoded, encode_for_training
from shizu.dataset.reader import Example
from shizu.errors import TrainError
from shizu.train.pair import Pair, Rating
from shizu.train.preflight import check_supervision


@dataclass(frozen=True)
class EncodedPair:
    prompt_ids: list[int]
    chosen_ids: list[int]
    rejected_ids: list[int]
    weight: int

    @property
    def length(self) -> int:
        """The longer side, prompt included: what one sequence of the pair takes."""
        return len(self.prompt_ids) + max(len(self.chosen_ids), len(self.rejected_ids))

    @property
    def tokens(self) -> int:
        """Tokens of both sides: what one training pass over the pair reads."""
        return 2 * len(self.prompt_ids) + len(self.chosen_ids) + len(self.rejected_ids)


@dataclass(frozen=True)
class EncodedRating:
    prompt_ids: list[int]
    completion_ids: list[int]
    good: bool
    weight: int

    @property
    def length(self) -> int:
        return len(self.prompt_ids) + len(self.completion_ids)

    @property
    def tokens(self) -> int:
        """Tokens trained on per pass, as the progress counts them (KTO's KL copy is read without gradients, not counted)."""
        return self.length


E = TypeVar("E", EncodedPair, EncodedRating)


@dataclass(frozen=True)
class EncodedSet(Generic[E]):
    """The pairs (or ratings) encoded, and how many were left out: longer than the cutoff, or
    pairs with two sides that tokenise the shared prompt differently."""

    items: list[E]
    prompt_mismatch: int = 0
    too_long: int = 0

    def cut(self, max_length: int) -> EncodedSet[E]:
        """Only the items whose longest sequence fits in ``max_length`` tokens."""
        kept = [item for item in self.items if item.length <= max_length]
        return EncodedSet(kept, self.prompt_mismatch, self.too_long + len(self.items) - len(kept))

    def describe(self, max_length: int, noun: str = "pairs") -> str:
        left = [f"{self.too_long} longer left out"] if self.too_long else []
        left += [f"{self.prompt_mismatch} whose two sides tokenise the prompt differently left out"] if self.prompt_mismatch else []
        return f"{len(self.items)} {noun} fit in {max_length} tokens" + (f" ({', '.join(left)})" if left else "")


def encode_pair(tokenizer: Any, pair: Pair, eot: str) -> EncodedPair | None:
    """Prompt, chosen and rejected token ids; ``None`` when the two sides' prompts differ."""
    (prompt, chosen), (other_prompt, rejected) = (
        _last_turn(tokenizer, pair.key, pair.context, reply, eot) for reply in (pair.chosen, pair.rejected)
    )
    if prompt != other_prompt:
        return None
    return EncodedPair(prompt_ids=prompt, chosen_ids=chosen, rejected_ids=rejected, weight=pair.weight)


def encode_pairs(tokenizer: Any, pairs: Sequence[Pair], eot: str) -> EncodedSet[EncodedPair]:
    """Every pair encoded (no cutoff yet: :meth:`EncodedSet.cut`); a template problem is a :class:`TrainError`."""
    encoded = [encode_pair(tokenizer, pair, eot) for pair in pairs]
    kept = [pair for pair in encoded if pair is not None]
    return EncodedSet(kept, prompt_mismatch=len(encoded) - len(kept))


def encode_ratings(tokenizer: Any, ratings: Sequence[Rating], eot: str) -> EncodedSet[EncodedRating]:
    """Every rating encoded (no cutoff yet); a template problem is a :class:`TrainError`."""
    encoded = []
    for rating in ratings:
        prompt, completion = _last_turn(tokenizer, rating.key, rating.context, rating.reply, eot)
        encoded.append(EncodedRating(prompt_ids=prompt, completion_ids=completion, good=rating.good, weight=rating.weight))
    return EncodedSet(encoded)


def _last_turn(tokenizer: Any, key: str, context: Sequence[dict[str, str]], reply: str, eot: str) -> tuple[list[int], list[int]]:
    """(prompt ids, ids of the reply's turn through its end-of-turn token)."""
    example = Example(id=key, where=f"preference item {key}", messages=[*context, {"role": "assistant", "content": reply}])
    try:
        encoded = encode_for_training(tokenizer, example.messages, eot)
    except TrainError as exc:
        raise TrainError(f"{example.where}: {exc.message}", hint=exc.hint) from None
    check_supervision(tokenizer, [example], [encoded], eot)
    end = encoded.turn_ends[-1]
    start = _run_start(encoded, end)
    return encoded.input_ids[:start], encoded.input_ids[start:end]


def _run_start(encoded: Encoded, end: int) -> int:
    """The first token of the supervised run that ends just before ``end``."""
    start = end
    while start > 0 and encoded.labels[start - 1] != IGNORE_INDEX:
        start -= 1
    return start
