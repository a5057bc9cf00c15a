"""Perplexity of the real persona replies under each system (teacher forcing).

Each held-out example is encoded exactly as training encodes it
(:func:`shizu.chat.template.encode_for_training`: the tokenizer's chat template, labels on
the persona's turns and their end-of-turn token only), and the model reads it in one pass. The
negative log-likelihood of every supervised token is kept per persona turn, so the perplexity of
any subset of turns (``--limit``) is ``exp(sum of NLL / tokens)`` over exactly those turns. Only
the kept positions are projected onto the vocabulary (``logits_to_keep``, as in training).

Systems that share base weights share one load: the base model is scored, then each run's
adapter is put on (PEFT), scored and taken off again. A server has no perplexity here (the
OpenAI completions API has no portable way to score a given text).
"""

from __future__ import annotations

import gc
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from shizu.chat.template import IGNORE_INDEX, Encoded, end_of_turn, load_tokenizer
from shizu.persona.backends.local import pick_device
from shizu.runs import Weights
from shizu.train.encode import Example, apply_cutoff, encode_examples

BATCH_SIZE = 8


@dataclass(frozen=True)
class TurnLoss:
    """Summed negative log-likelihood (nats) of one persona turn's tokens, and how many there are."""

    nll: float
    tokens: int


def perplexity(losses: Sequence[TurnLoss]) -> float | None:
    """``exp(mean NLL per token)`` over these turns; ``None`` when nothing was scored."""
    import math

    tokens = sum(loss.tokens for loss in losses)
    return math.exp(sum(loss.nll for loss in losses) / tokens) if tokens else None


def score_systems(
    systems: Sequence[tuple[str, Weights]],
    examples: Sequence[Example],
    device: str,
    advance: Callable[[int], None] = lambda _: None,
) -> dict[str, dict[str, TurnLoss]]:
    """``{system: {"<example id>#<k>": TurnLoss}}`` for every persona turn of ``examples``.

    ``advance`` is called with the number of examples scored after every batch.
    """
    device = pick_device(device)
    out: dict[str, dict[str, TurnLoss]] = {}
    ordered = sorted(systems, key=lambda s: (str(s[1].base), str(s[1].tokenizer_dir), s[1].adapter is not None))
    for (base, tokenizer_dir), group in groupby(ordered, key=lambda s: (s[1].base, s[1].tokenizer_dir)):
        tokenizer = load_tokenizer(tokenizer_dir)
        tokenizer.padding_side = "right"
        if tokenizer.pad_token is None:  # padding is masked out; any token will do
            tokenizer.pad_token = tokenizer.eos_token
        encoded = encode_examples(tokenizer, examples, end_of_turn(tokenizer))
        model = _load(base, device)
        limit = getattr(model.config, "max_position_embeddings", None) or tokenizer.model_max_length
        fitted = [_fit(enc, limit) for enc in encoded]
        for name, weights in group:
            if weights.adapter is None:
                out[name] = _score(model, tokenizer, examples, fitted, device, advance)
                continue
            from peft import PeftModel

            adapted = PeftModel.from_pretrained(model, weights.adapter)
            out[name] = _score(adapted, tokenizer, examples, fitted, device, advance)
            model = adapted.unload()
        del model
        _free(device)
    return out


def _load(base: Any, device: str) -> Any:
    import torch
    from transformers import AutoModelForCausalLM

    dtype = torch.bfloat16 if device == "cuda" and torch.cuda.is_bf16_supported() else torch.float32
    return AutoModelForCausalLM.from_pretrained(base, dtype=dtype).to(device).eval()


def _fit(enc: Encoded, limit: int) -> Encoded | None:
    """The example cut back to its last whole persona turn that fits the model (``None``: none fits)."""
    kept, _ = apply_cutoff([enc], limit)
    return kept[0] if kept else None


def _score(
    model: Any, tokenizer: Any, examples: Sequence[Example], encoded: Sequence[Encoded | None], device: str,
    advance: Callable[[int], None],
) -> dict[str, TurnLoss]:
    import torch
    import torch.nn.functional as F

    from shizu.train.supervised import SupervisedCollator

    collate = SupervisedCollator(tokenizer)
    scored = sorted(((examples[i].id, enc) for i, enc in enumerate(encoded) if enc is not None), key=lambda item: len(item[1].input_ids))
    losses: dict[str, list[float]] = {}
    with torch.inference_mode():
        for start in range(0, len(scored), BATCH_SIZE):
            chunk = scored[start:start + BATCH_SIZE]
            batch = collate([{"input_ids": enc.input_ids, "labels": enc.labels} for _, enc in chunk])
            batch = {key: value.to(device) for key, value in batch.items()}
            logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], logits_to_keep=batch["logits_to_keep"]).logits
            targets = batch["labels"][:, 1:]
            nll = iter(F.cross_entropy(logits.float(), targets[targets != IGNORE_INDEX], reduction="none").tolist())
            for example_id, enc in chunk:  # the kept logits come example by example, position by position
                for j, label in enumerate(enc.labels[1:], 1):
                    if label != IGNORE_INDEX:
                        losses.setdefault(f"{example_id}#{bisect_right(enc.turn_ends, j)}", []).append(next(nll))
            advance(len(chunk))
    advance(len(encoded) - len(scored))
    return {key: TurnLoss(nll=sum(values), tokens=len(values)) for key, values in losses.items()}


def _free(device: str) -> None:
    gc.collect()
    if device == "cuda":
        import torch

        torch.cuda.empty_cache()
