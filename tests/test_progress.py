"""The progress convention: library code reports through ``shizu.progress.Reporter`` and never prints;
the CLI presents it (``shizu.cli.progress``): a live bar on a terminal, plain lines in logs and pipes."""

from __future__ import annotations

import ast
import io
import re
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from rich.console import Console

from shizu.cli import progress as progress_module
from shizu.cli.progress import RichReporter
from shizu.progress import QUIET, Quiet, Reporter

SRC = Path(__file__).resolve().parents[1] / "src" / "shizu"
PRESENTERS = ("cli", "frontends")  # user interfaces: they may print and use rich


class Recorder:
    """A Reporter that keeps every event, to assert on what the library reported."""

    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []

    def say(self, line: str) -> None:
        self.events.append(("say", line))

    def start(self, key: str, label: str, total: float, completed: float = 0, **fields: str) -> None:
        self.events.append(("start", key, label, total, completed, fields))

    def update(self, key: str, completed: float | None = None, **fields: str) -> None:
        self.events.append(("update", key, completed, fields))

    def advance(self, key: str, amount: float = 1) -> None:
        self.events.append(("advance", key, amount))

    def stop(self, key: str) -> None:
        self.events.append(("stop", key))


def library_modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if p.relative_to(SRC).parts[0] not in PRESENTERS)


def test_nothing_below_the_cli_imports_rich_or_prints() -> None:
    offences = []
    for path in library_modules():
        where = path.relative_to(SRC.parent)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                offences += [f"{where}:{node.lineno}: import {a.name}" for a in node.names if a.name.split(".")[0] == "rich"]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "rich":
                offences.append(f"{where}:{node.lineno}: from {node.module} import ...")
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
                offences.append(f"{where}:{node.lineno}: print(...)")
    assert len(library_modules()) > 50  # the walk sees the library (src/shizu without cli/ and frontends/)
    assert offences == [], "report through shizu.progress.Reporter instead:\n" + "\n".join(offences)


def test_quiet_is_a_reporter_that_shows_nothing() -> None:
    reporter: Reporter = Quiet()
    reporter.say("x")
    reporter.start("k", "label", 3, 1, loss="loss -")
    reporter.update("k", 2, loss="loss 1.0")
    reporter.advance("k")
    reporter.stop("k")
    assert isinstance(QUIET, Quiet)


def plain_console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=False, width=40, highlight=False), out


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_in_a_pipe_a_line_at_the_first_move_then_every_minute_and_at_the_end() -> None:
    console, out = plain_console()
    clock = Clock()
    with RichReporter(console, clock=clock, tick_seconds=None) as reporter:
        reporter.say("[bold]Starting[/] run 'x' with a line longer than the forty columns of this console")
        reporter.start("train", "step", 30, loss="loss -", speed="- tok/s")
        for step in range(1, 31):
            clock.now += 25  # a step every 25 s: a line at step 1, then at least a minute apart
            reporter.update("train", step, loss=f"loss {1 / step:.3f}")
        reporter.stop("train")
    lines = out.getvalue().splitlines()
    assert lines[0] == "[bold]Starting[/] run 'x' with a line longer than the forty columns of this console"  # no markup, no wrapping
    assert [int(re.match(r"step (\d+)/30 · ", line)[1]) for line in lines[1:]] == [1, 4, 7, 10, 13, 16, 19, 22, 25, 28, 30]
    assert lines[1] == "step 1/30 · loss 1.000 · - tok/s · 25s elapsed, ~725s left"
    assert lines[-1] == "step 30/30 · loss 0.033 · - tok/s · 750s elapsed, ~0s left"


def test_in_a_pipe_a_resumed_bar_counts_from_where_it_started() -> None:
    console, out = plain_console()
    clock = Clock()
    reporter = RichReporter(console, clock=clock, tick_seconds=None)
    reporter.start("train", "step", 10, completed=6)
    for step in (7, 8, 9, 10):
        clock.now += 61
        reporter.update("train", step)
    reporter.start("bytes", "reading", 1000)
    for _ in range(4):
        reporter.advance("bytes", 250)  # no time passes: the first move and the end
    reporter.advance("unknown bar")  # ignored, like an update after stop
    lines = out.getvalue().splitlines()
    assert [line.split(" · ")[0] for line in lines] == ["step 7/10", "step 8/10", "step 9/10", "step 10/10", "reading 250/1,000", "reading 1,000/1,000"]
    assert lines[0].endswith("61s elapsed, ~183s left")  # one step in 61 s, three to go


def test_in_a_pipe_a_step_longer_than_a_minute_still_gets_a_line_a_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress_module, "PLAIN_EVERY_S", 0.2)  # "a minute", scaled down
    console, out = plain_console()
    with RichReporter(console, tick_seconds=0.01) as reporter:
        reporter.start("train", "step", 10, loss="loss -")
        reporter.update("train", 1, loss="loss 2.000")  # the first move: a line
        deadline = time.monotonic() + 5
        while out.getvalue().count("step 1/10") < 3 and time.monotonic() < deadline:
            time.sleep(0.01)  # step 2 takes "minutes": the ticker keeps printing step 1's state
        reporter.update("train", 10, loss="loss 1.000")
    lines = out.getvalue().splitlines()
    assert [line.split(" · ")[:2] for line in lines] == [["step 1/10", "loss 2.000"]] * 3 + [["step 10/10", "loss 1.000"]]


def test_plain_lines_off_leaves_only_the_said_lines() -> None:
    console, out = plain_console()
    with RichReporter(console, plain_lines=False, transient=True) as reporter:
        reporter.start("perplexity", "perplexity", 4)
        reporter.advance("perplexity", 4)
        reporter.say("loaded")
    assert out.getvalue() == "loaded\n"


def test_on_a_terminal_a_live_bar_and_lines_above_it() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120, color_system=None)
    with pytest.raises(KeyError), RichReporter(console) as reporter:
        reporter.start("train", "step", 30, loss="loss -")
        reporter.update("train", 3, loss="loss 2.345")
        reporter.say("step 3: validation loss 2.1000")
        raise KeyError("the live display still goes")
    assert not console._live_stack  # the with-block stopped it
    text = out.getvalue()
    assert "step 3: validation loss 2.1000" in text
    assert "3/30 loss 2.345" in text


def train_state(step: int, tokens: int, max_steps: int = 4) -> SimpleNamespace:
    return SimpleNamespace(global_step=step, max_steps=max_steps, num_input_tokens_seen=tokens)


@pytest.mark.parametrize("eval_strategy", ["steps", "no"])
def test_the_trainer_callback_reports_steps_losses_and_speed(eval_strategy: str) -> None:
    pytest.importorskip("transformers")
    from shizu.train.progress import TrainProgress

    recorder = Recorder()
    callback, args = TrainProgress(recorder, planned_tokens=400), SimpleNamespace(eval_strategy=eval_strategy)
    callback.on_train_begin(args, train_state(2, 100), None)
    callback.on_step_end(args, train_state(3, 200), None)
    callback.on_log(args, train_state(3, 200), None, logs={"loss": 2.34567})
    callback.on_log(args, train_state(3, 200), None, logs={"eval_loss": 2.1})
    callback.on_step_end(args, train_state(4, 380), None)
    callback.on_log(args, train_state(4, 380), None, logs={"loss": 1.5})
    callback.on_train_end(args, train_state(4, 380), None)
    val = {"val": "val -"} if eval_strategy != "no" else {}
    assert recorder.events[0] == ("start", "train", "tokens", 400, 100, {"step": "step 2/4", "loss": "loss -", **val, "speed": "- tok/s"})
    kind, key, tokens, fields = recorder.events[1]  # the bar moves with the step's own loss
    assert (kind, key, tokens, fields["step"], fields["loss"]) == ("update", "train", 200, "step 3/4", "loss 2.346")
    assert re.fullmatch(r"\d+ tok/s", fields["speed"])
    assert recorder.events[2] == ("say", "step 3: validation loss 2.1000")
    assert recorder.events[3][3]["val"] == "val 2.100"
    assert recorder.events[4][1:3] == ("train", 400)  # the last step fills the bar, whatever the estimate
    assert recorder.events[5:] == [("stop", "train")]
