"""Terminal presentation of ``shizu ingest``: progress bar, per-file lines and the summary."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from shizu.ingest.base import FileReport
from shizu.ingest.pipeline import discover, ingest_sources
from shizu.workspace import Workspace


def run_ingest(ws: Workspace, paths: list[Path], console: Console, as_json: bool = False) -> bool:
    """Ingest ``paths`` into the workspace store; print per-file results. True if no file failed."""
    sources, ignored = discover(paths)
    total = 0
    for source, _ in sources:
        total += source.size()
    with ws.open_store() as store, Progress(
        TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
        console=console, transient=True, disable=total < 50_000_000 or not console.is_terminal,
    ) as progress:
        task = progress.add_task("ingesting", total=total)

        def start(report: FileReport) -> None:
            progress.update(task, description=report.source.filename[:40])
            report.progress = lambda n: progress.advance(task, n)

        reports = ingest_sources(store, sources, on_start=start)
        accounts = store.account_ids()
        stored = store.count()

    if as_json:
        from shizu.cli.console import print_json

        print_json({
            "files": [_report_json(r) for r in reports],
            "ignored_files": len(ignored),
            "messages_in_store": stored,
            "accounts": accounts,
        })
    else:
        _print_reports(console, reports, ignored, stored, accounts)
    return all(r.error is None for r in reports)


def _report_json(r: FileReport) -> dict:
    c = r.counts
    return {
        "path": r.source.name, "format": r.format, "error": r.error,
        "read": c.read if c else 0, "new": c.new if c else 0,
        "present": c.present if c else 0, "upgraded": c.upgraded if c else 0,
        "skipped": dict(r.skipped), "warnings": r.warnings,
    }


def _file_label(r: FileReport) -> str:
    """The file's name, with its folder when the name alone says nothing (messages.json, _chat.txt)."""
    parts = r.source.parts
    name = parts[-1]
    if len(parts) > 1 and name.lower() in GENERIC_NAMES:
        name = f"{parts[-2]}/{name}"
    return name


GENERIC_NAMES = {"messages.json", "messages.csv", "result.json", "_chat.txt"}


def _print_reports(console: Console, reports: list[FileReport], ignored: list, stored: int, accounts: list[str]) -> None:
    table = Table(title=None, show_edge=False, pad_edge=False)
    for col in ("file", "format", "read", "new", "present", "skipped"):
        table.add_column(col, justify="left" if col in ("file", "format") else "right")
    for r in reports:
        c = r.counts
        skipped = ", ".join(f"{k} {v}" for k, v in sorted(r.skipped.items())) or "0"
        if r.error:
            table.add_row(_file_label(r), r.format, "-", "-", "-", "[red]failed[/]")
        else:
            upgraded = f" (+{c.upgraded} upgraded)" if c.upgraded else ""
            table.add_row(_file_label(r), r.format, str(c.read), f"{c.new}{upgraded}", str(c.present), skipped)
    if reports:
        console.print(table)
    for r in reports:
        for w in r.warnings:
            console.print(f"[yellow]warning:[/] {r.source.name}: {w}")
        if r.error:
            console.print(f"[bold red]error:[/] {r.error}")
            console.print("  Nothing from this file was stored; the rest of the store is unchanged.")
    if ignored:
        console.print(f"{len(ignored)} file(s) under the given folders are not exports and were ignored.")
    if not reports:
        console.print("[yellow]No supported export found under the given paths.[/]")
    console.print(f"The store now holds [bold]{stored}[/] messages.")
    if accounts:
        console.print(f"Your own account id(s), read from the exports: {', '.join(accounts)} (used as \"me\").")
