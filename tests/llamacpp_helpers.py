"""Helpers for the export and llama.cpp tests: tiny llama / qwen2 bases and runs with random LoRAs.

The bases are 2-layer models with random weights and the real SmolLM2 tokenizer (a byte-level
BPE with merges, which llama.cpp needs; :mod:`tiny_model` provides it), so a base GGUF written by
Shizu's own writer loads in llama.cpp in well under a second. The LoRA weights are random and
non-zero (``init_lora_weights=False``) so that the adapter changes every output.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from shizu.workspace import Workspace
from tiny_model import save_tiny_model, smollm2_tokenizer


def save_tiny_qwen2(folder: Path) -> Path:
    """A random 2-layer Qwen2 (attention biases non-zero) with the SmolLM2 tokenizer."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    tokenizer = smollm2_tokenizer()
    config = Qwen2Config(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=1024, tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(0)
    model = Qwen2ForCausalLM(config)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if name.endswith("bias"):
                param.normal_(0, 0.02)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def save_base(folder: Path, arch: str = "llama") -> Path:
    return save_tiny_model(folder) if arch == "llama" else save_tiny_qwen2(folder)


def save_lora_run(ws: Workspace, base: Path, name: str = "tiny", **lora: Any) -> Path:
    """``runs/<name>/`` as ``shizu train`` writes it, with a random LoRA on every linear layer."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    run = ws.runs_dir / name
    torch.manual_seed(1)
    settings = {"r": 4, "lora_alpha": 8, "target_modules": "all-linear", **lora}
    model = get_peft_model(
        AutoModelForCausalLM.from_pretrained(base), LoraConfig(init_lora_weights=False, task_type="CAUSAL_LM", **settings)
    )
    model.save_pretrained(run)
    smollm2_tokenizer().save_pretrained(run)
    meta = {
        "name": name,
        "base": {"name": "tiny", "path": str(base), "source": str(base), "sha256": "0" * 64},
        "config": {"base": str(base)},
    }
    (run / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    return run
