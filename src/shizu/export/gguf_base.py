"""A Hugging Face ``llama`` / ``qwen2`` model folder as a GGUF model llama.cpp loads.

Used when the base a run was trained on is not a GGUF file already (a Hub model, a local
folder; the embedded SmolLM2 base is used as its original GGUF instead, on whose de-quantized
copy the adapter was trained), and to write a model with a run's adapter merged in
(``lora=``: each adapted weight gets PEFT's update ``alpha / r * B A`` added before it is stored).
Hyperparameters come from config.json, tensor names from the ``gguf`` library's name map, the
tokenizer from :mod:`shizu.export.vocab`. Matrices are written in float32 (bit-exact), float16
or Q8_0 (8-bit blocks of 32 with a scale, quantized by ``gguf.quants``; on a CPU llama.cpp runs
it faster than float16 and about as fast as Q4_1); norms and biases always in float32.
Rotary scaling variants (Llama 3.1's ``llama3``, YaRN...) are refused rather than written wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from shizu.errors import ExportError
from shizu.export.arch import Arch
from shizu.export.gguf_file import gguf_writer
from shizu.export.gguf_lora import LoraWeights
from shizu.export.hf_weights import tensors
from shizu.export.vocab import add_tokenizer

Precision = Literal["f32", "f16", "q8_0"]
CONVERTER_HINT = "Use a GGUF base ([train] base = \"model.gguf\") or convert the base with llama.cpp's own converter."


@dataclass(frozen=True)
class BaseExport:
    """What was written: the file, its number of tensors, the precision of its matrices."""

    path: Path
    tensors: int
    precision: Precision


FILE_TYPES = {"f32": "ALL_F32", "f16": "MOSTLY_F16", "q8_0": "MOSTLY_Q8_0"}


def write_base(
    model_dir: Path, arch: Arch, out: Path, precision: Precision = "q8_0", name: str = "", lora: LoraWeights | None = None
) -> BaseExport:
    """Write the model in ``model_dir`` (with ``lora`` merged in, if given) as the GGUF file ``out``."""
    import gguf

    config = arch.config
    rope = config.get("rope_parameters") or config.get("rope_scaling") or {}
    if rope.get("rope_type", rope.get("type", "default")) not in ("default", None):
        raise ExportError(f"{model_dir / 'config.json'}: rotary scaling {rope.get('rope_type')!r} is not supported by Shizu's GGUF writer", hint=CONVERTER_HINT)
    vocab_size = int(config["vocab_size"])
    names = arch.tensor_names()
    count = 0
    with gguf_writer(out, arch.name) as writer:
        writer.add_type(gguf.GGUFType.MODEL)
        writer.add_name(name or model_dir.name)
        writer.add_file_type(gguf.LlamaFileType[FILE_TYPES[precision]])
        writer.add_context_length(int(config["max_position_embeddings"]))
        writer.add_embedding_length(int(config["hidden_size"]))
        writer.add_block_count(arch.layers)
        writer.add_feed_forward_length(int(config["intermediate_size"]))
        writer.add_head_count(arch.heads)
        writer.add_head_count_kv(arch.kv_heads)
        writer.add_key_length(arch.head_dim)
        writer.add_value_length(arch.head_dim)
        writer.add_rope_dimension_count(arch.head_dim)
        writer.add_rope_freq_base(float(rope.get("rope_theta", config.get("rope_theta", 10000.0))))
        writer.add_layer_norm_rms_eps(float(config["rms_norm_eps"]))
        writer.add_vocab_size(vocab_size)
        add_tokenizer(writer, model_dir, vocab_size)
        for key, tensor in tensors(model_dir):
            if key == "lm_head.weight" and config.get("tie_word_embeddings"):
                continue
            target = names.get_name(key, try_suffixes=(".weight", ".bias"))
            if target is None:
                raise ExportError(f"{model_dir}: tensor {key!r} has no llama.cpp name", hint=CONVERTER_HINT)
            module = key.rsplit(".", 1)[0]
            if lora is not None and key.endswith(".weight") and module in lora.pairs:
                tensor = tensor + lora.update(module)
            _add(writer, target, arch.gguf_rows(module, tensor), precision)
            count += 1
    return BaseExport(path=out, tensors=count, precision=precision)


def _add(writer: Any, name: str, array: Any, precision: Precision) -> None:
    """Add one tensor: vectors in float32, matrices in ``precision`` (Q8_0 needs rows of 32s, else float16)."""
    import gguf
    import numpy as np

    if precision == "f32" or array.ndim == 1:
        writer.add_tensor(name, array.astype(np.float32))
    elif precision == "q8_0" and array.shape[-1] % 32 == 0:
        q8 = gguf.GGMLQuantizationType.Q8_0
        writer.add_tensor(name, gguf.quants.quantize(array.astype(np.float32), q8), raw_dtype=q8)
    else:
        writer.add_tensor(name, array.astype(np.float16))
