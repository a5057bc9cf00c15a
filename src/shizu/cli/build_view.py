"""Terminal presentation of ``shizu build``: progress bars, then what was kept and dropped, and why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from shizu.cli.progress import RichReporter
from shizu.dataset.pipeline import BuildResult, build_dataset
from shizu.workspace import Workspace

BAR_FROM = 100_000  # stores smaller than this build too fast for a bar of their messages


def run_build(
    ws: Workspace, console: Console, *, as_json: bool = False, write_dropped: Path | None = None,
    exports: list[str] | None = None,
) -> BuildResult:
    """Build the dataset, showing progress on ``console``; print the summary (or JSON on stdout)."""
    with ws.open_store() as store:
        total = store.count()
    with RichReporter(console, transient=True) as reporter:
        if total >= BAR_FROM and console.is_terminal:
            reporter.start("build", "building", total)
        result = build_dataset(
            ws, write_dropped=write_dropped, exports=exports or [], progress=lambda n: reporter.advance("build", n), reporter=reporter,
        )
    if as_json:
        from shizu.cli.console import print_json

        print_json(summary_json(result))
    else:
        print_summary(console, result)
    return result


def summary_json(result: BuildResult) -> dict[str, Any]:
    r = result.report
    return {
        "dataset": str(result.dataset_dir),
        "persona": r["persona"],
        "counts": r["counts"],
        "dropped": r["dropped"],
        "tokens": {k: v for k, v in r["tokens"].items() if k != "histogram"},
        "pii": r["pii"]["counts"],
        "media": r["media"],
        "dropped_file": str(result.dropped_path) if result.dropped_path else None,
        "memory": result.memory,
    }


def print_summary(console: Console, result: BuildResult) -> None:
    r = result.report
    c = r["counts"]
    dropped = r["dropped"]
    console.print(
        f"Built [bold]{c['examples']:,}[/] examples ([bold]{c['train_examples']:,}[/] train,"
        f" {c['val_examples']:,} val) from {c['conversations_with_examples']:,} conversations"
        f" for [bold]{escape(r['persona']['name'])}[/]."
    )
    console.print(
        f"  messages       {c['messages']:,} read, {c['messages_kept']:,} kept ({c['persona_messages']:,} yours)"
        + _reasons(dropped["message"])
    )
    console.print(f"  conversations  {c['conversations']:,}, {c['conversations_with_examples']:,} used"
                  + _reasons(dropped["conversation"]))
    console.print(f"  examples       {c['persona_turns']:,} of your turns trained on" + _reasons(dropped["example"]))
    tokens = r["tokens"]
    console.print(f"  length         median {tokens['median']} tokens, max {tokens['max']} (cutoff {tokens['cutoff']},"
                  " estimated as characters / 4)")
    media = r["media"]
    kinds = ", ".join(f"{kind} {n}" for kind, n in media["by_kind"].items() if n)
    console.print(f"  media          {media['items']} catalogue items" + (f" ({kinds})" if kinds else "")
                  + f", {media['emoji']} custom emoji")
    pii = {t: n for t, n in r["pii"]["counts"].items() if n}
    if r["pii"]["redacted"]:
        found = ", ".join(f"{t} {n}" for t, n in pii.items()) or "none found"
        console.print(f"  PII redacted   {found}")
    else:
        console.print("  PII redaction  [yellow]off[/] (\\[privacy] redact_pii = false)")
    memory = result.memory
    if memory is None:
        console.print("  memory         [yellow]off[/] (\\[memory] enabled = false)")
    else:
        console.print(
            f"  memory         {memory['exchanges']:,} of your exchanges ({memory['stored']:,} new or changed,"
            f" {memory['forgotten']:,} forgotten, {memory['embedded']:,} embedded);"
            f" {memory['examples_recalling']:,} examples recall some"
        )
    console.print(f"Dataset: {escape(str(result.dataset_dir))}  (report: report.html)")
    if result.dropped_path:
        console.print(f"Dropped items: {escape(str(result.dropped_path))}")


def _reasons(counts: dict[str, int]) -> str:
    shown = ", ".join(f"{reason} {n:,}" for reason, n in counts.items() if n)
    return f"; dropped: {shown}" if shown else ""
