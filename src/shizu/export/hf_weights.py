"""The weights of a Hugging Face model folder, read from its safetensors files."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from shizu.errors import ExportError


def weight_files(model_dir: Path) -> list[Path]:
    """The folder's safetensors files (one, or the shards its index names)."""
    index = model_dir / "model.safetensors.index.json"
    names = sorted(set(json.loads(index.read_text(encoding="utf-8"))["weight_map"].values())) if index.is_file() else ["model.safetensors"]
    files = [model_dir / name for name in names]
    for path in files:
        if not path.is_file():
            raise ExportError(f"{path} is missing", hint="The base model folder is incomplete; download or convert it again.")
    return files


def shapes(model_dir: Path) -> dict[str, tuple[int, ...]]:
    """Each weight's name and shape, from the files' headers (no weights are read)."""
    from safetensors import safe_open

    out = {}
    for path in weight_files(model_dir):
        with safe_open(path, framework="pt") as weights:
            for key in weights.keys():
                out[key] = tuple(weights.get_slice(key).get_shape())
    return out


def tensors(model_dir: Path) -> Iterator[tuple[str, Any]]:
    """``(name, float32 numpy array)`` for every weight, one at a time."""
    import torch
    from safetensors import safe_open

    for path in weight_files(model_dir):
        with safe_open(path, framework="pt") as weights:
            for key in weights.keys():
                yield key, weights.get_tensor(key).to(torch.float32).numpy()
