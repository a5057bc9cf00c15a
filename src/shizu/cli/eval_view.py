"""What ``shizu eval`` shows and writes: the table in the terminal, ``report.json`` (always) and,
with ``--html``, ``report.html`` with its plot, in ``reports/eval/`` (or ``--out``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from shizu.cli.progress import RichReporter
from shizu.eval.evaluate import EvalOptions, evaluate
from shizu.eval.table import cells, notes
from shizu.workspace import Workspace


def run_eval(ws: Workspace, options: EvalOptions, console: Console, *, out_dir: Path | None, html: bool) -> tuple[dict[str, Any], Path]:
    """Evaluate (progress on ``console``), write the report files, and return the report and the folder they are in."""
    with RichReporter(console, style="dim", transient=True, plain_lines=False) as reporter:
        report = evaluate(ws, options, reporter)
    out = out_dir or ws.reports_dir / "eval"
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if html:
        from shizu.eval.page import write_page

        write_page(report, out)
    return report, out


def print_table(console: Console, report: dict[str, Any]) -> None:
    """The side-by-side table, then any prompt that differs from the training render."""
    names, rows = cells(report)
    data = report["dataset"]
    table = Table(
        title=f"{report['persona']}: {data['turns']} held-out turns from {data['conversations']} conversations",
        title_justify="left", show_edge=False, pad_edge=False,
    )
    table.add_column("")
    for name in names:
        table.add_column(escape(name), justify="right")
    for label, row in rows:
        table.add_row(escape(label), *row)
    console.print(table)
    console.print("Intervals: 95%, bootstrap over held-out contexts. Detection: 50% means the detector cannot tell replies from the person's (see docs/eval.md).", style="dim")
    for line in notes(report):
        console.print(line, markup=False, soft_wrap=True)
    for name, system in report["systems"].items():
        matching = system.get("prompts_matching_training")
        if matching is not None and matching < system["replies"]:
            console.print(
                f"[yellow]{escape(name)}: {system['replies'] - matching} of {system['replies']} prompts differ from the training render[/]"
                " (rebuild the dataset with `shizu build` after changing [persona] or [build] settings)"
            )
