"""From each system's replies to the figures of ``report.json`` (the terminal table and the HTML
page are drawn from that same dictionary).

A :class:`Column` is one system's answers to the held-out turns (or the real replies, the
reference). :func:`summarize` turns it into the system's metrics; :func:`turn_rows` keeps every
reply with its per-turn scores, for scripts and for the HTML's examples and plots.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

from shizu.eval.detector import Detection
from shizu.eval.heldout import HeldOutTurn
from shizu.eval.intervals import bootstrap_mean, bootstrap_statistic, contexts_needed, paired_difference
from shizu.eval.perplexity import TurnLoss, perplexity
from shizu.eval.replay import Generated
from shizu.eval.safety import Flags
from shizu.eval.style import Style, distance

REAL = "real"  # the reference column: the persona's real held-out replies
GUARD_RATES = {  # report.json key -> the Flags field it counts
    "self_talk_rate": "self_talk",
    "self_talk_rate_before_guard": "self_talk_before_guard",
    "invented_link_rate": "invented_link",
    "invented_link_rate_before_postprocess": "invented_link_before_postprocess",
    "verbatim_copy_rate": "verbatim_copy",
}


@dataclass(frozen=True)
class Column:
    """One system's replies to the held-out turns (position i answers turn i)."""

    name: str
    kind: str  # "reference", "base", "run" or "server"
    model: str  # what answered, for people
    texts: list[str]  # each reply as the persona's turn (one message per line, tags as in training)
    style: Style
    flags: list[Flags]
    authorship: list[float] | None  # None: no classifier (too little training text)
    relevance: list[float] | None  # None for the real replies (they are the reference)
    losses: dict[str, TurnLoss] | None  # None: no perplexity (a server, or the real replies)
    generated: list[Generated] | None = None  # None for the real replies
    context_relevance: list[float] | None = None  # similarity of each reply to the line it answers
    detection: Detection | None = None  # the detector against the real replies (None: the real replies, or too few turns)


def summarize(column: Column, real: Column, turns: Sequence[HeldOutTurn], seed: int = 0) -> dict[str, Any]:
    """The column's metrics, each computed the same way as for the real replies, with 95% intervals.

    ``intervals`` holds each per-context figure's bootstrap interval over the held-out contexts
    (:mod:`shizu.eval.intervals`); ``detection`` the detector's verdict (:mod:`shizu.eval.detector`).
    """
    n = len(column.texts)
    out: dict[str, Any] = {"kind": column.kind, "model": column.model, "replies": n}
    intervals: dict[str, Any] = {}
    if column.losses is not None:
        scored = [column.losses[t.key] for t in turns if t.key in column.losses]
        out["perplexity"] = perplexity(scored)
        out["perplexity_tokens"] = sum(loss.tokens for loss in scored)
        estimate = bootstrap_statistic(scored, perplexity, seed=seed)  # type: ignore[arg-type]
        if estimate is not None:
            intervals["perplexity"] = estimate.to_json()
    else:
        out["perplexity"] = None
    out["style"] = column.style.means()
    out["distinct_2"] = column.style.distinct_2
    out["style_distance"], out["style_distance_per_feature"] = distance(column.style, real.style)
    out["authorship"] = _mean(column.authorship)
    if column.authorship is not None and real.authorship:
        ceiling = _mean(real.authorship)
        out["authorship_vs_real"] = out["authorship"] / ceiling if ceiling else None
    out["relevance"] = _mean(column.relevance)
    out["context_relevance"] = _mean(column.context_relevance)
    for key, flag in GUARD_RATES.items():
        out[key] = sum(getattr(f, flag) for f in column.flags) / n if n else 0.0
    per_context = {
        "authorship": column.authorship, "relevance": column.relevance, "context_relevance": column.context_relevance,
        **{key: [float(getattr(f, flag)) for f in column.flags] for key, flag in GUARD_RATES.items()},
    }
    for key, values in per_context.items():
        if values:
            intervals[key] = bootstrap_mean(values, seed=seed).to_json()
    out["intervals"] = intervals
    out["detection"] = column.detection.to_json() if column.detection is not None else None
    out["empty_replies"] = sum(1 for text in column.texts if not text.strip())
    if column.generated is not None:
        out["stops"] = dict(Counter(g.reply.stop for g in column.generated))
        out["prompts_matching_training"] = sum(g.matches_training for g in column.generated)
        out["seconds_per_reply"] = sum(g.seconds for g in column.generated) / n if n else 0.0
    return out


def turn_rows(turns: Sequence[HeldOutTurn], columns: Sequence[Column]) -> list[dict[str, Any]]:
    """Every held-out turn with its context, the real reply and each system's reply and scores."""
    rows = []
    for i, turn in enumerate(turns):
        replies: dict[str, Any] = {}
        for column in columns:
            entry: dict[str, Any] = {"text": column.texts[i]}
            if column.generated is not None:
                reply = column.generated[i].reply
                entry["sent"] = reply.texts
                entry["stop"] = reply.stop
                entry["memories"] = [r.memory.key for r in reply.memories]
            if column.authorship is not None:
                entry["authorship"] = column.authorship[i]
            if column.relevance is not None:
                entry["relevance"] = column.relevance[i]
            if column.losses is not None and turn.key in column.losses:
                entry["perplexity"] = perplexity([column.losses[turn.key]])
            entry["flags"] = [f.name for f in fields(Flags) if getattr(column.flags[i], f.name)]
            replies[column.name] = entry
        rows.append({
            "id": turn.key, "where": turn.where, "context": [dict(m) for m in turn.context[1:]],
            "system_prompt": turn.context[0]["content"], "replies": replies,
        })
    return rows


def compare(columns: Sequence[Column], seed: int = 0) -> list[dict[str, Any]]:
    """Every pair of systems on the same contexts: detection and fidelity differences, and whether they are significant.

    A system that is significantly harder to detect but significantly further from what the
    person meant (lower fidelity to the real reply) is flagged: generic, safe replies pass a
    detector and say nothing, so neither figure is read alone.
    """
    out = []
    systems = [c for c in columns if c.kind != "reference"]
    for i, a in enumerate(systems):
        for b in systems[i + 1:]:
            entry: dict[str, Any] = {"a": a.name, "b": b.name}
            if a.detection is not None and b.detection is not None:
                entry["detection"] = _difference(a.detection.per_context, b.detection.per_context, seed)
                entry["picked_as_real"] = _difference(a.detection.picked, b.detection.picked, seed)
            if a.relevance and b.relevance:
                entry["fidelity"] = _difference(a.relevance, b.relevance, seed)
            detection, fidelity = entry.get("detection"), entry.get("fidelity")
            if detection and fidelity and detection["significant"] and fidelity["significant"]:
                harder = a.name if detection["difference"]["value"] < 0 else b.name
                drifts = a.name if fidelity["difference"]["value"] < 0 else b.name
                if harder == drifts:
                    entry["warning"] = f"{harder} is harder to detect but further from what the person meant (lower fidelity)"
            out.append(entry)
    return out


def _difference(a: Sequence[float], b: Sequence[float], seed: int) -> dict[str, Any]:
    diff = paired_difference(a, b, seed=seed)
    return {"difference": diff.estimate.to_json(), "significant": diff.significant, "contexts_needed": contexts_needed(diff)}


def _mean(values: Sequence[float] | None) -> float | None:
    return sum(values) / len(values) if values else None
