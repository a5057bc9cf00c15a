"""Trainer callbacks for long runs: progress through a :class:`~shizu.progress.Reporter`, and a
checkpoint on Ctrl-C.

Both are plain ``transformers.TrainerCallback`` subclasses, so the recipe stays a stock
``Trainer``. The progress is one bar, ``"train"``, counting optimizer steps, with the loss, the
validation loss (when the run has one) and tokens/s as its fields; how it is drawn is the caller's
business (the CLI: a live bar on a terminal, a plain line every tenth of the run elsewhere).
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

from transformers import TrainerCallback

from shizu.progress import Reporter

BAR = "train"  # the bar's key


class TrainProgress(TrainerCallback):
    """Reports the run as tokens trained of the planned total, with the step, that step's loss,
    the validation loss and tokens/s as fields; says each validation loss.

    The bar counts tokens, not steps, so every estimate of the time left comes from the tokens
    still to train: batches are grouped by length with the longest first, so the first steps are
    the slowest and a step count would overestimate what is left. The bar moves when a step's loss
    is logged, so the loss shown is that step's own.
    """

    def __init__(self, reporter: Reporter, planned_tokens: int) -> None:
        self.reporter = reporter
        self.planned_tokens = max(planned_tokens, 1)
        self.fields: dict[str, str] = {}
        self.started = False
        self.start_time = 0.0
        self.start_tokens = 0

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.fields = {"step": f"step {state.global_step}/{state.max_steps}", "loss": "loss -"}
        if args.eval_strategy != "no":
            self.fields["val"] = "val -"
        self.fields["speed"] = "- tok/s"
        self.start_time, self.start_tokens = time.perf_counter(), state.num_input_tokens_seen
        completed = min(state.num_input_tokens_seen, self.planned_tokens - 1)
        self.reporter.start(BAR, "tokens", total=self.planned_tokens, completed=completed, **self.fields)
        self.started = True

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if not self.started:
            return
        elapsed = time.perf_counter() - self.start_time
        if elapsed > 0:
            self.fields["speed"] = f"{(state.num_input_tokens_seen - self.start_tokens) / elapsed:.0f} tok/s"
        self.fields["step"] = f"step {state.global_step}/{state.max_steps}"

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, float] | None = None, **kwargs: Any) -> None:
        if not self.started or not logs:
            return
        if "eval_loss" in logs:
            self.fields["val"] = f"val {logs['eval_loss']:.3f}"
            self.reporter.say(f"step {state.global_step}: validation loss {logs['eval_loss']:.4f}")
            self.reporter.update(BAR, **self.fields)
        if "loss" in logs:
            self.fields["loss"] = f"loss {logs['loss']:.3f}"
            done = state.global_step >= state.max_steps
            completed = self.planned_tokens if done else min(state.num_input_tokens_seen, self.planned_tokens - 1)
            self.reporter.update(BAR, completed, **self.fields)

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.close()

    def close(self) -> None:
        """End the bar (also when training ends by an exception the recipe recovers from)."""
        if self.started:
            self.reporter.stop(BAR)
            self.started = False


class SaveOnInterrupt(TrainerCallback):
    """First Ctrl-C: finish the current step, save a checkpoint, stop. Second Ctrl-C: abort at once."""

    def __init__(self, reporter: Reporter) -> None:
        self.reporter = reporter
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
            self.reporter.say("Ctrl-C: saving a checkpoint after this step (press again to abort without saving)")

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
