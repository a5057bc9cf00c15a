"""``report.html``: the side-by-side table, distribution plots and a few example exchanges.

Everything is drawn from ``report.json``'s dictionary: the plots measure the replies kept in
``turns`` again with :func:`shizu.eval.style.measure`, so they show exactly the values the table
averages. The plots use matplotlib's Agg canvas (``matplotlib.figure.Figure``: no GUI, no global
pyplot state) and are written next to the page as ``distributions.png``.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from shizu.eval.heldout import spread
from shizu.eval.report import REAL
from shizu.eval.style import measure
from shizu.eval.table import cells, notes

PLOT = "distributions.png"
EXAMPLES = 4  # example exchanges shown, evenly spread over the held-out turns
CONTEXT_MESSAGES = 3  # context messages shown before each example's replies
SCORES = ("authorship", "relevance")  # per-turn scores in [0, 1]; the other panels are counts
PANELS = (  # (style feature or per-turn score, title)
    ("chars_per_message", "characters per message"),
    ("words_per_message", "words per message"),
    ("messages_per_burst", "messages per burst"),
    ("distinctive_words_per_message", "distinctive words per message"),
    ("authorship", "authorship probability per reply"),
    ("relevance", "relevance to the real reply"),
)


def write_page(report: dict[str, Any], out_dir: Path) -> Path:
    """Write ``report.html`` and its plot into ``out_dir``; return the page's path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    plot_distributions(report, out_dir / PLOT)
    page = out_dir / "report.html"
    page.write_text(render(report), encoding="utf-8")
    return page


def distributions(report: dict[str, Any]) -> dict[str, dict[str, list[float]]]:
    """``{panel: {system: values}}`` for the plots (systems without a value are left out)."""
    words = frozenset(report["distinctive_words"])
    out: dict[str, dict[str, list[float]]] = {key: {} for key, _ in PANELS}
    for name in report["systems"]:
        replies = [row["replies"][name] for row in report["turns"]]
        values = measure([r["text"] for r in replies], words).values
        for key, _ in PANELS:
            if key in values:
                out[key][name] = values[key]
            elif all(key in r for r in replies) and replies:
                out[key][name] = [r[key] for r in replies]
    return out


def plot_distributions(report: dict[str, Any], path: Path) -> None:
    """One histogram panel per measure: the real replies against each system.

    Counts are cut at the real replies' maximum or the 95th percentile of all values, whichever is
    higher; longer values are drawn in the last bar (a rambling system does not squash the rest).
    """
    import numpy as np
    from matplotlib.figure import Figure

    data = distributions(report)
    fig = Figure(figsize=(11, 6.4), dpi=100, layout="constrained")
    axes = fig.subplots(2, 3).flatten()
    for ax, (key, title) in zip(axes, PANELS):
        series = {name: np.asarray(values, dtype=float) for name, values in data[key].items() if values}
        if series:
            every = np.concatenate(list(series.values()))
            if key in SCORES:
                bins = np.linspace(min(every.min(), 0.0), max(every.max(), 1.0), 21)
            else:
                top = float(np.ceil(max(series[REAL].max() if REAL in series else 0.0, np.percentile(every, 95))))
                step = max(1, int(np.ceil((top + 1) / 30)))
                bins = np.arange(-0.5, top + step + 0.5, step)
                if every.max() > top:
                    title += f" (≥ {top:g} in the last bar)"
                series = {name: np.minimum(values, top) for name, values in series.items()}
            for name, values in series.items():
                real = name == REAL
                ax.hist(values, bins=bins, histtype="stepfilled" if real else "step", density=True, label=name,
                        color="#adb5bd" if real else None, alpha=0.7 if real else 1.0, linewidth=1.6)
        ax.set_title(title, fontsize=10)
        ax.tick_params(labelsize=8)
    axes[0].legend(fontsize=8)
    fig.suptitle("Distributions: the real replies (grey) against each system")
    fig.savefig(path)


def render(report: dict[str, Any]) -> str:
    """The HTML page."""
    names, table = cells(report)
    head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
    body = "".join(
        f"<tr><td>{html.escape(label)}</td>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
        for label, row in table
    )
    systems = "".join(f"<li><b>{html.escape(n)}</b>: {html.escape(s['model'])}</li>" for n, s in report["systems"].items())
    data = report["dataset"]
    classifier = report["authorship_classifier"]
    accuracy = classifier["heldout_balanced_accuracy"] if classifier else None
    parts = [
        "<!doctype html><meta charset=utf-8>",
        f"<title>shizu eval: {html.escape(report['persona'])}</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem}"
        "table{border-collapse:collapse}td,th{padding:.2rem .7rem;border-bottom:1px solid #ddd;text-align:right}"
        "td:first-child,th:first-child{text-align:left;white-space:pre}"
        ".ex{border:1px solid #ddd;border-radius:6px;padding:.6rem 1rem;margin:1rem 0}"
        ".ex pre{white-space:pre-wrap;margin:.2rem 0 .6rem;font-family:inherit}.ctx{color:#666}</style>",
        f"<h1>How much does it sound like {html.escape(report['persona'])}?</h1>",
        f"<p>{data['turns']} held-out persona turns (of {data['turns_available']}) from {data['conversations']} "
        f"conversations of <code>{html.escape(data['val'])}</code>, never trained on. Created {html.escape(report['created'])}.</p>",
        f"<ul>{systems}</ul>",
        f"<table><tr><th>metric</th>{head}</tr>{body}</table>",
        "<p>Intervals: 95%, bootstrap over the held-out contexts. Detection: the share of replies a detector trained on"
        " real vs generated replies classifies right; 50% means it cannot tell them from the person's own.</p>",
        *(f"<p>{html.escape(line)}</p>" for line in notes(report)),
        *_human(report),
        f"<p>Distinctive words (the persona's top terms versus everyone else's in train.jsonl): "
        f"{html.escape(', '.join(report['distinctive_words']) or 'none')}.</p>",
        "<p>Authorship classifier: " + (
            f"balanced accuracy {accuracy:.1%} on the held-out turns of the persona and of the others.</p>"
            if accuracy is not None else "not trained (too little text).</p>"
        ),
        f'<h2>Distributions</h2><img src="{PLOT}" alt="distributions" style="max-width:100%">',
        "<h2>Examples</h2>",
        *(_example(row) for row in spread(report["turns"], EXAMPLES)),
    ]
    return "\n".join(parts) + "\n"


def _example(row: dict[str, Any]) -> str:
    context = row["context"][-CONTEXT_MESSAGES:]
    lines = "".join(f"<pre class=ctx>{html.escape(_speaker(m))}{html.escape(m['content'])}</pre>" for m in context)
    replies = "".join(
        f"<b>{html.escape(name)}</b>" + (f" <small>stop: {html.escape(entry['stop'])}</small>" if entry.get("stop") else "")
        + f"<pre>{html.escape(entry['text']) or '<i>(nothing)</i>'}</pre>"
        for name, entry in row["replies"].items()
    )
    return f"<div class=ex><small>{html.escape(row['id'])}</small>{lines}{replies}</div>"


def _speaker(message: dict[str, str]) -> str:
    return "(persona) " if message["role"] == "assistant" else ""


def _human(report: dict[str, Any]) -> list[str]:
    """The blind test's answers beside the detector's, when people answered (``report["human"]``)."""
    human = report.get("human")
    if not human:
        return []
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{h['answers']}</td><td>{h['picked_as_real']:.0%} [{h['low']:.0%}, {h['high']:.0%}]</td></tr>"
        for name, h in human.items()
    )
    return ["<h2>People's blind test</h2>", "<table><tr><th>system</th><th>answers</th><th>picked as real</th></tr>" + rows + "</table>"]
