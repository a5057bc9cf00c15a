"""Batches and loss that spend compute only where the persona speaks.

Only persona tokens are supervised (often a third of an example or less), yet a stock causal-LM
forward projects EVERY position onto the vocabulary (49k-150k wide) and keeps those logits for
the backward pass. transformers accepts ``logits_to_keep`` as a boolean (batch, sequence) mask,
so the collator marks the positions whose next token is supervised and the loss is a plain
cross-entropy over exactly those logits: the same value as the model's own loss, without the
wasted vocabulary projections. Batches are padded per batch (labels with -100); the Trainer's
length-grouped sampler keeps that padding small.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from transformers import DataCollatorForSeq2Seq, DataCollatorWithFlattening

from shizu.chat.template import IGNORE_INDEX


class SupervisedCollator:
    """Pad a list of ``{"input_ids", "labels"}`` and add the ``logits_to_keep`` mask."""

    def __init__(self, tokenizer: Any, pad_to_multiple_of: int | None = None) -> None:
        self.pad = DataCollatorForSeq2Seq(
            tokenizer, padding=True, pad_to_multiple_of=pad_to_multiple_of, label_pad_token_id=IGNORE_INDEX, return_tensors="pt"
        )

    def __call__(self, features: list[dict[str, list[int]]]) -> dict[str, torch.Tensor]:
        batch = self.pad(features)
        next_is_supervised = batch["labels"][:, 1:] != IGNORE_INDEX
        batch["logits_to_keep"] = F.pad(next_is_supervised, (0, 1), value=False)
        return batch


class PackedCollator:
    """Padding-free packing: a micro-batch's examples laid end to end in ONE row.

    ``position_ids`` restart at 0 for every example and no attention mask is given, so
    transformers confines attention to each example (a block-diagonal causal mask built from the
    position ids; the varlen path on CUDA with flash attention). Nothing is padded, so no compute
    goes to padding; each example's first label is already ignored (it is the system prompt), so
    no example learns from the one before it. The loss is the same as :class:`SupervisedCollator`'s
    batches give (``tests/test_train_packing.py`` checks loss and gradients to 1e-4).
    """

    def __init__(self) -> None:
        self.flatten = DataCollatorWithFlattening(return_position_ids=True, separator_id=IGNORE_INDEX)

    def __call__(self, features: list[dict[str, list[int]]]) -> dict[str, torch.Tensor]:
        batch = self.flatten(features)
        next_is_supervised = batch["labels"][:, 1:] != IGNORE_INDEX
        batch["logits_to_keep"] = F.pad(next_is_supervised, (0, 1), value=False)
        return batch


def supervised_loss(outputs: Any, labels: torch.Tensor, num_items_in_batch: torch.Tensor | int | None = None) -> torch.Tensor:
    """Cross-entropy of the kept logits (one row per supervised position) against the next tokens.

    Given to ``Trainer(compute_loss_func=...)``: summed and divided by the Trainer's count of
    supervised tokens across the accumulated micro-batches, so gradient accumulation weights
    every token equally; a plain mean when called without it (evaluation).
    """
    targets = labels[:, 1:]
    targets = targets[targets != IGNORE_INDEX].to(outputs.logits.device)
    total = F.cross_entropy(outputs.logits.float(), targets, reduction="sum")
    return total / (num_items_in_batch if num_items_in_batch is not None else max(targets.numel(), 1))
