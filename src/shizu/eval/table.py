"""The side-by-side table: one row per metric, one column per system, the real replies first.

Built from ``report.json``'s dictionary, so the terminal (rich) and the HTML page show the same
rows with the same formatting. ↓ / ↑ say which way is better; style rows are best close to the
real column.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shizu.eval.style import FEATURES

LENGTHS = ("chars_per_message", "words_per_message", "messages_per_burst")  # shown with one decimal
Row = tuple[str, Callable[[dict[str, Any]], str]]  # label, cell formatter


def rows() -> list[Row]:
    """Every row of the table, in order."""
    out: list[Row] = [
        ("detected as generated ↓ (50% = indistinguishable)", lambda s: _detection(s, "accuracy")),
        ("picked as real ↑ (50% = perfect imitation)", lambda s: _detection(s, "picked_as_real")),
        ("  detects most", lambda s: (s.get("detection") or {}).get("strongest") or "—"),
        ("fidelity to the real reply ↑", lambda s: _interval(s, "relevance")),
        ("relevance to the context ↑", lambda s: _interval(s, "context_relevance")),
        ("perplexity of real replies ↓", lambda s: _interval(s, "perplexity", digits=2)),
        ("style distance ↓", lambda s: _num(s["style_distance"], 3)),
    ]
    for feature in FEATURES:
        if feature.key.endswith(("_share", "_rate")):
            out.append((f"  {feature.label}", lambda s, k=feature.key: _pct(s["style"][k])))
        else:
            digits = 1 if feature.key in LENGTHS else 2
            out.append((f"  {feature.label}", lambda s, k=feature.key, d=digits: _num(s["style"][k], d)))
    out += [
        ("  distinct-2", lambda s: _num(s["distinct_2"], 2)),
        ("authorship ↑ (real: ceiling)", _authorship),
        ("fact recall ↑", _recall),
        ("  memory", lambda s: "—" if "memory" not in s else ("on" if s["memory"] else "off")),
        ("self-talk (target 0)", lambda s: _pct(s["self_talk_rate"])),
        ("  before the guard", lambda s: _pct(s["self_talk_rate_before_guard"])),
        ("invented links (target 0)", lambda s: _pct(s["invented_link_rate"])),
        ("  before post-processing", lambda s: _pct(s["invented_link_rate_before_postprocess"])),
        ("verbatim copies (8+ words)", lambda s: _pct(s["verbatim_copy_rate"])),
        ("empty replies", lambda s: str(s["empty_replies"])),
        ("prompts = training render", _prompts),
        ("seconds / reply", lambda s: _num(s.get("seconds_per_reply"), 2)),
    ]
    return out


def cells(report: dict[str, Any]) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """The column headers and, per row, its label and one cell per system."""
    systems = report["systems"]
    return list(systems), [(label, [cell(s) for s in systems.values()]) for label, cell in rows()]


def notes(report: dict[str, Any]) -> list[str]:
    """What the table alone does not say: which differences are significant, and when there are too few turns to tell."""
    out = []
    for c in report.get("comparisons", []):
        for metric, label in (("detection", "detection"), ("fidelity", "fidelity")):
            if metric not in c:
                continue
            d = c[metric]
            diff = d["difference"]
            verdict = "significant" if d["significant"] else "not significant"
            line = f"{c['a']} vs {c['b']}, {label}: {diff['value']:+.3f} [{diff['low']:+.3f}, {diff['high']:+.3f}], {verdict}"
            if d.get("contexts_needed"):
                line += f" (the held-out set is too small to tell; about {d['contexts_needed']} turns would be needed)"
            out.append(line)
        if "warning" in c:
            out.append(c["warning"])
    facts = report.get("facts") or {}
    if facts.get("probes"):
        line = f"fact recall: {len(facts['probes'])} held-out turns repeat a fact (from {facts['source']}); 95% Wilson intervals"
        shown = facts.get("memories_holding_the_fact")
        if shown:
            line += f"; the memories shown held the fact for {shown['recalled']} of them"
        out.append(line)
    return out


def _detection(s: dict[str, Any], key: str) -> str:
    found = (s.get("detection") or {}).get(key)
    return "—" if found is None else f"{found['value']:.0%} [{found['low']:.0%}, {found['high']:.0%}]"


def _interval(s: dict[str, Any], key: str, digits: int = 3) -> str:
    found = s.get("intervals", {}).get(key)
    if found is None:
        return _num(s.get(key), digits)
    return f"{found['value']:,.{digits}f} [{found['low']:,.{digits}f}, {found['high']:,.{digits}f}]"


def _authorship(s: dict[str, Any]) -> str:
    value = _num(s["authorship"], 3)
    ratio = s.get("authorship_vs_real")
    return value if ratio is None or s["kind"] == "reference" else f"{value} ({ratio:.0%})"


def _recall(s: dict[str, Any]) -> str:
    found = s.get("fact_recall")
    if not found or not found["probes"]:
        return "—"
    return f"{found['recalled']}/{found['probes']} [{found['low']:.0%}, {found['high']:.0%}]"


def _prompts(s: dict[str, Any]) -> str:
    return "—" if "prompts_matching_training" not in s else f"{s['prompts_matching_training']}/{s['replies']}"


def _num(value: float | None, digits: int) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"
