"""How ``shizu stats`` shows the store in the terminal (the HTML report is :mod:`shizu.stats.report`'s).

This is where a user finds their own id: when "me" is unknown it names the likely candidates and
the exact ``shizu.toml`` line to add; configured ids that match no message are flagged.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from shizu.store.summary import StoreStats

TOP_AUTHORS = 10  # authors listed in the terminal
TOP_CHANNELS = 5


def print_stats(console: Console, stats: StoreStats, config_path: Path) -> None:
    """Print the summary, then what the user should do about "me" if anything."""
    if not stats.messages:
        console.print("The message store is empty: nothing has been ingested yet.")
        console.print("Next: [bold]shizu ingest PATH...[/] with your exports (files, folders or zips).")
        return
    console.print(f"[bold]Messages[/]  {stats.messages:,}  ({_date(stats.first)} → {_date(stats.last)}, UTC)")
    if stats.bot_messages or stats.system_messages:
        console.print(f"          {stats.bot_messages:,} from bots, {stats.system_messages:,} system messages")
    kinds = ", ".join(f"{kind} {n:,}" for kind, n in stats.channels_by_kind.items())
    console.print(f"[bold]Channels[/]  {stats.channels:,} ({kinds})")
    for ch in stats.per_channel[:TOP_CHANNELS]:
        console.print(f"          {ch.messages:>9,}  {escape(ch.label)}", soft_wrap=True)
    console.print()
    console.print(_authors_table(stats))
    console.print()
    _print_me(console, stats, config_path)


def _authors_table(stats: StoreStats) -> Table:
    shown = stats.authors[:TOP_AUTHORS]
    table = Table(
        title=f"Top authors ({len(shown)} of {len(stats.authors):,})", title_justify="left",
        show_edge=False, pad_edge=False,
    )
    for col in ("id", "name", "messages", "share", ""):
        table.add_column(col, justify="right" if col in ("messages", "share") else "left")
    for a in shown:
        name = Text(a.name)
        if a.username and a.username != a.name:
            name.append(f" @{a.username}", style="dim")
        marks = " ".join(m for m, on in (("me", a.me), ("bot", a.bot)) if on)
        table.add_row(a.id, name, f"{a.messages:,}", f"{100 * a.messages / stats.messages:.1f}%", marks)
    return table


def _print_me(console: Console, stats: StoreStats, config_path: Path) -> None:
    names = {a.id: a for a in stats.authors}
    if stats.me:
        who = ", ".join(escape(f"{uid} ({names[uid].name})" if uid in names else uid) for uid in stats.me)
        share = 100 * stats.me_messages / stats.messages
        console.print(f"[bold]Me[/]  {who}: {stats.me_messages:,} messages ({share:.1f}%)")
        for uid in stats.me_without_messages:
            origin = "from a data package" if uid in stats.me_accounts else f"from [persona] me in {config_path}"
            console.print(
                f"[yellow]warning:[/] \"me\" id {escape(uid)} ({escape(origin)}) has no messages in the store.",
                soft_wrap=True,
            )
        if stats.me_without_messages:
            console.print(
                "  Check the id against the authors above (ids, not names), or ingest exports that contain"
                " your own messages."
            )
        return
    console.print("[bold yellow]\"me\" is not set:[/] Shizu does not know which author is you yet.")
    if stats.me_candidates:
        console.print("Authors who could be you (an export's owner is in every DM it covers):")
        table = Table(show_edge=False, pad_edge=False, box=None)
        for col in ("id", "name", "messages", "DMs/groups"):
            table.add_column(col, justify="right" if col in ("messages", "DMs/groups") else "left")
        for c in stats.me_candidates:
            table.add_row(c.id, Text(c.name), f"{c.messages:,}", str(c.dm_channels))
        console.print(table)
        example = stats.me_candidates[0].id
        console.print(escape(f"Set your id in the [persona] section of {config_path}, for example:"), soft_wrap=True)
        console.print(f'    me = ["{example}"]', highlight=False)
    console.print(
        "Or ingest your Discord data package (Settings → Privacy → Request data): it names your account."
    )


def _date(ts: datetime | None) -> str:
    return ts.strftime("%Y-%m-%d") if ts else "-"
