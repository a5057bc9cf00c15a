"""``shizu export --merged``: the base with the adapter merged in answers like base + adapter."""

from __future__ import annotations

from pathlib import Path

import pytest

from llamacpp_helpers import save_base, save_lora_run
from shizu.errors import ExportError
from shizu.export.pipeline import export_merged
from shizu.persona.run import run_weights
from shizu.workspace import Workspace


def test_merged_model_gives_the_adapters_logits(tmp_path: Path) -> None:
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    ws = Workspace.create(tmp_path / "ws", name="Mika", me=["1"])
    base = save_base(tmp_path / "base")
    weights = run_weights(save_lora_run(ws, base))
    out = export_merged(weights, tmp_path / "merged")
    assert sorted(p.name for p in out.iterdir() if p.suffix in (".json", ".safetensors", ".jinja")) == [
        "chat_template.jinja", "config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
    ]
    ids = torch.tensor([[1, 520, 2873, 28, 198, 2]])
    with torch.inference_mode():
        merged = AutoModelForCausalLM.from_pretrained(out).eval()(ids).logits
        adapted = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base), weights.adapter).eval()(ids).logits
        plain = AutoModelForCausalLM.from_pretrained(base).eval()(ids).logits
    assert torch.allclose(merged, adapted, atol=1e-5)
    assert not torch.allclose(merged, plain, atol=1e-2)  # the adapter is really in there
    tokenizer = AutoTokenizer.from_pretrained(out)
    assert tokenizer.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False).startswith("<|im_start|>")


def test_merging_needs_a_run(tmp_path: Path) -> None:
    from shizu.runs import Weights

    weights = Weights(base=tmp_path, base_name="b", adapter=None, tokenizer_dir=tmp_path, run=None)
    with pytest.raises(ExportError, match=r"There is no adapter to merge \(the base model alone was chosen\)"):
        export_merged(weights, tmp_path / "merged")
