"""Trainer callbacks for long runs: a rich progress bar, and a checkpoint on Ctrl-C.

Both are plain ``transformers.TrainerCallback`` subclasses, so the recipe stays a stock
``Trainer``; only the main process draws the bar.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from transformers import TrainerCallback


class RichProgress(TrainerCallback):
    """Step bar with loss, validation loss, tokens/s and ETA; prints each validation loss."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress: Progress | None = None
        self.task: Any = None
        self.fields = {"loss": "-", "eval": "-", "speed": "-"}
        self.start_time = 0.0
        self.start_tokens = 0
        self.start_step = 0

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if not state.is_world_process_zero:
            return
        self.progress = Progress(
            BarColumn(bar_width=20),
            MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]} · val {task.fields[eval]} · {task.fields[speed]} tok/s"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(compact=True),
            console=self.console,
        )
        self.progress.start()
        self.task = self.progress.add_task("train", total=state.max_steps, completed=state.global_step, **self.fields)
        self.start_time, self.start_tokens = time.perf_counter(), state.num_input_tokens_seen
        self.start_step = state.global_step

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.progress is None:
            return
        elapsed = time.perf_counter() - self.start_time
        if elapsed > 0:
            self.fields["speed"] = f"{(state.num_input_tokens_seen - self.start_tokens) / elapsed:.0f}"
        self.progress.update(self.task, completed=state.global_step, **self.fields)
        if not self.console.is_terminal and _is_report_step(state.global_step, state.max_steps):
            # Logs and pipes get no live bar: a plain line every tenth of the run instead.
            remaining = elapsed / max(state.global_step - self.start_step, 1) * (state.max_steps - state.global_step)
            self.console.print(
                f"step {state.global_step}/{state.max_steps} · loss {self.fields['loss']} · "
                f"{self.fields['speed']} tok/s · {elapsed:.0f}s elapsed, ~{remaining:.0f}s left"
            )

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, float] | None = None, **kwargs: Any) -> None:
        if self.progress is None or not logs:
            return
        if "loss" in logs:
            self.fields["loss"] = f"{logs['loss']:.3f}"
        if "eval_loss" in logs:
            self.fields["eval"] = f"{logs['eval_loss']:.3f}"
            self.progress.console.print(f"step {state.global_step}: validation loss {logs['eval_loss']:.4f}")
        self.progress.update(self.task, **self.fields)

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


def _is_report_step(step: int, max_steps: int) -> bool:
    every = max(1, max_steps // 10)
    return step % every == 0 or step == max_steps


class SaveOnInterrupt(TrainerCallback):
    """First Ctrl-C: finish the current step, save a checkpoint, stop. Second Ctrl-C: abort at once."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.interrupted = False

    @contextlib.contextmanager
    def armed(self) -> Iterator[None]:
        """Catch SIGINT while the block runs (the recipe wraps ``trainer.train`` in it)."""
        if threading.current_thread() is not threading.main_thread():  # signals reach the main thread only
            yield
            return
        previous = signal.getsignal(signal.SIGINT)

        def handle(signum: int, frame: Any) -> None:
            self.interrupted = True
            signal.signal(signal.SIGINT, previous)  # a second Ctrl-C interrupts for real
            self.console.print("\n[yellow]Ctrl-C: saving a checkpoint after this step (press again to abort without saving)[/]")

        signal.signal(signal.SIGINT, handle)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
        if self.interrupted:
            control.should_save = True
            control.should_training_stop = True
        return control
