"""Helpers for the training tests: the real SmolLM2 tokenizer, a tiny random Llama, small datasets.

The tokenizer comes from the cached conversion of the embedded GGUF (converted once, ~25 s, on
the first use on a machine); the model is a 2-layer Llama with random weights built from a
config, so runs take seconds and need no model hub.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

from shizu.train.base_model import resolve_base
from shizu.workspace import Workspace

PERSONA_TURNS = [
    "omg yes\nim SO hyped [gif: cat vibing]",
    "ok brb",
    "lmao no way 😭",
    "wait what happened",
    "see u tmrw",
]


@lru_cache(maxsize=1)
def smollm2_dir() -> Path:
    """The converted SmolLM2-135M-Instruct folder (tokenizer + weights) in the Shizu cache."""
    return resolve_base(None).path


def smollm2_tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(smollm2_dir())


def save_tiny_model(folder: Path) -> Path:
    """A randomly initialised 2-layer Llama with the SmolLM2 tokenizer, saved as an HF folder."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = smollm2_tokenizer()
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024, tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def conversation(i: int, turns: int = 2) -> list[dict[str, str]]:
    """A multi-party window: system prompt, then user (several speakers) and persona turns."""
    messages = [{"role": "system", "content": f"You are Mika, chatting in #general with Alice and Bob. Window {i}."}]
    for t in range(turns):
        messages.append({"role": "user", "content": f"Alice: message {i}.{t}\nBob: reply {t}"})
        messages.append({"role": "assistant", "content": PERSONA_TURNS[(i + t) % len(PERSONA_TURNS)]})
    return messages


def row(i: int, split: str, turns: int = 2) -> dict:
    """One dataset line in the format of docs/dataset-format.md."""
    messages = conversation(i, turns)
    return {
        "id": f"100:{i}:0", "conversation": f"100:{i}", "split": split, "channel_id": "100",
        "timestamp": f"2024-03-02T21:{i % 60:02d}:05Z", "messages": messages,
        "message_ids": [[] if m["role"] == "system" else [f"{i}{k}"] for k, m in enumerate(messages)],
    }


def make_workspace(root: Path, *, train: int = 16, val: int = 4, **train_settings: object) -> Workspace:
    """A workspace with a small dataset/ and the given ``[train]`` values."""
    ws = Workspace.create(root, name="Mika", me=["1"])
    text = ws.config_path.read_text(encoding="utf-8")
    head, section = text.split("[train]", 1)
    for key, value in train_settings.items():
        section, count = re.subn(rf"(?m)^{key} = .*$", f"{key} = {json.dumps(value)}", section)
        assert count == 1, key
    ws.config_path.write_text(head + "[train]" + section, encoding="utf-8")
    ws.dataset_dir.mkdir()
    for split, count in (("train", train), ("val", val)):
        lines = [json.dumps(row(i, split, turns=1 + i % 3), ensure_ascii=False) for i in range(count)]
        (ws.dataset_dir / f"{split}.jsonl").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return Workspace(root)
