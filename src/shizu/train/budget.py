"""What a run will cost before it starts, and fitting it into the time the user has.

* **The rate**: tokens per second at the run's exact settings (base model, device, dtype, threads,
  micro-batch, cutoff). The rate a finished run measured on this machine is kept in the Shizu
  cache (``<cache>/train-rates.json``) and used next time; otherwise a short calibration times a
  few real forward and backward passes on the run's own model and data (no optimizer step: the
  weights do not change).
* **The plan**: tokens to train (one epoch's tokens per pass) over the rate is the estimate
  ``shizu train`` and ``--dry-run`` print; the progress bar refines it from the tokens actually
  trained.
* **A budget** (``--time 45m``, ``[train] time_budget``): the steps get the budget minus the time the
  validations and saving will take (:func:`budget_steps`); when the planned run does not fit in
  that, the number of steps is cut to what fits,
  and when that is less than one pass over the data, the examples to use are chosen by
  ``[train] budget_rule``: ``recent`` (the default: the most recent conversations first, the
  person's current voice) or ``spread`` (evenly over the whole history). The run's meta.json
  records the choice. A run whose steps reach their share of the budget anyway (a slower machine
  than measured, another program taking the CPU) stops after the current step and finishes like
  any other run (evaluated on validation, saved) in the time kept for that.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from shizu.errors import TrainError
from shizu.train.supervised import supervised_loss

FORWARD_SPEEDUP = 3.0  # a validation pass (forward only) vs a training step (forward + backward): 3.3-4.3x measured on CPU
SAVE_SECONDS = 10.0  # writing the adapter, the tokenizer, meta.json and the loss plot
CALIBRATION_BATCHES = 3  # timed micro-batches (after one untimed warm-up)
RATES_FILE = "train-rates.json"
_DURATION = re.compile(r"^\s*(?:(?P<h>\d+(?:\.\d+)?)\s*h)?\s*(?:(?P<m>\d+(?:\.\d+)?)\s*m(?:in)?)?\s*(?:(?P<s>\d+(?:\.\d+)?)\s*s)?\s*$")


def parse_duration(text: str) -> float:
    """``45m``, ``1h30m``, ``90s``, ``2h``, or a bare number of minutes, in seconds."""
    text = text.strip().lower()
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text) * 60
    m = _DURATION.match(text)
    if not text or m is None or not any(m.groupdict().values()):
        raise TrainError(f"{text!r} is not a duration", hint="Write it like 45m, 1h30m, 2h or 90s.")
    return float(m["h"] or 0) * 3600 + float(m["m"] or 0) * 60 + float(m["s"] or 0)


def format_duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def rate_key(base_sha256: str, device: str, dtype: str, threads: int, micro_batch: int, max_length: int, packing: bool, fused: bool) -> str:
    """The settings a measured rate holds for."""
    return f"{base_sha256[:16]}|{device}|{dtype}|{threads}|{micro_batch}|{max_length}|packing={packing}|fused={fused}"


def known_rate(cache: Path, key: str) -> float | None:
    """Tokens/s a finished run measured at these settings on this machine, if any."""
    try:
        return float(json.loads((cache / RATES_FILE).read_text(encoding="utf-8"))[key]["tokens_per_second"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def remember_rate(cache: Path, key: str, tokens_per_second: float) -> None:
    path = cache / RATES_FILE
    try:
        rates = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        rates = {}
    rates[key] = {"tokens_per_second": round(tokens_per_second, 1), "measured": time.strftime("%Y-%m-%dT%H:%M:%S")}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rates, indent=2) + "\n", encoding="utf-8")


def calibrate(model: Any, collator: Any, features: Sequence[dict[str, list[int]]], micro_batch: int) -> float:
    """Tokens/s of forward + backward passes on micro-batches of ``features`` (the weights do not change)."""
    import torch

    device = next(model.parameters()).device
    # Micro-batches of similar lengths, as the Trainer's length-grouped sampler makes them (a
    # batch of mixed lengths would time padding the real run hardly has), spread over the lengths.
    by_length = sorted(features, key=lambda f: len(f["input_ids"]))
    step = max(1, len(by_length) // (CALIBRATION_BATCHES + 1))
    picks = [by_length[i:i + micro_batch] for i in range(0, len(by_length), step)][: CALIBRATION_BATCHES + 1]
    model.train()
    tokens, seconds = 0, 0.0
    for n, batch in enumerate(picks):
        inputs = {k: v.to(device) for k, v in collator(batch).items()}
        labels = inputs.pop("labels")
        start = time.perf_counter()
        supervised_loss(model(**inputs), labels).backward()  # exactly what a training step computes
        if device.type == "cuda":
            torch.cuda.synchronize()
        if n:  # the first pass warms up allocators and kernels
            seconds += time.perf_counter() - start
            mask = inputs.get("attention_mask")
            tokens += int(mask.sum()) if mask is not None else inputs["input_ids"].numel()  # a packed row has no padding
        model.zero_grad(set_to_none=True)
    return tokens / seconds if seconds > 0 else 0.0


@dataclass(frozen=True)
class Fit:
    """How a run fits its budget: the steps, the seconds they may take, and the examples when not all fit."""

    max_steps: int
    examples: int | None  # None: every example; else the first N in the rule's order
    rule: str
    reason: str
    steps_seconds: float  # the training steps stop here; the rest of the budget validates and saves

    def to_json(self, budget: float) -> dict[str, Any]:
        return {
            "seconds": budget, "steps_seconds": round(self.steps_seconds, 1), "max_steps": self.max_steps,
            "examples": self.examples, "rule": self.rule, "reason": self.reason,
        }


def budget_steps(budget: float, rate: float, *, tokens_per_step: float, val_tokens: int, eval_every: int) -> int:
    """The most training steps whose time, plus the final validation (its tokens at
    :data:`FORWARD_SPEEDUP` times the training rate), the validations every ``eval_every`` steps
    before the last, and saving, fits ``budget`` seconds at ``rate`` tokens/s."""
    step, validation = tokens_per_step / rate, val_tokens / (FORWARD_SPEEDUP * rate)

    def fits(steps: int) -> bool:
        before_last = (steps - 1) // eval_every if eval_every > 0 and steps > 0 else 0
        return steps * step + validation * (1 + before_last) + SAVE_SECONDS <= budget * (1 + 1e-9)  # not lost to rounding

    low, high = 0, max(0, int((budget - validation - SAVE_SECONDS) / step) + 1)  # fits() is monotonic in steps
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if fits(middle) else (low, middle - 1)
    return low


def fit_budget(
    budget: float, rate: float, tokens_per_epoch: int, examples: int, batch_size: int, planned_steps: int, rule: str,
    *, val_tokens: int = 0, eval_every: int = 0,
) -> Fit:
    """The steps (and examples) that fit ``budget`` seconds at ``rate`` tokens/s, validation and saving included."""
    tokens_per_step = max(tokens_per_epoch * batch_size / max(examples, 1), 1)
    affordable = budget_steps(budget, rate, tokens_per_step=tokens_per_step, val_tokens=val_tokens, eval_every=eval_every)
    steps = min(max(1, affordable), planned_steps)
    seconds = affordable * tokens_per_step / rate if affordable else 0.1 * budget  # the steps may use all of it; nothing fits: one short try
    kept = f"{format_duration(budget - seconds)} kept for validation and saving"
    if affordable >= planned_steps:
        return Fit(planned_steps, None, rule, f"the planned run fits the budget ({kept})", seconds)
    used = min(examples, steps * batch_size)
    reason = f"{steps} of {planned_steps} planned steps fit {format_duration(budget)} at {rate:.0f} tok/s, {kept}"
    if used < examples:
        reason += f"; one pass over the {used} " + ("most recent examples" if rule == "recent" else "examples spread evenly over time")
    return Fit(steps, used if used < examples else None, rule, reason, seconds)


def order_for_budget(timestamps: Sequence[str], rule: str) -> list[int]:
    """Indices of the examples in the order a budget takes them: most recent first, or spread evenly over time."""
    by_time = sorted(range(len(timestamps)), key=lambda i: timestamps[i])
    if rule == "recent":
        return by_time[::-1]
    order: list[int] = []
    seen: set[int] = set()
    for step in _halvings(len(by_time)):  # evenly spaced at every prefix length
        for i in by_time[::step]:
            if i not in seen:
                seen.add(i)
                order.append(i)
    return order


def _halvings(n: int) -> list[int]:
    steps, step = [], max(n, 1)
    while step > 1:
        steps.append(step)
        step //= 2
    return [*steps, 1]


class StopAtDeadline(TrainerCallback):
    """Stops the steps in time for the budget; the run then validates and saves as usual.

    The plan gave the steps ``steps_seconds`` of the ``budget``; when the machine turns out slower
    than measured (another program taking the CPU), validation slows down as much, so after every
    step the time the final validation will take is re-estimated from the rate seen so far, and
    the steps stop before the next one would leave too little of the budget for it.
    """

    def __init__(self, budget: float | None, steps_seconds: float | None = None, *, val_tokens: int = 0, clock: Any = time.perf_counter) -> None:
        self.budget, self.steps_seconds, self.val_tokens, self.clock = budget, steps_seconds, val_tokens, clock
        self.start = 0.0
        self.start_tokens = self.start_step = 0
        self.reached = False

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if not self.start:  # a restart after running out of memory keeps the clock
            self.start, self.start_tokens, self.start_step = self.clock(), state.num_input_tokens_seen, state.global_step

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
        if self.budget is None:
            return control
        elapsed = self.clock() - self.start
        steps = max(state.global_step - self.start_step, 1)
        rate = (state.num_input_tokens_seen - self.start_tokens) / elapsed if elapsed > 0 else 0.0
        finish = self.val_tokens / (FORWARD_SPEEDUP * rate) + SAVE_SECONDS if rate > 0 else SAVE_SECONDS
        if elapsed >= (self.steps_seconds or self.budget) or elapsed + elapsed / steps + finish > self.budget:
            self.reached = True
            control.should_training_stop = True
        return control
