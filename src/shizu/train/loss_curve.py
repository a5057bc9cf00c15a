"""The loss curves of a training run: the points kept in ``meta.json`` and ``loss.png``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shizu.runs import LOSS_PLOT


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


def write_curves(incoming: Path, name: str, meta: dict[str, Any], history: list[dict[str, Any]]) -> dict[str, Any]:
    """``meta`` with the loss curves added; ``loss.png`` written into the assembled run."""
    train, val = loss_curves(history)
    plot_loss(train, val, incoming / LOSS_PLOT, title=f"shizu train: {name}")
    return {**meta, "loss_curve": [{"step": s, "loss": v} for s, v in train], "val_loss_curve": [{"step": s, "loss": v} for s, v in val]}
