"""The CLI's presenter of :class:`shizu.progress.Reporter`: rich on a terminal, plain lines elsewhere.

On a terminal, lines print above one live display that holds every open bar; the display appears
with the first bar and goes when the last one stops (erased when ``transient``). In a log or a
pipe there is no live display: lines print as they come and, with ``plain_lines``, each bar prints
a line at its first move, then every :data:`PLAIN_EVERY_S` seconds (a background ticker prints the
bar's latest state even when a step takes longer than that), and at its end, e.g. ``tokens 12,288/180,000 · step 3/46 · loss 2.345 · 812 tok/s · 15s elapsed,
~207s left``. A run that looks hung is the worst kind of progress report: a line in the first
minute, then one a minute, says it is alive.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn, TimeRemainingColumn


@dataclass
class _Bar:
    label: str
    total: float
    completed: float
    fields: dict[str, str]
    started: float = field(default_factory=time.perf_counter)
    first: float = 0  # completed when the bar started: the rate counts only this session's work
    task: TaskID | None = None
    printed: float | None = None  # when its last plain line was printed


PLAIN_EVERY_S = 60.0


class RichReporter:
    """Reports on ``console``; lines in ``style`` (e.g. ``"dim"``), never read as markup.

    Use it as a context manager so a live display never outlives an error.
    """

    def __init__(
        self, console: Console, *, style: str | None = None, transient: bool = False, plain_lines: bool = True,
        clock: Callable[[], float] = time.perf_counter, tick_seconds: float | None = 1.0,
    ) -> None:
        """``tick_seconds``: how often the plain-line ticker looks at the clock (None: no ticker;
        lines then print only when a bar moves, which tests with a fake ``clock`` rely on)."""
        self.console = console
        self.clock = clock
        self.style = style
        self.transient = transient
        self.plain_lines = plain_lines
        self.live = console.is_terminal and not console.is_dumb_terminal
        self._bars: dict[str, _Bar] = {}
        self._progress: Progress | None = None
        self._lock = threading.Lock()  # the ticker and the caller both print bars
        self._closing = threading.Event()
        self._ticker: threading.Thread | None = None
        if not self.live and plain_lines and tick_seconds is not None:
            self._ticker = threading.Thread(target=self._tick, args=(tick_seconds,), name="progress-ticker", daemon=True)

    def __enter__(self) -> RichReporter:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Stop every bar (the live display and the ticker with them)."""
        for key in list(self._bars):
            self.stop(key)
        self._closing.set()

    # -- the protocol ---------------------------------------------------------------------

    def say(self, line: str) -> None:
        self.console.print(line, style=self.style, markup=False, highlight=False, soft_wrap=True)

    def start(self, key: str, label: str, total: float, completed: float = 0, **fields: str) -> None:
        if key in self._bars:
            self.stop(key)
        bar = _Bar(label=label, total=total, completed=completed, fields=dict(fields), first=completed, started=self.clock())
        if self.live:
            if self._progress is None:
                self._progress = self._make_progress()
                self._progress.start()
            bar.task = self._progress.add_task(label, total=total, completed=completed, text=_text(bar.fields))
        with self._lock:
            self._bars[key] = bar
        if self._ticker is not None and not self._ticker.is_alive() and not self._closing.is_set():
            self._ticker.start()

    def update(self, key: str, completed: float | None = None, **fields: str) -> None:
        bar = self._bars.get(key)
        if bar is None:
            return
        bar.fields.update(fields)
        self._moved(bar, bar.completed if completed is None else completed)

    def advance(self, key: str, amount: float = 1) -> None:
        bar = self._bars.get(key)
        if bar is not None:
            self._moved(bar, bar.completed + amount)

    def stop(self, key: str) -> None:
        with self._lock:
            bar = self._bars.pop(key, None)
        if bar is None or bar.task is None or self._progress is None:
            return
        self._progress.stop_task(bar.task)
        if not any(b.task is not None for b in self._bars.values()):
            self._progress.stop()
            self._progress = None

    # -- drawing --------------------------------------------------------------------------

    def _moved(self, bar: _Bar, completed: float) -> None:
        previous, bar.completed = bar.completed, completed
        if bar.task is not None and self._progress is not None:
            self._progress.update(bar.task, completed=completed, text=_text(bar.fields))
        elif self.plain_lines and completed != previous:
            with self._lock:
                now = self.clock()
                if bar.printed is None or now - bar.printed >= PLAIN_EVERY_S or completed >= bar.total:
                    self._print_plain(bar, now)

    def _tick(self, seconds: float) -> None:
        """Print each started bar's latest state once :data:`PLAIN_EVERY_S` passed without a line."""
        while not self._closing.wait(seconds):
            with self._lock:
                now = self.clock()
                for bar in self._bars.values():
                    if bar.printed is not None and now - bar.printed >= PLAIN_EVERY_S:
                        self._print_plain(bar, now)

    def _print_plain(self, bar: _Bar, now: float) -> None:
        bar.printed = now
        self.console.print(_plain_line(bar, now), markup=False, highlight=False, soft_wrap=True)

    def _make_progress(self) -> Progress:
        return Progress(
            TextColumn("{task.description}"), BarColumn(bar_width=24), MofNCompleteColumn(), TextColumn("{task.fields[text]}"),
            TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(compact=True),
            console=self.console, transient=self.transient,
        )


def _text(fields: dict[str, str]) -> str:
    return " · ".join(fields.values())


def _plain_line(bar: _Bar, now: float) -> str:
    elapsed = now - bar.started
    remaining = elapsed / max(bar.completed - bar.first, 1) * max(bar.total - bar.completed, 0)
    parts = [f"{bar.label} {_number(bar.completed)}/{_number(bar.total)}", *bar.fields.values()]
    return " · ".join([*parts, f"{elapsed:.0f}s elapsed, ~{remaining:.0f}s left"])


def _number(value: Any) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"
