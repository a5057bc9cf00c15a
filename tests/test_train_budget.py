"""The cost of a run before it starts: the rate, the plan, --dry-run, and fitting a time budget."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shizu.errors import TrainError
from shizu.progress import Quiet
from shizu.train.budget import FORWARD_SPEEDUP, RATES_FILE, SAVE_SECONDS, StopAtDeadline, fit_budget, format_duration, order_for_budget, parse_duration
from shizu.train.recipe import TrainOptions, train
from tiny_model import make_workspace, save_tiny_model


class Lines(Quiet):
    def __init__(self) -> None:
        self.lines: list[str] = []

    def say(self, line: str) -> None:
        self.lines.append(line)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_model(tmp_path_factory.mktemp("model") / "tiny")


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SHIZU_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_durations() -> None:
    assert [parse_duration(t) for t in ("45m", "1h30m", "2h", "90s", "10", "1.5h")] == [2700, 5400, 7200, 90, 600, 5400]
    with pytest.raises(TrainError, match="is not a duration"):
        parse_duration("soon")
    assert (format_duration(75), format_duration(3725)) == ("1 min 15 s", "1 h 02 min")


def test_fitting_a_budget() -> None:
    # 1,000 tokens per epoch over 10 examples, 2 per step: 200 tokens (2 s at 100 tok/s) a step.
    fits = fit_budget(100, rate=100, tokens_per_epoch=1000, examples=10, batch_size=2, planned_steps=5, rule="recent")
    assert (fits.max_steps, fits.examples, fits.steps_seconds) == (5, None, 90)  # saving keeps 10 s
    assert fits.reason == "the planned run fits the budget (10 s kept for validation and saving)"
    # 3,000 validation tokens take 10 s (forward only: 3x the training rate): 100 - 10 - 10 = 80 s of steps.
    fit = fit_budget(100, rate=100, tokens_per_epoch=1000, examples=10, batch_size=2, planned_steps=100, rule="recent", val_tokens=3000)
    assert (fit.max_steps, fit.examples, fit.steps_seconds) == (40, None, 80)
    # A validation every 10 steps costs 10 s more each time: 30 steps (60 s) + validations at 10, 20 and 30 (the last) + 10 s.
    fit = fit_budget(100, rate=100, tokens_per_epoch=1000, examples=10, batch_size=2, planned_steps=100, rule="recent", val_tokens=3000, eval_every=10)
    assert (fit.max_steps, fit.steps_seconds) == (30, 60)
    fit = fit_budget(20, rate=100, tokens_per_epoch=1000, examples=10, batch_size=2, planned_steps=5, rule="recent", val_tokens=600)
    assert (fit.max_steps, fit.examples) == (4, 8)  # 20 - 2 - 10 = 8 s: four steps, one pass over the 8 most recent examples
    assert fit.reason == "4 of 5 planned steps fit 20 s at 100 tok/s, 12 s kept for validation and saving; one pass over the 8 most recent examples"


def test_the_order_a_budget_takes_examples_in() -> None:
    times = ["2024-01-03", "2024-01-01", "2024-01-05", "2024-01-02", "2024-01-04"]
    assert order_for_budget(times, "recent") == [2, 4, 0, 3, 1]
    spread = order_for_budget(times, "spread")
    assert sorted(spread) == [0, 1, 2, 3, 4] and spread[:2] == [1, 0]  # the oldest, then halfway


def test_a_dry_run_prints_the_plan_and_trains_nothing(tmp_path: Path, tiny: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    lines = Lines()
    result = train(ws, TrainOptions(base=str(tiny), steps=4, name="plan", dry_run=True), lines)
    assert (result.finished, result.step, result.max_steps) == (False, 0, 4)
    assert result.estimate_seconds is not None and result.estimate_seconds > 0
    assert not ws.runs_dir.exists() or not any(ws.runs_dir.iterdir())
    assert any(line.endswith("(encoded now, cached in cache/encoded/)") for line in lines.lines)
    plan = next(line for line in lines.lines if line.startswith("  plan: "))
    assert "4 steps" in plan and "calibrated on 3 micro-batches just now" in plan and "of training" in plan
    assert lines.lines[-1] == "Dry run: nothing was trained (drop --dry-run to train)."


def test_a_finished_run_remembers_its_rate_for_the_next_plan(tmp_path: Path, tiny: Path, cache: Path) -> None:
    ws = make_workspace(tmp_path / "ws", eval_every=0)
    train(ws, TrainOptions(base=str(tiny), steps=2, name="first"), Quiet())
    rates = json.loads((cache / RATES_FILE).read_text(encoding="utf-8"))
    assert len(rates) == 1 and next(iter(rates.values()))["tokens_per_second"] > 0
    lines = Lines()
    train(ws, TrainOptions(base=str(tiny), steps=2, name="second", dry_run=True), lines)
    assert any("measured by an earlier run on this machine" in line for line in lines.lines)
    assert any(line.endswith("(cached by an earlier run in cache/encoded/)") for line in lines.lines)  # and its encoding
    assert len(list((ws.cache_dir / "encoded").iterdir())) == 2  # train and val


def test_a_budget_cuts_steps_and_examples_and_meta_records_it(tmp_path: Path, tiny: Path, cache: Path) -> None:
    ws = make_workspace(tmp_path / "ws", eval_every=0, batch_size=2, steps=0, epochs=2)
    first = train(ws, TrainOptions(base=str(tiny), steps=1, name="rate"), Quiet())  # measures the rate
    rate = next(iter(json.loads((cache / RATES_FILE).read_text(encoding="utf-8")).values()))["tokens_per_second"]
    meta = json.loads((first.path / "meta.json").read_text(encoding="utf-8"))
    per_step = meta["dataset"]["train_tokens"] * 2 / meta["dataset"]["train_examples"]
    budget = 3 * per_step / rate + meta["dataset"]["val_tokens"] / (FORWARD_SPEEDUP * rate) + SAVE_SECONDS + 0.01  # three steps of sixteen
    result = train(ws, TrainOptions(base=str(tiny), name="budget", time_budget=f"{budget}s"), Quiet())
    assert result.finished and result.max_steps == 3
    meta = json.loads((result.path / "meta.json").read_text(encoding="utf-8"))
    assert meta["budget"]["max_steps"] == 3 and meta["budget"]["examples"] == 6 and meta["budget"]["rule"] == "recent"
    assert meta["dataset"]["train_examples"] == 6


def test_a_run_that_reaches_its_budget_finishes_there(tmp_path: Path, tiny: Path, cache: Path) -> None:
    ws = make_workspace(tmp_path / "ws", eval_every=0, batch_size=2)
    cache.mkdir(parents=True, exist_ok=True)
    lines = Lines()
    result = train(ws, TrainOptions(base=str(tiny), steps=50, name="short", time_budget="0.01s"), lines)
    # The calibration finds the run far beyond 0.01 s: one step fits, and the deadline stops after it anyway.
    assert result.finished and result.step == result.max_steps == 1
    meta = json.loads((result.path / "meta.json").read_text(encoding="utf-8"))
    assert meta["budget"]["max_steps"] == 1 and meta["metrics"]["steps"] == 1


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def stopped_after(step_seconds: float) -> float:
    """When a 100 s budget whose plan gave the steps 70 s (3,000 validation tokens) stops steps of
    200 tokens that each take ``step_seconds``; the deadline must say it was reached."""
    from types import SimpleNamespace

    clock = Clock()
    deadline = StopAtDeadline(100, 70, val_tokens=3000, clock=clock)
    state = SimpleNamespace(num_input_tokens_seen=0, global_step=0)
    deadline.on_train_begin(None, state, None)
    while True:
        clock.now += step_seconds
        state.global_step += 1
        state.num_input_tokens_seen += 200
        if deadline.on_step_end(None, state, SimpleNamespace(should_training_stop=False)).should_training_stop:
            assert deadline.reached
            return clock.now - 100.0


def test_the_deadline_keeps_room_for_a_validation_slowed_like_the_steps() -> None:
    # At the planned 100 tok/s: a 2 s step, validation 10 s + 10 s saving; the plan's 70 s stop it.
    assert stopped_after(2) == 70
    # Three times slower: validation would take 30 s; another 6 s step after 60 s would overrun,
    # and validation (30 s at 33 tok/s x 3) and saving (10 s) end the run at 100 s.
    assert stopped_after(6) == 60
