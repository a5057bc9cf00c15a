"""A run's PEFT LoRA adapter as a llama.cpp LoRA adapter (a GGUF file of type ``adapter``).

llama.cpp applies a LoRA pair to a base tensor ``W`` (Hugging Face layout: ``out x in``) as
``W x + scale * B (A x)``, with ``A`` stored as ``<tensor>.lora_a`` (``r x in``), ``B`` as
``<tensor>.lora_b`` (``out x r``) and ``scale = adapter.lora.alpha / r``, ``r`` read from each
pair's shape. PEFT computes ``W x + s * B (A x)`` with its own per-module ``s`` (``alpha / r``, or
``alpha / sqrt(r)`` with rsLoRA, and per-module ranks and alphas). So the file records the
adapter's ``lora_alpha`` and, for any module whose PEFT scale differs from ``alpha / r``, folds
the ratio into ``B``: llama.cpp then computes exactly PEFT's update.

The rows of ``B`` for ``q_proj`` / ``k_proj`` of a ``llama`` base are permuted like the base's
own GGUF tensors (:mod:`shizu.export.arch`). Tensors are written in float32: adapters are small
and this keeps the update exact. Every pair is checked against the shapes of the base model the
adapter is exported for (the Hugging Face folder the base GGUF comes from or was written from),
so a wrong base fails here with a clear message rather than in llama.cpp.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shizu.errors import ExportError
from shizu.export.arch import Arch
from shizu.export.gguf_file import gguf_writer

ADAPTER_CONFIG = "adapter_config.json"
ADAPTER_WEIGHTS = "adapter_model.safetensors"
LORA_KEY = re.compile(r"^base_model\.model\.(?P<module>.+)\.lora_(?P<part>[AB])\.weight$")
RETRAIN = "Train the run again with the default [train] settings (plain LoRA on linear layers), or use `shizu export --merged`."


@dataclass(frozen=True)
class LoraWeights:
    """A checked PEFT adapter: ``module -> (A, B)``, PEFT's scale folded into ``B`` so that each
    module's update is ``alpha / r * B @ A`` (llama.cpp's rule), in Hugging Face row order."""

    alpha: float
    pairs: dict[str, tuple[Any, Any]]

    def update(self, module: str) -> Any:
        """The dense update PEFT adds to ``module``'s weight (for merging)."""
        a, b = self.pairs[module]
        return (self.alpha / a.shape[0]) * (b @ a)

    @property
    def ranks(self) -> tuple[int, ...]:
        return tuple(sorted({a.shape[0] for a, _ in self.pairs.values()}))


@dataclass(frozen=True)
class LoraExport:
    """What was written: the file, the number of adapted matrices, the ranks found and the alpha."""

    path: Path
    tensors: int
    ranks: tuple[int, ...]
    alpha: float


def read_lora(adapter_dir: Path, arch: Arch, base_shapes: dict[str, tuple[int, ...]]) -> LoraWeights:
    """The PEFT adapter in ``adapter_dir``, checked against the base's weight shapes (Hugging Face names)."""
    config = _adapter_config(adapter_dir)
    alpha = float(config["lora_alpha"])
    names = arch.tensor_names()
    pairs = {}
    for module, (a, b) in sorted(_pairs(adapter_dir).items()):
        target = names.get_name(module)
        if target is None or target == "token_embd":
            raise ExportError(f"{adapter_dir / ADAPTER_WEIGHTS}: LoRA on {module!r} has no llama.cpp equivalent", hint=RETRAIN)
        _check_shape(module, base_shapes, a, b)
        factor = _peft_scale(config, module, a.shape[0]) / (alpha / a.shape[0])
        pairs[module] = (a, b if math.isclose(factor, 1.0, rel_tol=1e-6) else b * factor)
    return LoraWeights(alpha=alpha, pairs=pairs)


def write_lora(lora: LoraWeights, arch: Arch, out: Path, name: str = "") -> LoraExport:
    """Write ``lora`` as a llama.cpp LoRA adapter file for a base of architecture ``arch``."""
    import gguf

    names = arch.tensor_names()
    with gguf_writer(out, arch.name) as writer:
        writer.add_type(gguf.GGUFType.ADAPTER)
        writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
        writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, lora.alpha)
        if name:
            writer.add_name(name)
        for module, (a, b) in lora.pairs.items():
            target = names.get_name(module)
            writer.add_tensor(f"{target}.weight.lora_a", a)
            writer.add_tensor(f"{target}.weight.lora_b", arch.gguf_rows(module, b))
    return LoraExport(path=out, tensors=len(lora.pairs), ranks=lora.ranks, alpha=lora.alpha)


def _adapter_config(adapter_dir: Path) -> dict[str, Any]:
    """adapter_config.json, refused when it describes something llama.cpp LoRA cannot hold."""
    path = adapter_dir / ADAPTER_CONFIG
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ExportError(f"Cannot read {path}: {exc}", hint="Train the run again with `shizu train`.") from None
    problems = [
        (config.get("peft_type") != "LORA", f"peft_type is {config.get('peft_type')!r}, not LORA"),
        (bool(config.get("use_dora")), "it uses DoRA"),
        (bool(config.get("lora_bias")), "it trains LoRA biases"),
        (bool(config.get("modules_to_save")), f"it saves whole modules ({', '.join(config['modules_to_save'] or [])})"),
        (bool(config.get("trainable_token_indices")), "it trains token embeddings"),
    ]
    for bad, why in problems:
        if bad:
            raise ExportError(f"{path}: the adapter cannot be written as a llama.cpp LoRA: {why}", hint=RETRAIN)
    return config


def _pairs(adapter_dir: Path) -> dict[str, tuple[Any, Any]]:
    """``module -> (A, B)`` as float32 numpy arrays from adapter_model.safetensors."""
    import torch
    from safetensors import safe_open

    path = adapter_dir / ADAPTER_WEIGHTS
    if not path.is_file():
        raise ExportError(f"{path} is missing", hint="Train the run again with `shizu train`.")
    found: dict[str, dict[str, Any]] = {}
    with safe_open(path, framework="pt") as weights:
        for key in weights.keys():
            match = LORA_KEY.match(key)
            if match is None:
                raise ExportError(f"{path}: tensor {key!r} is not a LoRA A/B matrix of a linear layer", hint=RETRAIN)
            found.setdefault(match["module"], {})[match["part"]] = weights.get_tensor(key).to(torch.float32).numpy()
    pairs = {}
    for module, parts in found.items():
        if set(parts) != {"A", "B"}:
            raise ExportError(f"{path}: {module!r} has only its LoRA {''.join(parts)} matrix", hint="The adapter file is damaged; train the run again.")
        pairs[module] = (parts["A"], parts["B"])
    if not pairs:
        raise ExportError(f"{path} holds no LoRA weights", hint="Train the run again with `shizu train`.")
    return pairs


def _check_shape(module: str, base_shapes: dict[str, tuple[int, ...]], a: Any, b: Any) -> None:
    shape = base_shapes.get(f"{module}.weight")
    if shape is None:
        raise ExportError(
            f"The adapter changes {module}, which the base model does not have (as a weight of its own)",
            hint="Export the run against the base model it was trained on.",
        )
    if a.shape[0] != b.shape[1] or shape != (b.shape[0], a.shape[1]):
        raise ExportError(
            f"The adapter's update of {module} is {b.shape[0]}x{a.shape[1]} (rank {a.shape[0]}), the base weight is {shape[0]}x{shape[1]}",
            hint="Export the run against the base model it was trained on.",
        )


def _peft_scale(config: dict[str, Any], module: str, rank: int) -> float:
    """The scale PEFT applies to ``module``'s update (per-module alpha, rsLoRA)."""
    from peft.utils.other import get_pattern_key

    alphas = config.get("alpha_pattern") or {}
    alpha = float(alphas.get(get_pattern_key(list(alphas), module), config["lora_alpha"]))
    return alpha / math.sqrt(rank) if config.get("use_rslora") else alpha / rank
