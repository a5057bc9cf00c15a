"""Exports of ``train.jsonl`` / ``val.jsonl`` for other training stacks.

* ``openai``: OpenAI chat fine-tuning JSONL, ``{"messages": [{"role", "content"}, ...]}``.
* ``sharegpt``: ``{"conversations": [{"from": "system"|"human"|"gpt", "value"}, ...]}`` as read by
  LLaMA-Factory, axolotl and Unsloth, plus LLaMA-Factory's ``dataset_info.json``. ShareGPT readers
  expect ``human`` first, so when the persona opens a window an empty ``human`` turn is put before it.

Both are derived line by line from our JSONL (the source of truth), into ``openai/`` and ``sharegpt/``.
"""

from __future__ import annotations

from pathlib import Path

import msgspec

from shizu.dataset.jsonl import encode_line

SPLITS = ("train", "val")
_SHAREGPT_ROLES = {"system": "system", "user": "human", "assistant": "gpt"}


class _Record(msgspec.Struct):
    messages: list[dict[str, str]]


def write_exports(dataset_dir: Path, fmt: str) -> list[Path]:
    """Write the ``fmt`` export of every split next to it; the files written."""
    out_dir = dataset_dir / fmt
    out_dir.mkdir(exist_ok=True)
    decode = msgspec.json.Decoder(_Record).decode
    convert = _openai if fmt == "openai" else _sharegpt
    written = []
    for split in SPLITS:
        target = out_dir / f"{split}.jsonl"
        with open(dataset_dir / f"{split}.jsonl", "rb") as src, open(target, "wb") as dst:
            for line in src:
                dst.write(encode_line(convert(decode(line).messages)))
        written.append(target)
    if fmt == "sharegpt":
        info = out_dir / "dataset_info.json"
        info.write_bytes(msgspec.json.format(msgspec.json.encode(_llama_factory_info())) + b"\n")
        written.append(info)
    return written


def _openai(messages: list[dict[str, str]]) -> dict:
    return {"messages": messages}


def _sharegpt(messages: list[dict[str, str]]) -> dict:
    turns = [{"from": _SHAREGPT_ROLES[m["role"]], "value": m["content"]} for m in messages]
    first = 1 if turns and turns[0]["from"] == "system" else 0
    if len(turns) > first and turns[first]["from"] == "gpt":
        turns.insert(first, {"from": "human", "value": ""})
    return {"conversations": turns}


def _llama_factory_info() -> dict:
    """LLaMA-Factory's dataset registration for the two files (``dataset_dir`` = this folder)."""
    tags = {"role_tag": "from", "content_tag": "value", "user_tag": "human", "assistant_tag": "gpt",
            "system_tag": "system"}
    return {
        f"shizu_{split}": {"file_name": f"{split}.jsonl", "formatting": "sharegpt",
                           "columns": {"messages": "conversations"}, "tags": tags}
        for split in SPLITS
    }
