"""The build report: ``report.json`` (machine-readable), ``report.html`` and its PNG plots.

It answers what a user checks before training: how many messages survived each stage and why the
others were dropped, where the examples come from (channels, conversation partners, months), how
long they are against the token cutoff, what PII was redacted (types and counts, samples shown
redacted only), the media catalogue by kind, and three rendered examples. Plots are drawn with
matplotlib's Agg canvas (``matplotlib.figure.Figure``: no GUI, no global pyplot state).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import msgspec

from shizu.chat.media import MEDIA_KINDS
from shizu.config import Config
from shizu.dataset.catalogue import Catalogue
from shizu.dataset.filters import STAGES
from shizu.dataset.me import Identity
from shizu.dataset.tally import Tally

TOP_ROWS = 30  # channels / partners listed
HIST_BINS = 40
PLOTS = ("lengths.png", "activity.png")
COUNT_KEYS = (
    "messages", "messages_kept", "persona_messages", "conversations", "conversations_with_examples",
    "train_conversations", "val_conversations", "examples", "train_examples", "val_examples", "persona_turns",
)


def write_report(out: Path, tally: Tally, persona: Identity, config: Config, catalogue: Catalogue) -> dict[str, Any]:
    """Write ``report.json``, ``report.html`` and the plots into ``out``; return the report."""
    report = build_report(tally, persona, config, catalogue)
    (out / "report.json").write_bytes(msgspec.json.format(msgspec.json.encode(report)) + b"\n")
    _plot_lengths(out / PLOTS[0], report["tokens"])
    _plot_activity(out / PLOTS[1], report["examples_per_month"])
    (out / "report.html").write_text(_html(report), encoding="utf-8")
    return report


def build_report(tally: Tally, persona: Identity, config: Config, catalogue: Catalogue) -> dict[str, Any]:
    import numpy as np

    tokens = np.frombuffer(tally.example_tokens, dtype=np.uint32)  # a build with no example stops before
    cutoff = config.build.max_context_tokens
    counts, edges = np.histogram(tokens, bins=HIST_BINS, range=(0, max(cutoff, int(tokens.max())) + 1))
    by_kind = {kind: 0 for kind in MEDIA_KINDS}
    for entry in catalogue.entries():
        by_kind[entry.kind] += 1
    pii_counts: dict[str, int] = {}
    if config.privacy.redact_pii:
        from shizu.dataset.privacy import PII_TYPES

        pii_counts = {t: tally.pii[t] for t in PII_TYPES}
    return {
        "persona": {"name": persona.name, "me": list(persona.ids)},
        "counts": {key: tally.stages[key] for key in COUNT_KEYS},
        "dropped": {stage: {r: tally.dropped[stage][r] for r in reasons} for stage, reasons in STAGES.items()},
        "persona_dropped": dict(tally.persona_dropped.most_common()),
        "examples_per_channel": dict(tally.per_channel.most_common(TOP_ROWS)),
        "examples_per_partner": dict(tally.per_partner.most_common(TOP_ROWS)),
        "examples_per_month": dict(sorted(tally.per_month.items())),
        "tokens": {
            "estimate": "characters / 4",
            "cutoff": cutoff,
            "mean": round(float(tokens.mean()), 1),
            "median": int(np.median(tokens)),
            "p95": int(np.percentile(tokens, 95)),
            "max": int(tokens.max()),
            "histogram": {"edges": [int(e) for e in edges], "counts": [int(c) for c in counts]},
        },
        "pii": {"redacted": config.privacy.redact_pii, "counts": pii_counts, "samples": list(tally.pii_samples)},
        "pseudonymized": config.privacy.pseudonymize,
        "opted_out": len(config.privacy.opt_out),
        "media": {
            "items": sum(by_kind.values()),
            "by_kind": by_kind,
            "emoji": len(catalogue.emoji),
            "withheld": catalogue.withheld,
            "dropped": dict(sorted(catalogue.dropped.items())),
        },
        "samples": tally.samples,
    }


def _plot_lengths(path: Path, tokens: dict[str, Any]) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 3.2), dpi=100)
    ax = fig.add_subplot()
    ax.stairs(tokens["histogram"]["counts"], tokens["histogram"]["edges"], fill=True, color="#4c6ef5")
    ax.axvline(tokens["cutoff"], color="#e03131", linestyle="--", label=f"cutoff {tokens['cutoff']}")
    ax.set_xlabel("tokens per example (characters / 4)")
    ax.set_ylabel("examples")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)


def _plot_activity(path: Path, per_month: dict[str, int]) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 3.2), dpi=100)
    ax = fig.add_subplot()
    months = list(per_month)
    ax.bar(range(len(months)), list(per_month.values()), color="#d6336c")
    step = max(1, len(months) // 12)
    ax.set_xticks(range(0, len(months), step), months[::step], rotation=45, ha="right")
    ax.set_ylabel("examples")
    fig.tight_layout()
    fig.savefig(path)


def _html(report: dict[str, Any]) -> str:
    e = html.escape
    counts = report["counts"]
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>Shizu dataset report: {e(report['persona']['name'])}</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
        "table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{padding:.2rem .8rem;border-bottom:1px solid #ddd;"
        "text-align:left}td.n{text-align:right}pre{white-space:pre-wrap;background:#f6f6f6;padding:.6rem}"
        ".assistant{color:#a61e4d}.system{color:#666}</style></head><body>",
        f"<h1>Dataset report: {e(report['persona']['name'])}</h1>",
        f"<p>{counts['examples']:,} examples ({counts['train_examples']:,} train, {counts['val_examples']:,} val)"
        f" from {counts['conversations_with_examples']:,} conversations.</p>",
        "<h2>Stages</h2>", _table(("stage", "count"), [(k.replace("_", " "), v) for k, v in counts.items()]),
        "<h2>Dropped</h2>",
        _table(("stage", "reason", "count"), [
            (stage, reason, n) for stage, reasons in report["dropped"].items() for reason, n in reasons.items()
        ]),
        "<h2>Examples per channel</h2>", _table(("channel", "examples"), report["examples_per_channel"].items()),
        "<h2>Examples per conversation partner</h2>",
        _table(("partner", "examples"), report["examples_per_partner"].items()),
        "<h2>Length</h2>",
        f"<p>Tokens per example (estimated as characters / 4): mean {report['tokens']['mean']},"
        f" median {report['tokens']['median']}, 95th percentile {report['tokens']['p95']},"
        f" max {report['tokens']['max']}; cutoff {report['tokens']['cutoff']}.</p>",
        f"<img src='{PLOTS[0]}' alt='token length histogram'>",
        "<h2>Activity</h2>", f"<img src='{PLOTS[1]}' alt='examples per month'>",
        "<h2>Privacy</h2>",
        f"<p>PII redaction {'on' if report['pii']['redacted'] else 'off'}; pseudonyms"
        f" {'on' if report['pseudonymized'] else 'off'}; {report['opted_out']} person(s) opted out.</p>",
        _table(("type", "redacted"), report["pii"]["counts"].items()),
        "".join(f"<pre>{e(s)}</pre>" for s in report["pii"]["samples"]),
        "<h2>Media catalogue</h2>",
        _table(("kind", "items"), [*report["media"]["by_kind"].items(), ("custom emoji", report["media"]["emoji"])]),
        "<h2>Sample examples</h2>",
    ]
    for sample in report["samples"]:
        lines = "\n".join(f"<span class='{m['role']}'>[{m['role']}]</span>\n{e(m['content'])}" for m in sample)
        parts.append(f"<pre>{lines}</pre>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _table(header: tuple[str, ...], rows) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(
            f"<td class='n'>{cell:,}</td>" if isinstance(cell, int) else f"<td>{html.escape(str(cell))}</td>"
            for cell in row
        ) + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"
