"""The training set as the recipe sees it: examples (read by :mod:`shizu.dataset.reader`) in,
token ids + labels out.

Encodes each example with :mod:`shizu.chat.template` and applies the sequence cutoff: an example
longer than the cutoff is cut back to its last whole persona turn (never in the middle of a turn, so every supervised turn still ends with end-of-turn), and dropped only when not
even its first persona turn fits.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

from shizu.chat.template import Encoded, encode_for_training
from shizu.dataset.reader import Example
from shizu.errors import TrainError
from shizu.train.encoded_set import Cutoff, EncodedSet
from shizu.train.preflight import check_supervision


def encode_examples(tokenizer: Any, examples: Sequence[Example], eot: str) -> list[Encoded]:
    """Encode every example; a template problem is reported with the example's file and line."""
    return list(_encode(tokenizer, examples, eot))


def encode_checked(tokenizer: Any, examples: Sequence[Example], eot: str) -> Iterator[Encoded]:
    """Encode the examples one at a time, each checked by :func:`check_supervision` (for
    :meth:`EncodedSet.from_encoded`, which then holds only the flat arrays)."""
    for example, encoded in zip(examples, _encode(tokenizer, examples, eot), strict=True):
        check_supervision(tokenizer, [example], [encoded], eot)
        yield encoded


def _encode(tokenizer: Any, examples: Sequence[Example], eot: str) -> Iterator[Encoded]:
    for example in examples:
        try:
            yield encode_for_training(tokenizer, example.messages, eot)
        except TrainError as exc:
            raise TrainError(f"{example.where}: {exc.message}", hint=exc.hint) from None


def apply_cutoff(encoded: Sequence[Encoded], max_length: int) -> tuple[EncodedSet, Cutoff]:
    """Fit every example into ``max_length`` tokens without cutting a persona turn in half."""
    return (encoded if isinstance(encoded, EncodedSet) else EncodedSet.from_encoded(encoded)).cut(max_length)


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
