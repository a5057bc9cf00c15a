"""The HTML report of ``shizu stats``: ``reports/stats/index.html`` with PNG activity plots.

The plots are drawn with matplotlib's Agg canvas (``matplotlib.figure.Figure``, no GUI, no global
pyplot state). The terminal summary is the CLI's (:mod:`shizu.cli.stats_view`).
"""

from __future__ import annotations

import html
from bisect import bisect_left
from datetime import UTC, datetime
from itertools import accumulate
from pathlib import Path
from typing import TYPE_CHECKING

from shizu.errors import WorkspaceError
from shizu.store import MessageStore
from shizu.store.summary import LENGTH_CAP, Activity, StoreStats, activity

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

REPORT_ROWS = 25  # authors and channels listed in the HTML report
MINE_COLOR = "#d6336c"
OTHERS_COLOR = "#868e96"
PLOTS = ("over_time.png", "hour_of_day.png", "lengths.png")


def write_report(store: MessageStore, stats: StoreStats, out_dir: Path) -> Path:
    """Write ``index.html`` and its PNG plots into ``out_dir``; return the HTML file's path."""
    if not stats.messages or stats.first is None or stats.last is None:
        raise WorkspaceError(
            f"The message store {store.path} is empty: there is nothing to report on",
            hint="Run `shizu ingest PATH...` with your exports first.",
        )
    act = activity(store, stats.me, stats.first, stats.last)
    out_dir.mkdir(parents=True, exist_ok=True)
    persona = bool(stats.me)
    _plot_over_time(act, persona, out_dir / PLOTS[0])
    _plot_hours(act, persona, out_dir / PLOTS[1])
    _plot_lengths(act, persona, out_dir / PLOTS[2])
    index = out_dir / "index.html"
    index.write_text(_render_html(stats, act), encoding="utf-8")
    return index


def _figure() -> tuple[Figure, Axes]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 3.6), dpi=100, layout="constrained")
    return fig, fig.add_subplot()


def _series_labels(persona: bool) -> tuple[str, str]:
    return ("you", "others") if persona else ("", "everyone")


def _plot_over_time(act: Activity, persona: bool, path: Path) -> None:
    fig, ax = _figure()
    mine_label, others_label = _series_labels(persona)
    width = 6 if act.period == "week" else 27
    if persona:
        ax.bar(act.period_starts, act.period_mine, width=width, align="edge", color=MINE_COLOR, label=mine_label)
    ax.bar(
        act.period_starts, act.period_others, width=width, align="edge", bottom=act.period_mine,
        color=OTHERS_COLOR, label=others_label,
    )
    ax.set_title(f"Messages per {act.period}")
    ax.set_ylabel("messages")
    fig.legend(loc="outside upper right", ncols=2)
    fig.savefig(path)


def _plot_hours(act: Activity, persona: bool, path: Path) -> None:
    fig, ax = _figure()
    mine_label, others_label = _series_labels(persona)
    hours = range(24)
    if persona:
        ax.bar([h - 0.2 for h in hours], _percent(act.hour_mine), width=0.4, color=MINE_COLOR, label=mine_label)
    ax.bar(
        [h + 0.2 if persona else h for h in hours], _percent(act.hour_others), width=0.4 if persona else 0.8,
        color=OTHERS_COLOR, label=others_label,
    )
    ax.set_xticks(list(hours))
    ax.set_title("Hour of day (UTC)")
    ax.set_ylabel("% of messages")
    fig.legend(loc="outside upper right", ncols=2)
    fig.savefig(path)


def _plot_lengths(act: Activity, persona: bool, path: Path) -> None:
    fig, ax = _figure()
    mine_label, others_label = _series_labels(persona)
    edges = list(range(0, LENGTH_CAP + 11, 10))
    series = [(act.length_others, OTHERS_COLOR, others_label)]
    if persona:
        series.append((act.length_mine, MINE_COLOR, mine_label))
    for counts, color, label in series:
        ax.hist(
            range(LENGTH_CAP + 1), bins=edges, weights=_percent(counts), histtype="step",
            linewidth=2, color=color, label=label,
        )
    ax.set_title("Message length")
    ax.set_xlabel(f"characters (the last bin holds {LENGTH_CAP} and longer)")
    ax.set_ylabel("% of messages")
    fig.legend(loc="outside upper right", ncols=2)
    fig.savefig(path)


def _percent(counts: list[int]) -> list[float]:
    total = sum(counts)
    return [100 * n / total if total else 0.0 for n in counts]


def median_length(counts: list[int]) -> int | None:
    """Median of a length histogram (index = length); ``None`` for no messages."""
    total = sum(counts)
    return bisect_left(list(accumulate(counts)), total / 2) if total else None


def _n(value: int | None) -> str:
    return "-" if value is None else str(value)


def _date(ts: datetime | None) -> str:
    return ts.strftime("%Y-%m-%d") if ts else "-"


def _render_html(stats: StoreStats, act: Activity) -> str:
    e = html.escape
    kinds = ", ".join(f"{e(kind)} {n:,}" for kind, n in stats.channels_by_kind.items())
    me_med, others_med = median_length(act.length_mine), median_length(act.length_others)
    rows = [
        ("Messages", f"{stats.messages:,}"),
        ("Date range (UTC)", f"{_date(stats.first)} → {_date(stats.last)}"),
        ("Channels", f"{stats.channels:,} ({kinds})"),
        ("Authors", f"{len(stats.authors):,}"),
        ("Bot / system messages", f"{stats.bot_messages:,} / {stats.system_messages:,}"),
        ("Me", e(", ".join(stats.me)) + f" — {stats.me_messages:,} messages" if stats.me else "not set"),
        ("Median length (chars)", f"you {_n(me_med)}, others {_n(others_med)}" if stats.me else _n(others_med)),
    ]
    summary = "\n".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    authors = "\n".join(
        f"<tr{' class=me' if a.me else ''}><td>{e(a.id)}</td><td>{e(a.name)}</td><td>{e(a.username)}</td>"
        f"<td class=n>{a.messages:,}</td><td>{'bot' if a.bot else ''}</td></tr>"
        for a in stats.authors[:REPORT_ROWS]
    )
    channels = "\n".join(
        f"<tr><td>{e(c.id)}</td><td>{e(c.label)}</td><td>{e(c.kind)}</td><td class=n>{c.messages:,}</td></tr>"
        for c in stats.per_channel[:REPORT_ROWS]
    )
    captions = (
        f"Messages per {act.period}",
        "Hour of day (UTC), as a share of each group's messages",
        "Message length distribution",
    )
    figures = "\n".join(
        f'<figure><img src="{name}" alt="{e(caption)}"><figcaption>{e(caption)}</figcaption></figure>'
        for name, caption in zip(PLOTS, captions)
    )
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Shizu — store statistics</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 960px; margin: 2em auto; color: #212529; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
th, td {{ text-align: left; padding: .2em .8em; border-bottom: 1px solid #dee2e6; }}
td.n {{ text-align: right; font-variant-numeric: tabular-nums; }}
tr.me td {{ color: {MINE_COLOR}; font-weight: 600; }}
img {{ max-width: 100%; }} figcaption {{ color: #6c757d; }}
</style></head><body>
<h1>Store statistics</h1>
<p>Generated {generated}. Plots count people only: bots and system messages are left out.</p>
<table>{summary}</table>
{figures}
<h2>Top authors</h2>
<table><tr><th>id</th><th>name</th><th>username</th><th>messages</th><th></th></tr>
{authors}</table>
<h2>Top channels</h2>
<table><tr><th>id</th><th>channel</th><th>kind</th><th>messages</th></tr>
{channels}</table>
</body></html>
"""
