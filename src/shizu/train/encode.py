"""The training set as the recipe sees it: examples (read by :mod:`shizu.dataset.reader`) in,
token ids + labels out.

Encodes each example with :mod:`shizu.chat.template` and applies the sequence cutoff: an example
longer than the cutoff is cut back to its last whole persona turn (never in the middle of a turn, so every supervised turn still ends with end-of-turn), and dropped only when not
even its first persona turn fits.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shizu.chat.template import Encoded, encode_for_training
from shizu.dataset.reader import Example
from shizu.errors import TrainError


def encode_examples(tokenizer: Any, examples: Sequence[Example], eot: str) -> list[Encoded]:
    """Encode every example; a template problem is reported with the example's file and line."""
    encoded = []
    for example in examples:
        try:
            encoded.append(encode_for_training(tokenizer, example.messages, eot))
        except TrainError as exc:
            raise TrainError(f"{example.where}: {exc.message}", hint=exc.hint) from None
    return encoded


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


def apply_cutoff(encoded: Sequence[Encoded], max_length: int) -> tuple[list[Encoded], Cutoff]:
    """Fit every example into ``max_length`` tokens without cutting a persona turn in half."""
    kept, whole, shortened, dropped = [], 0, 0, 0
    for enc in encoded:
        if len(enc.input_ids) <= max_length:
            kept.append(enc)
            whole += 1
            continue
        ends = [end for end in enc.turn_ends if end <= max_length]
        if not ends:
            dropped += 1
            continue
        cut = ends[-1]
        kept.append(Encoded(input_ids=enc.input_ids[:cut], labels=enc.labels[:cut], turn_ends=ends))
        shortened += 1
    return kept, Cutoff(max_length=max_length, whole=whole, shortened=shortened, dropped=dropped)


def auto_cutoff(lengths: Sequence[int], *, model_max: int, cap: int, share: float = 0.99, multiple: int = 64) -> tuple[int, str]:
    """The smallest multiple of ``multiple`` that keeps ``share`` of examples whole, within limits.

    Returns the cutoff and the reason to print.
    """
    ordered = sorted(lengths)
    index = max(0, math.ceil(share * len(ordered)) - 1)
    wanted = ordered[index] if ordered else multiple
    cutoff = min(max(multiple, math.ceil(wanted / multiple) * multiple), cap, model_max)
    why = f"the {share:.0%} length quantile is {wanted} tokens (longest {ordered[-1] if ordered else 0})"
    if cutoff < wanted:
        limit = "the model's context" if model_max <= cap else "the device cap (set [train] max_length to go higher)"
        why += f", capped by {limit}"
    return cutoff, why
