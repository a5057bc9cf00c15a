"""Checks run before step 1, each failing early with the fix in the message.

The failure modes they catch are the ones that otherwise show up hours later as a bot that
talks to itself or never stops: a template whose inference prompt differs from what training
saw, persona turns without an end-of-turn token, padding with the end-of-turn token (which hides
it from the loss in many recipes), examples with nothing to learn, and a cutoff that silently
throws away most of the data. (The round trip, "the runtime's prompt is a prefix of the
training text", is checked for every persona turn while encoding: see ``chat_format``.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shizu.chat.template import IGNORE_INDEX, Encoded
from shizu.dataset.reader import Example
from shizu.errors import TrainError
from shizu.train.encoded_set import Cutoff

PAD_CANDIDATES = ("<|finetune_right_pad_id|>", "<|pad|>", "<pad>", "<|endoftext|>", "<unk>")


def ensure_distinct_pad(tokenizer: Any, eot: str) -> str:
    """Make the padding token differ from EOS and end-of-turn; say what was done.

    Uses an existing special token where the vocabulary has one (no new embedding row needed).
    """
    forbidden = {eot, tokenizer.eos_token}
    if tokenizer.pad_token is not None and tokenizer.pad_token not in forbidden:
        return f"pad token {tokenizer.pad_token!r} (id {tokenizer.pad_token_id}) differs from EOS/end-of-turn"
    vocab = tokenizer.get_vocab()
    for candidate in PAD_CANDIDATES:
        if candidate in vocab and candidate not in forbidden:
            before = tokenizer.pad_token
            tokenizer.pad_token = candidate
            return (
                f"pad token set to {candidate!r} (id {tokenizer.pad_token_id}): it was {before!r}, "
                "the same as EOS/end-of-turn, which must stay visible to the loss"
            )
    raise TrainError(
        f"The tokenizer pads with {tokenizer.pad_token!r}, its EOS/end-of-turn token, and has no other special token to pad with",
        hint="Use a base model whose tokenizer has a pad or unk token, or add one to its tokenizer files.",
    )


def check_supervision(tokenizer: Any, examples: Sequence[Example], encoded: Sequence[Encoded], eot: str) -> None:
    """Every example has supervised tokens, and every supervised run ends with end-of-turn."""
    eot_id = tokenizer.convert_tokens_to_ids(eot)
    for example, enc in zip(examples, encoded, strict=True):
        if enc.supervised == 0:
            raise TrainError(
                f"{example.where}: example {example.id!r} has no supervised tokens (nothing to learn)",
                hint="Every example needs a persona (assistant) turn that the chat template renders; rebuild the dataset with `shizu build`.",
            )
        for end in _run_ends(enc.labels):
            if enc.labels[end] != eot_id:
                raise TrainError(
                    f"{example.where}: a persona turn in example {example.id!r} does not end with {eot!r}",
                    hint="The model would not learn to stop; use a chat template that closes every assistant turn.",
                )


def _run_ends(labels: Sequence[int]) -> list[int]:
    """Indices of the last token of each run of supervised labels."""
    return [
        i for i, label in enumerate(labels)
        if label != IGNORE_INDEX and (i + 1 == len(labels) or labels[i + 1] == IGNORE_INDEX)
    ]


def check_cutoff(cutoff: Cutoff, min_share: float, split: str) -> None:
    """The cutoff must keep at least ``min_share`` of the examples whole."""
    if cutoff.whole_share < min_share:
        raise TrainError(
            f"{split}: {cutoff.describe()}; at least {min_share:.0%} must stay whole",
            hint=f"Raise [train] max_length above {cutoff.max_length} (0 picks one from the data), "
            "or lower [build] max_context_tokens and rebuild.",
        )
    if cutoff.total and cutoff.dropped == cutoff.total:
        raise TrainError(f"{split}: no example fits in {cutoff.max_length} tokens", hint="Raise [train] max_length.")
