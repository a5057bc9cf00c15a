"""The run folder: ``runs/<name>/`` appears complete or not at all.

While training, everything lives in ``runs/<name>.partial/``: ``resolved.json`` (the settings the
run was started with, so ``--resume`` reaches the same final step) and the Trainer's
``checkpoint-<step>/`` folders. At the end the adapter, tokenizer, ``meta.json`` and ``loss.png``
are written to a hidden temporary folder that is renamed to ``runs/<name>/`` in one step, and the
partial folder is removed. A run killed at any point leaves either a resumable partial folder or
a finished run, never a half-written one.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from shizu.errors import TrainError

PARTIAL_SUFFIX = ".partial"
RESOLVED_FILE = "resolved.json"
META_FILE = "meta.json"
LOSS_PLOT = "loss.png"
CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")
VALID_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


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


def loss_curves(log_history: list[dict[str, Any]]) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
    """(step, training loss) and (step, validation loss) pairs from the Trainer's log history."""
    train = [(entry["step"], entry["loss"]) for entry in log_history if "loss" in entry]
    val = [(entry["step"], entry["eval_loss"]) for entry in log_history if "eval_loss" in entry]
    return train, val


def plot_loss(train: list[tuple[int, float]], val: list[tuple[int, float]], path: Path, title: str) -> None:
    """Write the loss curve as a PNG (matplotlib, headless)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    if train:
        ax.plot(*zip(*train), label="training loss", linewidth=1)
    if val:
        ax.plot(*zip(*val), "o-", label="validation loss")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss (persona turns)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def incoming_dir(runs_dir: Path, name: str) -> Path:
    """An empty hidden folder the finished run is assembled in before its rename."""
    incoming = runs_dir / f".{name}.incoming"
    shutil.rmtree(incoming, ignore_errors=True)
    incoming.mkdir(parents=True)
    return incoming


def finish_run(partial: Path, incoming: Path, name: str, meta: dict[str, Any], history: list[dict[str, Any]]) -> Path:
    """Add meta.json and loss.png to the assembled run, rename it into place, drop the partial folder."""
    train, val = loss_curves(history)
    meta = {**meta, "loss_curve": [{"step": s, "loss": v} for s, v in train], "val_loss_curve": [{"step": s, "loss": v} for s, v in val]}
    (incoming / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    plot_loss(train, val, incoming / LOSS_PLOT, title=f"shizu train: {name}")
    final = partial.parent / name
    incoming.rename(final)
    shutil.rmtree(partial, ignore_errors=True)
    return final
