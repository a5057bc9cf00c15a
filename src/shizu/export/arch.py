"""What llama.cpp needs to know about a Hugging Face architecture that Shizu exports.

Two architectures are supported: ``llama`` (SmolLM2, Llama 2/3, TinyLlama) and ``qwen2``
(Qwen2 / Qwen2.5). Tensor names come from the ``gguf`` library's own name maps
(``gguf.get_tensor_name_map``), so a Hugging Face name such as ``model.layers.3.self_attn.q_proj``
becomes ``blk.3.attn_q`` exactly as llama.cpp expects.

One layout difference matters: llama.cpp applies rotary embeddings to *interleaved* pairs of a
``llama`` head's query/key dimensions, while Hugging Face's Llama rotates the two *halves*. GGUF
files therefore store the rows of ``q_proj`` / ``k_proj`` permuted, head by head
(:func:`rope_permute`); transformers undoes this when it reads a GGUF. Anything written for a
``llama`` base (its weights, or a LoRA ``B`` matrix, whose rows are output rows) must be permuted
the same way. Qwen2 uses the halves layout in llama.cpp too (NEOX rope): no permutation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shizu.errors import ExportError

SUPPORTED = ("llama", "qwen2")


@dataclass(frozen=True)
class Arch:
    """A base model's architecture and the shape facts the GGUF files need."""

    name: str  # the GGUF (and Hugging Face ``model_type``) architecture name
    config: dict[str, Any]  # the model's config.json

    @property
    def layers(self) -> int:
        return int(self.config["num_hidden_layers"])

    @property
    def heads(self) -> int:
        return int(self.config["num_attention_heads"])

    @property
    def kv_heads(self) -> int:
        return int(self.config.get("num_key_value_heads") or self.heads)

    @property
    def head_dim(self) -> int:
        return int(self.config.get("head_dim") or self.config["hidden_size"] // self.heads)

    @property
    def permutes_qk(self) -> bool:
        return self.name == "llama"

    def tensor_names(self) -> Any:
        """The ``gguf`` library's Hugging Face → GGUF tensor-name map for this architecture."""
        import gguf

        arch = next(a for a, n in gguf.MODEL_ARCH_NAMES.items() if n == self.name)
        return gguf.get_tensor_name_map(arch, self.layers)

    def gguf_rows(self, module: str, rows: Any) -> Any:
        """``rows`` (output rows of Hugging Face module ``module``) in the GGUF file's order."""
        if not self.permutes_qk:
            return rows
        if module.endswith("q_proj"):
            return rope_permute(rows, self.heads)
        if module.endswith("k_proj"):
            return rope_permute(rows, self.kv_heads)
        return rows


def rope_permute(rows: Any, heads: int) -> Any:
    """Reorder each head's rows from halves ``[x0..x(d/2-1), y0..]`` to pairs ``[x0, y0, x1, y1, ...]``.

    ``rows`` is a numpy array whose first axis is ``heads * head_dim`` output rows (a weight
    matrix, a bias, or a LoRA ``B`` matrix).
    """
    head_dim = rows.shape[0] // heads
    return rows.reshape(heads, 2, head_dim // 2, *rows.shape[1:]).swapaxes(1, 2).reshape(rows.shape)


def read_arch(model_dir: Path) -> Arch:
    """The architecture of the Hugging Face model folder ``model_dir`` (its config.json)."""
    path = model_dir / "config.json"
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ExportError(f"Cannot read {path}: {exc}", hint="Point the export at the base model folder the run was trained on.") from None
    name = config.get("model_type", "")
    if name not in SUPPORTED:
        raise ExportError(
            f"{path}: model_type {name!r} cannot be exported to llama.cpp by Shizu (supported: {', '.join(SUPPORTED)})",
            hint="Use `shizu export --merged` and llama.cpp's own converter, or train on a llama or qwen2 base.",
        )
    return Arch(name=name, config=config)
