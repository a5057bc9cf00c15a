"""The base model with the run's adapter merged in, as a plain Hugging Face safetensors folder.

For tools that take a full model rather than base + LoRA (vLLM without ``--enable-lora``,
llama.cpp's own converter, ctranslate2...). PEFT's ``merge_and_unload`` adds ``B A * scale`` into
each adapted weight; the folder is written next to its final place and renamed into it, with the
run's tokenizer (chat template and pad token as trained).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from shizu.errors import ExportError


def write_merged(base: Path, adapter: Path, tokenizer_dir: Path, out: Path) -> Path:
    """Merge ``adapter`` into ``base`` and save the result (weights in the base's dtype) to ``out``."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        try:
            model = AutoModelForCausalLM.from_pretrained(base, dtype="auto")
        except (OSError, ValueError) as exc:
            raise ExportError(f"Cannot load the base model from {base}: {exc}", hint="Restore the base model folder the run was trained on.") from None
        merged = PeftModel.from_pretrained(model, adapter).merge_and_unload()
        merged.save_pretrained(tmp)
        AutoTokenizer.from_pretrained(tokenizer_dir).save_pretrained(tmp)
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out
