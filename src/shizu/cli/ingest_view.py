"""Terminal presentation of ``shizu ingest``: progress bar, per-file lines and the summary."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from shizu.ingest.base import FileReport
from shizu.ingest.dce_csv import page_number
from shizu.ingest.pipeline import SUPPORTED, discover, ingest_sources, why_ignored
from shizu.ingest.source import Source
from shizu.workspace import Workspace


def run_ingest(ws: Workspace, paths: list[Path], console: Console, as_json: bool = False, timezone: ZoneInfo | None = None) -> bool:
    """Ingest ``paths`` into the workspace store; print per-file results.

    True when every file went in and at least one export was found: a broken file fails alone
    (the others are ingested) but makes the command exit non-zero, and so does finding nothing.
    """
    sources, ignored, failed = discover(paths)
    total = 0
    for source, _ in sources:
        total += source.size()
    with ws.open_store() as store, Progress(
        TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
        console=console, transient=True, disable=total < 50_000_000 or not console.is_terminal,
    ) as progress:
        task = progress.add_task("ingesting", total=total)

        def start(report: FileReport) -> None:
            progress.update(task, description=escape(report.source.filename[:40]))
            report.progress = lambda n: progress.advance(task, n)

        reports = ingest_sources(store, sources, on_start=start, timezone=timezone)
        accounts = store.account_ids()
        stored = store.count()
    reports = failed + reports
    if as_json:
        from shizu.cli.console import print_json

        print_json({
            "files": [_report_json(r) for r in reports],
            "ignored_files": len(ignored),
            "ignored": [{"reason": reason, "files": [s.name for s in group]} for reason, group in _grouped(ignored).items()],
            "ingested": sum(r.error is None for r in reports),
            "failed": sum(r.error is not None for r in reports),
            "messages_in_store": stored,
            "accounts": accounts,
        })
    else:
        _print_reports(console, reports, ignored, stored, accounts)
    return bool(reports) and all(r.error is None for r in reports)


def _grouped(ignored: list[Source]) -> dict[str, list[Source]]:
    groups: dict[str, list[Source]] = {}
    for source in ignored:
        groups.setdefault(why_ignored(source), []).append(source)
    return groups


def _report_json(r: FileReport) -> dict:
    c = r.counts
    return {
        "path": r.source.name, "format": r.format, "error": r.error,
        "read": c.read if c else 0, "new": c.new if c else 0,
        "present": c.present if c else 0, "upgraded": c.upgraded if c else 0,
        "skipped": dict(r.skipped), "warnings": r.warnings,
    }


def _file_label(r: FileReport) -> str:
    """The file's name, with its folder when the name alone says nothing (messages.json, _chat.txt, 3.csv)."""
    parts = r.source.parts
    name = parts[-1]
    if len(parts) > 1 and (name.lower() in GENERIC_NAMES or page_number(name) is not None and name[:1].isdigit()):
        name = f"{parts[-2]}/{name}"
    return name


GENERIC_NAMES = {"messages.json", "messages.csv", "result.json", "_chat.txt"}


def _print_reports(console: Console, reports: list[FileReport], ignored: list[Source], stored: int, accounts: list[str]) -> None:
    """The per-file table, warnings (one line per distinct warning), errors and the summary; user text printed literally."""
    table = Table(title=None, show_edge=False, pad_edge=False)
    for col in ("file", "format", "read", "new", "present", "skipped"):
        table.add_column(col, justify="left" if col in ("file", "format") else "right")
    for r in reports:
        c = r.counts
        skipped = ", ".join(f"{k} {v}" for k, v in sorted(r.skipped.items())) or "0"
        if r.error or c is None:
            table.add_row(Text(_file_label(r)), r.format or "-", "-", "-", "-", Text("failed", style="red"))
        else:
            upgraded = f" (+{c.upgraded} upgraded)" if c.upgraded else ""
            table.add_row(Text(_file_label(r)), r.format, str(c.read), f"{c.new}{upgraded}", str(c.present), skipped)
    if reports:
        console.print(table)
    warnings: dict[str, list[FileReport]] = {}
    for r in reports:
        for w in r.warnings:
            warnings.setdefault(w, []).append(r)
    for warning, where in warnings.items():
        files = where[0].source.name if len(where) == 1 else f"{len(where)} files (the first: {where[0].source.name})"
        console.print(Text.assemble(("warning: ", "yellow"), f"{files}: {warning}"), soft_wrap=True)
    for r in reports:
        if r.error:
            console.print(Text.assemble(("error: ", "bold red"), r.error), soft_wrap=True)
            console.print("  Nothing from this file was stored; the rest of the store is unchanged.")
    for reason, group in _grouped(ignored).items():
        names = ", ".join(s.name for s in group[:3]) + (", ..." if len(group) > 3 else "")
        console.print(Text(f"{len(group)} file(s) under the given folders {reason}: {names}"), soft_wrap=True)
    if not reports:
        console.print(Text(f"No supported export found under the given paths. {SUPPORTED}", style="yellow"))
    failed = sum(r.error is not None for r in reports)
    if reports:
        console.print(f"{len(reports) - failed} file(s) ingested, {failed} failed.")
    console.print(f"The store now holds [bold]{stored}[/] messages.")
    if accounts:
        console.print(Text(f"Your own account id(s), read from the exports: {', '.join(accounts)} (used as \"me\")."))
