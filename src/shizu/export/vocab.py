"""A Hugging Face byte-level BPE tokenizer as GGUF tokenizer metadata (``tokenizer.ggml.*``).

The token list and types come from ``tokenizer.json``; merges, special token ids, the
add-BOS flag and the chat template come from the ``gguf`` library's ``SpecialVocab``.
llama.cpp also needs the name of the pre-tokenizer (the regex that splits text before BPE),
which Hugging Face stores as a structure: :data:`PRE_TOKENIZERS` recognises the ones of the
supported model families. Shizu's own llama.cpp backend feeds token ids from the run's tokenizer
and never uses llama.cpp's tokenizer, so this matters only to other llama.cpp programs (Ollama).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from shizu.errors import ExportError

_QWEN2 = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
_LLAMA3 = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"

# The pre-tokenizer steps of tokenizer.json (see _steps) -> llama.cpp's name for them.
PRE_TOKENIZERS: dict[tuple[str, ...], str] = {
    ("byte-level+regex",): "gpt-2",  # GPT-2's regex (SmolLM2 as transformers rebuilds it from its GGUF)
    ("digits", "byte-level+regex"): "smollm",  # SmolLM / SmolLM2 from the Hub
    (f"split:{_QWEN2}", "byte-level"): "qwen2",  # Qwen2, Qwen2.5
    (f"split:{_LLAMA3}", "byte-level"): "llama-bpe",  # Llama 3.x
}


def add_tokenizer(writer: Any, model_dir: Path, vocab_size: int) -> None:
    """Write the tokenizer of ``model_dir`` into ``writer``; ``vocab_size`` is the model's embedding rows."""
    import gguf

    path = model_dir / "tokenizer.json"
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ExportError(f"Cannot read {path}: {exc}", hint="The base model folder needs the fast tokenizer's tokenizer.json.") from None
    model = spec.get("model") or {}
    if model.get("type") != "BPE" or model.get("byte_fallback") or (spec.get("decoder") or {}).get("type") != "ByteLevel":
        raise ExportError(
            f"{path}: only byte-level BPE tokenizers (GPT-2 style: SmolLM2, Qwen2, Llama 3) can be written to GGUF by Shizu",
            hint="Use a base model that is a GGUF already ([train] base = \"model.gguf\"), or llama.cpp's own converter.",
        )
    tokens: list[str] = [f"[PAD{i}]" for i in range(vocab_size)]
    types = [gguf.TokenType.UNUSED] * vocab_size
    for text, index in model["vocab"].items():
        tokens[_in_range(index, vocab_size, path)] = text
        types[index] = gguf.TokenType.NORMAL
    for added in spec.get("added_tokens") or []:
        index = _in_range(added["id"], vocab_size, path)
        tokens[index] = added["content"]
        types[index] = gguf.TokenType.CONTROL if added.get("special") else gguf.TokenType.USER_DEFINED
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre(_pre_tokenizer(spec, path))
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    gguf.SpecialVocab(model_dir, load_merges=True, n_vocab=vocab_size).add_to_gguf(writer, quiet=True)


def _in_range(index: int, vocab_size: int, path: Path) -> int:
    if not 0 <= index < vocab_size:
        raise ExportError(f"{path}: token id {index} is outside the model's {vocab_size} embeddings", hint="The tokenizer does not belong to this model.")
    return index


def _pre_tokenizer(spec: dict[str, Any], path: Path) -> str:
    pre = spec.get("pre_tokenizer") or {}
    steps = tuple(_step(s) for s in ((pre.get("pretokenizers") or []) if pre.get("type") == "Sequence" else [pre]))
    if steps not in PRE_TOKENIZERS:
        raise ExportError(
            f"{path}: llama.cpp has no known name for this tokenizer's pre-tokenizer ({' + '.join(steps) or 'none'})",
            hint="Use a base model that is a GGUF already ([train] base = \"model.gguf\"), or llama.cpp's own converter.",
        )
    return PRE_TOKENIZERS[steps]


def _step(step: dict[str, Any]) -> str:
    kind = str(step.get("type"))
    if kind == "ByteLevel":
        return "byte-level+regex" if step.get("use_regex", True) else "byte-level"
    if kind == "Digits":
        return "digits" if step.get("individual_digits") else "digit-runs"
    if kind == "Split":
        return "split:" + str((step.get("pattern") or {}).get("Regex", ""))
    return kind
