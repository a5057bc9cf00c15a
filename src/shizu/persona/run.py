"""Which weights answer: a trained run folder (``runs/<name>/``) or the base model alone.

``shizu train`` writes each finished run as ``runs/<name>/`` with the PEFT adapter, the tokenizer
(its chat template and pad token as trained) and ``meta.json``, whose ``base`` names the base
model folder and its weights' hash. Unfinished runs (``*.partial``) are never picked. When the
recorded base folder is gone (another machine, a cleared cache), the base is resolved again from
the run's own ``[train] base`` setting and must have the same weights hash.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shizu.errors import PersonaError
from shizu.train.base_model import resolve_base

META_FILE = "meta.json"
ADAPTER_FILE = "adapter_config.json"
TOKENIZER_FILE = "tokenizer_config.json"


@dataclass(frozen=True)
class Weights:
    """A base model folder, the adapter on top (``None``: base alone) and the tokenizer to use."""

    base: Path
    base_name: str
    adapter: Path | None
    tokenizer_dir: Path
    run: str | None  # the run's name, when there is one


def find_run(runs_dir: Path, name: str | None) -> Path | None:
    """``runs/<name>/``, or the most recently finished run; ``None`` when there is none."""
    if name:
        path = runs_dir / name
        if not (path / META_FILE).is_file():
            raise PersonaError(
                f"No finished run named {name!r} in {runs_dir}",
                hint=f"Pick one of: {', '.join(_finished(runs_dir)) or 'none yet (train one with `shizu train`)'}.",
            )
        return path
    runs = _finished(runs_dir)
    if not runs:
        return None
    return max((runs_dir / r for r in runs), key=lambda p: ((p / META_FILE).stat().st_mtime, p.name))


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


def read_meta(path: Path) -> dict[str, Any]:
    try:
        meta = json.loads((path / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PersonaError(f"Cannot read {path / META_FILE}: {exc}", hint="Train the run again with `shizu train`.") from None
    if not isinstance(meta, dict):
        raise PersonaError(f"{path / META_FILE} is not a JSON object", hint="Train the run again with `shizu train`.")
    return meta


def _finished(runs_dir: Path) -> list[str]:
    if not runs_dir.is_dir():
        return []
    return sorted(p.name for p in runs_dir.iterdir() if not p.name.startswith(".") and (p / META_FILE).is_file())
