"""The run folder (``runs/<name>/``): written by training, read by the persona, export and eval.

A finished run holds the PEFT adapter (``adapter_config.json`` + weights), the tokenizer as
trained (its chat template and pad token) and ``meta.json`` (the base model's folder and weights
hash, the settings, the loss curves), plus ``loss.png``. It appears complete or not at all: while
training, everything lives in ``runs/<name>.partial/`` (``resolved.json``: the settings the run
was started with, so ``--resume`` reaches the same final step, and the Trainer's
``checkpoint-<step>/`` folders); at the end the run is assembled in a hidden ``.<name>.incoming/``
folder renamed to ``runs/<name>/`` in one step, and the partial folder is removed. A run killed at
any point leaves either a resumable partial folder or a finished run, never a half-written one.
Unfinished runs are never picked by :func:`find_run`.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shizu.errors import PersonaError, TrainError

PARTIAL_SUFFIX = ".partial"
RESOLVED_FILE = "resolved.json"
META_FILE = "meta.json"
LOSS_PLOT = "loss.png"
ADAPTER_FILE = "adapter_config.json"
TOKENIZER_FILE = "tokenizer_config.json"
CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")
VALID_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class Weights:
    """A base model folder, the adapter on top (``None``: base alone) and the tokenizer to use."""

    base: Path
    base_name: str
    adapter: Path | None
    tokenizer_dir: Path
    run: str | None  # the run's name, when there is one


def partial_dir(runs_dir: Path, name: str) -> Path:
    return runs_dir / f"{name}{PARTIAL_SUFFIX}"


def start_run(runs_dir: Path, name: str, resolved: dict[str, Any]) -> Path:
    """Create ``runs/<name>.partial/`` with the resolved settings; refuse names already used."""
    if not VALID_NAME.match(name) or name.endswith(PARTIAL_SUFFIX):
        raise TrainError(f"--name {name!r} is not a usable folder name", hint="Use letters, digits, '.', '_' and '-'.")
    final, partial = runs_dir / name, partial_dir(runs_dir, name)
    if final.exists():
        raise TrainError(f"{final} already exists", hint="Pick another --name, or delete that run first.")
    if partial.exists():
        raise TrainError(f"{partial} holds an interrupted run", hint=f"Continue it with `shizu train --resume --name {name}`, or delete it.")
    partial.mkdir(parents=True)
    (partial / RESOLVED_FILE).write_text(json.dumps(resolved, indent=2) + "\n", encoding="utf-8")
    return partial


def find_resumable(runs_dir: Path, name: str | None) -> Path:
    """The partial run to continue: the one named, else the most recently touched."""
    if name:
        partial = partial_dir(runs_dir, name)
        if not (partial / RESOLVED_FILE).is_file():
            raise TrainError(f"No interrupted run named {name!r} in {runs_dir}", hint="`ls runs/` shows the *.partial folders that can be resumed.")
        return partial
    candidates = [p for p in runs_dir.glob(f"*{PARTIAL_SUFFIX}") if (p / RESOLVED_FILE).is_file()] if runs_dir.is_dir() else []
    if not candidates:
        raise TrainError(f"No interrupted run to resume in {runs_dir}", hint="Start one with `shizu train`.")
    return max(candidates, key=lambda p: p.stat().st_mtime)


def read_resolved(partial: Path) -> dict[str, Any]:
    return json.loads((partial / RESOLVED_FILE).read_text(encoding="utf-8"))


def latest_checkpoint(partial: Path) -> Path | None:
    """The newest complete checkpoint (the Trainer writes ``trainer_state.json`` last)."""
    steps = sorted(
        ((int(m.group(1)), p) for p in partial.iterdir() if (m := CHECKPOINT.match(p.name)) and p.is_dir()),
        reverse=True,
    )
    for _, path in steps:
        try:
            json.loads((path / "trainer_state.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # killed while saving this one
        return path
    return None


def incoming_dir(runs_dir: Path, name: str) -> Path:
    """An empty hidden folder the finished run is assembled in before its rename."""
    incoming = runs_dir / f".{name}.incoming"
    shutil.rmtree(incoming, ignore_errors=True)
    incoming.mkdir(parents=True)
    return incoming


def finish_run(partial: Path, incoming: Path, name: str, meta: dict[str, Any]) -> Path:
    """Write meta.json into the assembled run, rename it into place, drop the partial folder."""
    (incoming / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    final = partial.parent / name
    incoming.rename(final)
    shutil.rmtree(partial, ignore_errors=True)
    return final


def find_run(runs_dir: Path, name: str | None) -> Path | None:
    """``runs/<name>/``, or the most recently finished run; ``None`` when there is none."""
    if name:
        path = runs_dir / name
        if not (path / META_FILE).is_file():
            raise PersonaError(
                f"No finished run named {name!r} in {runs_dir}",
                hint=f"Pick one of: {', '.join(finished_runs(runs_dir)) or 'none yet (train one with `shizu train`)'}.",
            )
        return path
    runs = finished_runs(runs_dir)
    if not runs:
        return None
    return max((runs_dir / r for r in runs), key=lambda p: ((p / META_FILE).stat().st_mtime, p.name))


def read_meta(path: Path) -> dict[str, Any]:
    try:
        meta = json.loads((path / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PersonaError(f"Cannot read {path / META_FILE}: {exc}", hint="Train the run again with `shizu train`.") from None
    if not isinstance(meta, dict):
        raise PersonaError(f"{path / META_FILE} is not a JSON object", hint="Train the run again with `shizu train`.")
    return meta


def finished_runs(runs_dir: Path) -> list[str]:
    if not runs_dir.is_dir():
        return []
    return sorted(p.name for p in runs_dir.iterdir() if not p.name.startswith(".") and (p / META_FILE).is_file())


def heldout_trained(path: Path) -> frozenset[str]:
    """The held-out turns (``<example id>#<turn>`` of ``val.jsonl``) the run at ``path`` or one of
    its parents learnt from (blind-test answers, in a preference stage); empty for another model
    (``base``) or a run that never did. ``shizu eval`` and the blind test leave them out."""
    if not (path / META_FILE).is_file():
        return frozenset()
    return frozenset((read_meta(path).get("preference") or {}).get("heldout_trained", []))
