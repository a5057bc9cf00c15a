"""Which weights answer: a trained run folder (``runs/<name>/``) or the base model alone.

``shizu train`` writes each finished run as ``runs/<name>/`` with the PEFT adapter, the tokenizer
(its chat template and pad token as trained) and ``meta.json``, whose ``base`` names the base
model folder and its weights' hash. Unfinished runs (``*.partial``) are never picked. When the
recorded base folder is gone (another machine, a cleared cache), the base is resolved again from
the run's own ``[train] base`` setting and must have the same weights hash.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from shizu.errors import PersonaError
from shizu.runs import ADAPTER_FILE, META_FILE, TOKENIZER_FILE, Weights, read_meta
from shizu.train.base_model import resolve_base


def run_weights(path: Path, *, base_only: bool = False, say: Callable[[str], None] = lambda _: None) -> Weights:
    """The weights of the run at ``path`` (its base alone with ``base_only``)."""
    meta = read_meta(path)
    base_info = meta.get("base") or {}
    recorded = Path(base_info.get("path", ""))
    if base_info.get("path") and (recorded / "config.json").is_file():
        base, base_name = recorded, base_info.get("name") or recorded.name
    else:
        spec = (meta.get("config") or {}).get("base", "")
        say(f"the base model recorded in {path / META_FILE} ({recorded}) is gone; resolving it again")
        resolved = resolve_base(spec, say=say)
        if base_info.get("sha256") and resolved.sha256 != base_info["sha256"]:
            raise PersonaError(
                f"The base model found again for run {path.name!r} ({resolved.path}) has other weights than the one it was trained on",
                hint="Restore that base model folder, or train a new run on this base.",
            )
        base, base_name = resolved.path, resolved.name
    adapter = None if base_only else path
    if adapter is not None and not (adapter / ADAPTER_FILE).is_file():
        raise PersonaError(f"{path} holds no adapter ({ADAPTER_FILE} is missing)", hint="Train the run again with `shizu train`.")
    tokenizer_dir = path if (path / TOKENIZER_FILE).is_file() else base
    return Weights(base=base, base_name=base_name, adapter=adapter, tokenizer_dir=tokenizer_dir, run=path.name)


def base_weights(spec: str, say: Callable[[str], None] = lambda _: None) -> Weights:
    """The base model alone, from a ``[train] base`` spec (``""``: the embedded SmolLM2)."""
    resolved = resolve_base(spec, say=say)
    return Weights(base=resolved.path, base_name=resolved.name, adapter=None, tokenizer_dir=resolved.path, run=None)


def learnt_with_memories(weights: Weights) -> bool:
    """Whether ``weights`` answer with memories in the prompt as they learnt to: a run trained
    with ``shizu train --no-memory`` saw none (its meta.json says so) and is shown none; the base
    model alone learnt nothing either way."""
    if weights.adapter is None:
        return True
    return bool((read_meta(weights.adapter).get("memory") or {}).get("shown", True))
