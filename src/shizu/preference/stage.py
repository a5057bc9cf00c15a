"""``shizu train --preference``: rounds of self-play and DPO on top of a finished run.

Each round (SPIN's iterations, ``--rounds N``) has the latest run answer ``--pairs`` training
contexts (evenly spread over ``train.jsonl``) through the persona runtime (:mod:`.selfplay`),
adds the feedback on the live bot (:mod:`.feedback`: rerolls and blind-test answers as pairs,
thumbs as ratings), then trains a new run on them with the latest run as parent and reference
(:func:`shizu.train.dpo.train_stage`, ``--objective dpo`` or ``kto``): round 1 continues
``--parent`` (default: the latest finished supervised run), round 2 the run round 1 wrote, and so
on. With one round the run is ``--name``; with several, ``<name>-r1``, ``<name>-r2``...
``--resume`` finishes the interrupted round from its checkpoint, on its own data, and goes on with
the rounds left. ``--pairs-from RUN`` trains round 1 on the pairs and ratings an earlier stage made
(its parent's replies, kept in its ``pairs.jsonl`` and ``ratings.jsonl``) instead of making them
again: another ``--beta``, ``--lr`` or ``--objective`` on the very same data, minutes sooner.

Everything that can be wrong with the options is checked before the first reply is generated.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from shizu import runs
from shizu.dataset.reader import built_sha256
from shizu.errors import TrainError
from shizu.eval.heldout import HeldOutTurn, read_corpus, read_heldout, spread
from shizu.eval.relevance import embedding, load_embedder
from shizu.eval.style import distinctive_words
from shizu.extras import quiet_libraries, require
from shizu.persona import Persona
from shizu.persona.backends.local import pick_device
from shizu.preference.feedback import feedback_signals
from shizu.preference.passing import without_passing
from shizu.preference.selfplay import self_play
from shizu.preference.signals import History
from shizu.progress import QUIET, Reporter
from shizu.store.feedback import FeedbackItem, FeedbackTable
from shizu.train import dpo
from shizu.train.pair import PAIRS_FILE, Pair, Rating, read_items, read_ratings
from shizu.train.recipe import TrainResult, read_dataset
from shizu.workspace import Workspace

DEFAULT_CONTEXTS = 200  # training contexts answered per round: one reply each (~1-3 s on a laptop CPU with SmolLM2)


@dataclass(frozen=True)
class PreferenceOptions:
    """The flags of ``shizu train --preference``; ``None``: not given (the default, or with
    ``--resume`` the interrupted run's own)."""

    parent: str | None = None  # --parent: the run to continue (default: the latest finished supervised run)
    rounds: int | None = None  # default 1
    contexts: int | None = None  # --pairs: training contexts answered per round, evenly spread (default DEFAULT_CONTEXTS)
    pairs_from: str | None = None  # --pairs-from: a finished preference run whose pairs round 1 trains on
    beta: float | None = None  # default dpo.DEFAULT_BETA
    learning_rate: float | None = None
    steps: int | None = None
    epochs: float | None = None
    sft_weight: float | None = None  # default dpo.DEFAULT_SFT_WEIGHT with DPO, 0 with KTO
    objective: str | None = None  # "dpo" (default) or "kto"
    skip_passing: bool | None = None  # --skip-passing: leave out self-play pairs whose loser passes the detector (default off)
    qlora: bool | None = None
    name: str | None = None
    resume: bool = False
    seed: int = 0

    def given(self) -> list[str]:
        """The flags set, besides --name and --resume (a resumed run takes none)."""
        flags = {
            "--parent": self.parent, "--rounds": self.rounds, "--pairs": self.contexts, "--pairs-from": self.pairs_from, "--beta": self.beta, "--lr": self.learning_rate,
            "--steps": self.steps, "--epochs": self.epochs, "--sft-weight": self.sft_weight, "--objective": self.objective,
            "--skip-passing": self.skip_passing, "--qlora": self.qlora,
        }
        return [flag for flag, value in flags.items() if value is not None]


def train_preference(ws: Workspace, options: PreferenceOptions, reporter: Reporter = QUIET) -> TrainResult:
    """Run (or resume) the preference rounds; the result is the last run's (or the interrupted one's)."""
    quiet_libraries()
    if options.resume:
        return _resume(ws, options, reporter)
    rounds, contexts = options.rounds or 1, options.contexts or DEFAULT_CONTEXTS
    if rounds < 1 or contexts < 1:
        raise TrainError("--rounds and --pairs must be at least 1", hint="For example `shizu train --preference --rounds 2 --pairs 200`.")
    if options.pairs_from is not None:
        parent = _pairs_parent(ws, options.pairs_from, options)
    else:
        parent = options.parent or dpo.latest_parent(ws)
    if parent not in runs.finished_runs(ws.runs_dir):
        raise TrainError(
            f"No finished run named {parent!r} in {ws.runs_dir} to continue",
            hint=f"Pick one of: {', '.join(runs.finished_runs(ws.runs_dir)) or 'none yet (train one with `shizu train`)'}.",
        )
    series = options.name or datetime.now().strftime("%Y%m%d-%H%M%S") + "-pref"
    first = _settings(series, parent, 1, options)
    problems = first.problems()
    if problems:
        raise TrainError("Invalid preference options: " + "; ".join(problems), hint="Fix the flags of `shizu train --preference`.")
    for k in range(1, rounds + 1):
        name = _settings(series, parent, k, options).name
        if (ws.runs_dir / name).exists() or runs.partial_dir(ws.runs_dir, name).exists():
            raise TrainError(f"A run named {name!r} is already in {ws.runs_dir}", hint="Pick another --name.")
    read_dataset(ws, ws.config.train)  # train.jsonl is there and holds examples
    if options.skip_passing:
        require("shizu train --preference --skip-passing", "eval")  # the detector and its sentence model
    made_with: dict[str, Any] = {"series": series, "contexts": contexts, "seed": options.seed}
    if options.pairs_from is not None:
        made_with["pairs_from"] = options.pairs_from
    if options.skip_passing:
        made_with["skip_passing"] = True
    return _rounds(ws, first, made_with, reporter)


def _rounds(ws: Workspace, settings: dpo.StageSettings, made_with: dict[str, Any], reporter: Reporter) -> TrainResult:
    """Rounds ``settings.round`` to ``settings.rounds``: make the pairs and ratings with the parent, train on them."""
    while True:
        if settings.round == 1 and made_with.get("pairs_from"):
            source = ws.runs_dir / made_with["pairs_from"]
            pairs = read_items(source / PAIRS_FILE, Pair)
            ratings = read_ratings(source)
            reporter.say(f"Round 1 trains on the {len(pairs)} pairs and {len(ratings)} ratings of run {source.name!r}"
                         f" (run {settings.parent!r}'s replies lose to yours)")
        else:
            pairs, ratings = _round_data(ws, settings.parent, made_with, settings.round, reporter)
        if made_with.get("skip_passing"):
            pairs = _without_passing(ws, pairs, made_with["seed"], reporter)
        result = dpo.train_stage(ws, settings, pairs, ratings, reporter, made_with=made_with)
        if not result.finished or settings.round == settings.rounds:
            return result
        settings = replace(settings, name=_round_name(made_with["series"], settings.round + 1, settings.rounds), parent=result.name, round=settings.round + 1)


def _round_data(ws: Workspace, parent: str, made_with: dict[str, Any], round_number: int, reporter: Reporter) -> tuple[list[Pair], list[Rating]]:
    """One round's pairs and ratings: ``parent`` answers the round's training contexts, and the feedback on the live bot."""
    config = ws.config
    train_path = ws.dataset_dir / "train.jsonl"
    examples, turns = read_heldout(train_path, config.build.timezone)
    chosen = spread(turns, made_with["contexts"])
    reporter.say(f"Self-play, round {round_number}: run {parent!r} answers {len(chosen)} of the {len(turns)} persona turns of {train_path.name}")
    with ws.open_store() as store:
        history = History.read(examples, store, config.privacy.opt_out)
        feedback = FeedbackTable(store, config.privacy.opt_out).items()
    persona = Persona.load(ws, run=parent, server="", say=lambda line: reporter.say(f"  {line}"))
    played = self_play(persona, chosen, history, seed=made_with["seed"] + 1000 * (round_number - 1), reporter=reporter)
    live = feedback_signals(feedback, persona, _heldout(ws, feedback))
    del persona
    _free_memory()  # the generating model goes before the training one loads
    reporter.say(f"  {played.describe()}")
    if feedback:
        reporter.say(f"  {live.describe()}")
    return played.pairs + live.pairs, live.ratings


def _without_passing(ws: Workspace, pairs: list[Pair], seed: int, reporter: Reporter) -> list[Pair]:
    """``pairs`` less the self-play pairs whose loser passes ``shizu eval``'s detector (:mod:`.passing`),
    judged with the persona's distinctive words of the training split and the sentence model, as ``shizu eval`` judges."""
    corpus = read_corpus(ws.dataset_dir / "train.jsonl", [])
    embed = embedding(load_embedder(pick_device(ws.config.generation.device)))
    kept = without_passing(pairs, distinctive=frozenset(distinctive_words(corpus.persona, corpus.others)), embed=embed, seed=seed)
    reporter.say(f"  {kept.describe()}")
    return kept.pairs


def _heldout(ws: Workspace, feedback: list[FeedbackItem]) -> dict[str, HeldOutTurn]:
    """The held-out turns by key, where blind-test answers find the real reply (read only when there are some)."""
    if not any(item.source == "blind-test" for item in feedback):
        return {}
    _, turns = read_heldout(ws.dataset_dir / "val.jsonl", ws.config.build.timezone)
    return {turn.key: turn for turn in turns}


def _pairs_parent(ws: Workspace, source: str, options: PreferenceOptions) -> str:
    """The parent of ``--pairs-from``'s run, once it is sure its pairs fit this stage: a finished
    preference run, on the dataset as it is now, whose parent is ``--parent`` (when given)."""
    if options.contexts is not None:
        raise TrainError("--pairs-from trains on pairs already made; it cannot take --pairs", hint="Drop --pairs (or --pairs-from).")
    if source not in runs.finished_runs(ws.runs_dir):
        raise TrainError(f"No finished run named {source!r} in {ws.runs_dir} to take pairs from", hint=f"Pick one of: {', '.join(runs.finished_runs(ws.runs_dir)) or 'none yet'}.")
    meta = runs.read_meta(ws.runs_dir / source)
    if meta.get("stage") != dpo.STAGE or not (ws.runs_dir / source / PAIRS_FILE).is_file():
        raise TrainError(f"Run {source!r} is a supervised run: it has no preference pairs", hint="--pairs-from takes a run made by `shizu train --preference`.")
    parent = meta["parent"]["name"]
    if options.parent is not None and options.parent != parent:
        raise TrainError(
            f"The pairs of run {source!r} hold the replies of run {parent!r}, not of --parent {options.parent!r}",
            hint=f"Drop --parent (the stage then continues {parent!r}), or generate new pairs without --pairs-from.",
        )
    now = built_sha256(ws.dataset_dir)
    if meta.get("dataset", {}).get("sha256") != now:
        raise TrainError(f"The dataset was rebuilt since run {source!r} made its pairs", hint="Generate new pairs: drop --pairs-from.")
    return parent


def _resume(ws: Workspace, options: PreferenceOptions, reporter: Reporter) -> TrainResult:
    if options.given():
        flags = ", ".join(options.given())
        raise TrainError(f"--resume continues a run with its own settings; it cannot take {flags}", hint="Drop those flags, or start a new run.")
    found = dpo.resumable(ws, options.name)
    if found is None:
        raise TrainError("The interrupted run is a supervised one, not a preference stage", hint="Continue it with `shizu train --resume`.")
    settings, pairs, ratings, resolved = found
    made_with = resolved.get("made_with") or {"series": settings.name, "contexts": DEFAULT_CONTEXTS, "seed": 0}
    result = dpo.train_stage(ws, settings, pairs, ratings, reporter, resumed=resolved, made_with=made_with)
    if not result.finished or settings.round == settings.rounds:
        return result
    following = replace(settings, name=_round_name(made_with["series"], settings.round + 1, settings.rounds), parent=result.name, round=settings.round + 1)
    return _rounds(ws, following, made_with, reporter)


def _free_memory() -> None:
    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def _settings(series: str, parent: str, round_number: int, options: PreferenceOptions) -> dpo.StageSettings:
    objective = options.objective or "dpo"
    default_sft_weight = dpo.DEFAULT_SFT_WEIGHT if objective == "dpo" else 0.0
    return dpo.StageSettings(
        name=_round_name(series, round_number, options.rounds or 1), parent=parent, beta=options.beta or dpo.DEFAULT_BETA,
        learning_rate=options.learning_rate or dpo.DEFAULT_LEARNING_RATE, steps=options.steps or 0,
        epochs=options.epochs or dpo.DEFAULT_EPOCHS, sft_weight=default_sft_weight if options.sft_weight is None else options.sft_weight,
        objective=objective, qlora=options.qlora, round=round_number, rounds=options.rounds or 1,
    )


def _round_name(series: str, round_number: int, rounds: int) -> str:
    return series if rounds == 1 else f"{series}-r{round_number}"
