"""Padding-free packing gives the same loss and gradients as padded batches of the same examples."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from shizu.chat.template import encode_for_training
from shizu.train.supervised import PackedCollator, SupervisedCollator, supervised_loss
from tiny_model import save_tiny_model


@pytest.fixture(scope="module")
def model_and_tokenizer(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = save_tiny_model(tmp_path_factory.mktemp("model") / "tiny")
    tokenizer = AutoTokenizer.from_pretrained(folder)
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(folder, attn_implementation="sdpa")
    model.config.use_cache = False
    model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules="all-linear", init_lora_weights=False))
    return model, tokenizer


def examples(tokenizer) -> list[dict[str, list[int]]]:  # type: ignore[no-untyped-def]
    chats = [
        [{"role": "system", "content": "You are Mika."}, {"role": "user", "content": "Alice: hi"}, {"role": "assistant", "content": "yo"}],
        [{"role": "system", "content": "You are Mika, in a DM."}, {"role": "user", "content": "Bob: did you see the trailer"},
         {"role": "assistant", "content": "omg yes\nim SO hyped"}, {"role": "user", "content": "Bob: same"},
         {"role": "assistant", "content": "ok brb"}],
        [{"role": "system", "content": "You are Mika."}, {"role": "assistant", "content": "anyone up?"}],
    ]
    out = []
    for messages in chats:
        encoded = encode_for_training(tokenizer, messages)
        out.append({"input_ids": list(encoded.input_ids), "labels": list(encoded.labels)})
    return out


def loss_and_grads(model, batch: dict[str, torch.Tensor]) -> tuple[float, dict[str, torch.Tensor]]:  # type: ignore[no-untyped-def]
    model.zero_grad(set_to_none=True)
    labels = batch.pop("labels")
    supervised = int((labels[:, 1:] != -100).sum())
    loss = supervised_loss(model(**batch), labels, supervised)
    loss.backward()
    grads = {n: p.grad.detach().clone() for n, p in model.named_parameters() if p.grad is not None}
    return float(loss), grads


def test_a_packed_row_gives_the_padded_batchs_loss_and_gradients(model_and_tokenizer) -> None:  # type: ignore[no-untyped-def]
    model, tokenizer = model_and_tokenizer
    features = examples(tokenizer)
    padded = SupervisedCollator(tokenizer)(features)
    packed = PackedCollator()(features)
    assert packed["input_ids"].shape == (1, sum(len(f["input_ids"]) for f in features))  # one row, no padding
    assert "attention_mask" not in packed
    assert packed["position_ids"][0, : len(features[0]["input_ids"]) + 1].tolist()[-1] == 0  # restarts per example
    loss_padded, grads_padded = loss_and_grads(model, dict(padded))
    loss_packed, grads_packed = loss_and_grads(model, dict(packed))
    assert loss_packed == pytest.approx(loss_padded, abs=1e-4)
    assert grads_packed.keys() == grads_padded.keys() and len(grads_packed) > 0
    for name, grad in grads_padded.items():
        assert torch.allclose(grads_packed[name], grad, atol=1e-4), name


def test_packing_without_the_position_ids_would_leak_across_examples(model_and_tokenizer) -> None:  # type: ignore[no-untyped-def]
    """The check above can fail: one row without restarting positions attends across examples."""
    model, tokenizer = model_and_tokenizer
    features = examples(tokenizer)
    padded = SupervisedCollator(tokenizer)(features)
    packed = PackedCollator()(features)
    del packed["position_ids"]
    loss_padded, _ = loss_and_grads(model, dict(padded))
    loss_leaky, _ = loss_and_grads(model, dict(packed))
    assert abs(loss_leaky - loss_padded) > 1e-3


def test_a_packed_run_trains_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from shizu.progress import Quiet
    from shizu.train.recipe import TrainOptions, train
    from tiny_model import make_workspace

    monkeypatch.setenv("SHIZU_CACHE", str(tmp_path / "cache"))
    tiny = save_tiny_model(tmp_path / "tiny")
    ws = make_workspace(tmp_path / "ws", eval_every=1, packing="on")
    result = train(ws, TrainOptions(base=str(tiny), steps=2, name="packed"), Quiet())
    meta = json.loads((result.path / "meta.json").read_text(encoding="utf-8"))
    assert result.finished and meta["packing"] is True
    assert all(torch.isfinite(torch.tensor(p["loss"])) for p in meta["loss_curve"] + meta["val_loss_curve"])
