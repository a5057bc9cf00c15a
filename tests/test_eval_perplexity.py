"""Perplexity of the real replies by teacher forcing: per persona turn, equal to the model's own loss."""

from __future__ import annotations

import dataclasses
import math

import pytest

from persona_helpers import save_tiny_run
from shizu.chat.template import IGNORE_INDEX, encode_for_training
from shizu.eval.perplexity import TurnLoss, perplexity, score_systems
from shizu.persona.run import run_weights
from shizu.train.encode import Example
from shizu.workspace import Workspace

SYSTEM = {"role": "system", "content": "You are Mika, chatting on Discord in a direct message with Alice."}
EXAMPLES = [
    Example("a", "val.jsonl:1", [SYSTEM, {"role": "user", "content": "Alice: hi"}, {"role": "assistant", "content": "omg hii\nwhats up"},
                                 {"role": "user", "content": "Alice: nm"}, {"role": "assistant", "content": "same lol"}]),
    Example("b", "val.jsonl:2", [SYSTEM, {"role": "assistant", "content": "anyone up"}]),
    # The second reply does not fit the tiny model's 2,048 positions (one token per byte): only the first is scored.
    Example("c", "val.jsonl:3", [SYSTEM, {"role": "user", "content": "Alice: yo"}, {"role": "assistant", "content": "ok"},
                                 {"role": "user", "content": "Alice: tell me everything"}, {"role": "assistant", "content": "blah " * 500}]),
]


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory):
    ws = Workspace.create(tmp_path_factory.mktemp("ws"), name="Mika")
    return run_weights(save_tiny_run(ws, "tiny"))


def reference_losses(model, tokenizer, example: Example) -> dict[str, TurnLoss]:
    """Per-turn summed NLL computed the plain way: full logits, shift, cross-entropy."""
    import torch
    import torch.nn.functional as F

    enc = encode_for_training(tokenizer, example.messages)
    ids = torch.tensor([enc.input_ids])
    with torch.no_grad():
        logits = model(input_ids=ids).logits[0, :-1]
    nll = F.cross_entropy(logits, ids[0, 1:], reduction="none")
    out: dict[str, TurnLoss] = {}
    turn, start = 0, 0
    for end in enc.turn_ends:
        positions = [j for j in range(max(start, 1), end) if enc.labels[j] != IGNORE_INDEX]
        if end <= model.config.max_position_embeddings:
            out[f"{example.id}#{turn}"] = TurnLoss(float(sum(nll[j - 1] for j in positions)), len(positions))
        turn, start = turn + 1, end
    return out


def test_each_turn_s_loss_is_what_the_model_gives_its_tokens(weights) -> None:
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    base_weights = dataclasses.replace(weights, adapter=None)
    scores = score_systems([("tiny", weights), ("base", base_weights)], EXAMPLES, "cpu")
    tokenizer = AutoTokenizer.from_pretrained(weights.tokenizer_dir)
    base = AutoModelForCausalLM.from_pretrained(weights.base).eval()
    for name, model in (("base", base), ("tiny", PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(weights.base), weights.adapter).eval())):
        expected: dict[str, TurnLoss] = {}
        for example in EXAMPLES:
            expected |= reference_losses(model, tokenizer, example)
        assert sorted(scores[name]) == ["a#0", "a#1", "b#0", "c#0"]
        for key, loss in expected.items():
            assert scores[name][key].tokens == loss.tokens, (name, key)
            assert scores[name][key].nll == pytest.approx(loss.nll, rel=1e-4), (name, key)
    assert scores["tiny"]["a#0"].tokens == len(b"omg hii\nwhats up") + 1  # one token per byte, then <|im_end|>
    assert perplexity(list(scores["tiny"].values())) != pytest.approx(perplexity(list(scores["base"].values())))


def test_perplexity_is_the_exponential_of_the_mean_token_loss() -> None:
    assert perplexity([TurnLoss(2.0, 1), TurnLoss(4.0, 3)]) == pytest.approx(math.exp(6 / 4))
    assert perplexity([]) is None
