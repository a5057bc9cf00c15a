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
        ("perplexity of real replies ↓", lambda s: _num(s.get("perplexity"), 2)),
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
        ("relevance to real reply ↑", lambda s: _num(s["relevance"], 3)),
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


def _authorship(s: dict[str, Any]) -> str:
    value = _num(s["authorship"], 3)
    ratio = s.get("authorship_vs_real")
    return value if ratio is None or s["kind"] == "reference" else f"{value} ({ratio:.0%})"


def _prompts(s: dict[str, Any]) -> str:
    return "—" if "prompts_matching_training" not in s else f"{s['prompts_matching_training']}/{s['replies']}"


def _num(value: float | None, digits: int) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"
