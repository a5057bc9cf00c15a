"""``shizu export``: a run as llama.cpp files (base GGUF + LoRA GGUF + Ollama Modelfile) or merged.

Where things go:

* ``runs/<name>/gguf/``: ``adapter.gguf`` (the LoRA), ``Modelfile`` (Ollama) and ``export.json``
  (what was exported from what), unless ``--out`` says otherwise;
* the base GGUF: the file the base came from when it was a GGUF (the embedded SmolLM2's
  ``SmolLM2-135M-Instruct.Q4_1.gguf``: the adapter was trained on its exact de-quantized
  weights); otherwise a GGUF written once from the base folder into the Shizu cache
  (``<cache>/gguf/``), shared by every run on that base;
* ``runs/<name>/merged/``: the merged safetensors model (``--merged``);
* ``runs/<name>/gguf/merged-<precision>.gguf``: one GGUF with the adapter merged in, for the
  llama.cpp backend's ``merge_adapter`` mode (applying a LoRA at run time costs llama.cpp 10-25%
  of its speed on a 135M model; a merged Q8_0 model runs as fast as the base or faster).

The llama.cpp backend calls :func:`gguf_files`, which reuses an export or makes it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from shizu import __version__
from shizu.chat.template import load_tokenizer
from shizu.config import GenerationConfig
from shizu.errors import ExportError
from shizu.export.arch import read_arch
from shizu.export.gguf_base import Precision, write_base
from shizu.export.gguf_lora import ADAPTER_WEIGHTS, read_lora, write_lora
from shizu.export.hf_weights import shapes
from shizu.export.merged import write_merged
from shizu.export.modelfile import chat_layout, modelfile
from shizu.runs import Weights
from shizu.train.base_model import SOURCE_FILE, cache_root

GGUF_DIR = "gguf"
MERGED_DIR = "merged"
ADAPTER_GGUF = "adapter.gguf"
MODELFILE = "Modelfile"
MANIFEST = "export.json"

Say = Callable[[str], None]


@dataclass(frozen=True)
class GgufFiles:
    """What llama.cpp loads: the base model and, for a run, its LoRA adapter."""

    base: Path
    adapter: Path | None


def gguf_files(
    weights: Weights, *, merged: bool = False, precision: Precision = "q8_0", cache: Path | None = None, say: Say = lambda _: None
) -> GgufFiles:
    """The GGUF files for ``weights``: the run's earlier export when it is complete, else a new one.

    ``merged``: one model with the adapter merged in (written once, in ``precision``) instead of
    base + adapter.
    """
    if weights.adapter is None:
        return GgufFiles(base=base_gguf(weights.base, precision=precision, cache=cache, say=say), adapter=None)
    folder = weights.adapter / GGUF_DIR
    if merged:
        path = folder / f"merged-{precision}.gguf"
        if not path.is_file():
            say(f"writing run {weights.run!r} with its adapter merged in, as a {precision} GGUF once, into {path}")
            arch = read_arch(weights.base)
            lora = read_lora(weights.adapter, arch, shapes(weights.base))
            write_base(weights.base, arch, path, precision, name=f"{weights.run} (adapter merged)", lora=lora)
        return GgufFiles(base=path, adapter=None)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        files = GgufFiles(base=Path(manifest["base_gguf"]), adapter=folder / manifest["adapter_gguf"])
    except (OSError, ValueError, KeyError, TypeError):
        files = None
    if files is not None and files.base.is_file() and files.adapter is not None and files.adapter.is_file():
        return files
    say(f"writing the llama.cpp adapter of run {weights.run!r} once, into {folder}")
    return export_gguf(weights, folder, precision=precision, cache=cache, say=say)


def export_gguf(
    weights: Weights,
    out: Path,
    *,
    generation: GenerationConfig | None = None,
    name: str = "",
    precision: Precision = "q8_0",
    cache: Path | None = None,
    say: Say = lambda _: None,
) -> GgufFiles:
    """Write ``adapter.gguf``, ``Modelfile`` and ``export.json`` for the run ``weights`` into ``out``."""
    if weights.adapter is None:
        raise ExportError("There is no adapter to export (the base model alone was chosen)", hint="Export a trained run: `shizu export --gguf --run NAME`.")
    arch = read_arch(weights.base)
    base = base_gguf(weights.base, precision=precision, cache=cache, say=say)
    name = name or weights.run or "shizu"
    lora = write_lora(read_lora(weights.adapter, arch, shapes(weights.base)), arch, out / ADAPTER_GGUF, name=name)
    say(f"wrote {lora.path} ({lora.tensors} adapted matrices, rank {'/'.join(map(str, lora.ranks))}, alpha {lora.alpha:g})")
    layout = chat_layout(load_tokenizer(weights.tokenizer_dir))
    text = modelfile(str(base), f"./{ADAPTER_GGUF}", layout, generation or GenerationConfig(), re.sub(r"[^a-z0-9._-]+", "-", name.lower()))
    (out / MODELFILE).write_text(text, encoding="utf-8")
    say(f"wrote {out / MODELFILE} (Ollama: `ollama create <name> -f Modelfile` in {out})")
    manifest = {
        "base_gguf": str(base),
        "adapter_gguf": ADAPTER_GGUF,
        "architecture": arch.name,
        "run": weights.run,
        "adapter_sha256": _sha256(weights.adapter / ADAPTER_WEIGHTS),
        "lora_alpha": lora.alpha,
        "lora_ranks": list(lora.ranks),
        "stop": layout.stops,
        "shizu_version": __version__,
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return GgufFiles(base=base, adapter=out / ADAPTER_GGUF)


def export_merged(weights: Weights, out: Path, *, say: Say = lambda _: None) -> Path:
    """Write the base with the run's adapter merged in as a safetensors folder ``out``."""
    if weights.adapter is None:
        raise ExportError("There is no adapter to merge (the base model alone was chosen)", hint="Export a trained run: `shizu export --merged --run NAME`.")
    write_merged(weights.base, weights.adapter, weights.tokenizer_dir, out)
    say(f"wrote the merged model to {out}")
    return out


def base_gguf(base: Path, *, precision: Precision = "q8_0", cache: Path | None = None, say: Say = lambda _: None) -> Path:
    """The base model as a GGUF file: the GGUF it was converted from, else one written once into the cache."""
    record = base / SOURCE_FILE
    if record.is_file():
        info = json.loads(record.read_text(encoding="utf-8"))
        source = Path(info.get("source", ""))
        if source.is_file() and _sha256(source) == info.get("gguf_sha256"):
            say(f"base GGUF: {source} (the file the base was converted from)")
            return source
    key = hashlib.sha256(str(base.resolve()).encode()).hexdigest()[:12]
    target = (cache or cache_root()) / GGUF_DIR / f"{base.name}-{key}-{precision}.gguf"
    newest = max((p.stat().st_mtime for p in base.iterdir() if p.suffix in (".safetensors", ".json")), default=0.0)
    if target.is_file() and target.stat().st_mtime >= newest:
        say(f"base GGUF: {target} (written earlier from {base})")
        return target
    arch = read_arch(base)
    say(f"writing the base model {base} as a {precision} GGUF once, into {target}")
    write_base(base, arch, target, precision, name=base.name)
    return target


def _sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()
