"""The preference stage (``shizu train --preference``): DPO or KTO on top of a finished run, given its data.

The pairs and ratings are made by :mod:`shizu.preference` (which needs the persona runtime); this
module only trains on them, readable top to bottom like :mod:`shizu.train.recipe`, whose pieces it
reuses. The objective (``--objective``) is DPO on the pairs (the default; ratings are kept but not
trained on) or KTO on the ratings and the pairs taken apart (Ethayarajh et al. 2024: it learns from
a reply judged alone, such as a thumb on the bot):

1. settings: the parent run's ``[train]`` config (its base, LoRA, batch size, cutoff) with the
   stage's own learning rate, steps and beta (with ``--resume``: the interrupted run's own);
2. machine: the same device, dtype, thread and QLoRA planning as supervised training;
3. base model (the parent's, same weights hash) and the parent's tokenizer as trained;
4. data: rendered, masked and checked like supervised examples (:mod:`shizu.train.pair_encode`),
   cut to the parent's sequence cutoff; an item of weight ``w`` is in the training set ``w`` times;
5. model: the base with the parent's adapter, trainable; micro-batches planned for memory with an
   item counted as one sequence twice as long (a pair's two sides, or a rating and KTO's
   mismatched copy of it, are in one step);
6. train: TRL's ``DPOTrainer`` or ``KTOTrainer`` (:mod:`shizu.train.pair_trainer`) with the
   parent's adapter as the reference (a frozen copy, so the policy is pulled towards the real
   replies *relative to the parent*), checkpoints every ``save_every`` steps and on Ctrl-C,
   ``--resume`` after a kill;
7. finish: adapter, tokenizer, ``pairs.jsonl``, ``ratings.jsonl`` and ``meta.json`` (which names
   the parent run, and the held-out turns trained on) renamed into ``runs/<name>/`` at once, like
   any run: chat, export and eval take it as they are.
"""

from __future__ import annotations

import math
import os
import random
import shutil
import time
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec
import torch

import shizu
from shizu import runs
from shizu.config import TrainConfig
from shizu.dataset.reader import built_sha256
from shizu.errors import TrainError
from shizu.extras import quiet_libraries
from shizu.progress import QUIET, Reporter
from shizu.train.base_model import BaseModel, resolve_base
from shizu.train.encode import auto_cutoff
from shizu.train.hardware import ModelDims, Setting, detect_hardware, plan_batch, plan_device
from shizu.train.loss_curve import write_curves
from shizu.train.pair import PAIRS_FILE, RATINGS_FILE, Pair, Rating, heldout_keys, read_items, read_ratings, unpaired, write_items
from shizu.train.pair_encode import EncodedPair, EncodedRating, EncodedSet, encode_pairs, encode_ratings
from shizu.train.progress import SaveOnInterrupt, TrainProgress
from shizu.train.recipe import AUTO_CUTOFF_SHARE, MAX_LENGTH_CAP, TrainResult, add_lora, drop_default_printer, load_model, say_setting, training_arguments, training_tokenizer
from shizu.workspace import Workspace

STAGE = "preference"  # meta.json's and resolved.json's "stage" of a preference run
OBJECTIVES = ("dpo", "kto")  # --objective: DPO on pairs, or KTO on ratings and the pairs taken apart
DEFAULT_BETA = 0.1  # DPO's beta: how far from the parent the policy may move (higher: less far)
DEFAULT_LEARNING_RATE = 1e-4  # half of supervised training's; 2e-5 left the adapter nearly where it was (bench/RESULTS.md)
DEFAULT_EPOCHS = 1.0  # passes over the pairs
DEFAULT_SFT_WEIGHT = 1.0  # weight of the winners' own loss added to DPO's (RPO; 0: plain DPO, which drifted to long bursts)


@dataclass(frozen=True)
class StageSettings:
    """One preference stage: which run it continues, what it is called, how it trains."""

    name: str
    parent: str  # the finished run whose adapter is continued and is the reference
    beta: float = DEFAULT_BETA
    learning_rate: float = DEFAULT_LEARNING_RATE
    steps: int = 0  # > 0: exactly this many optimizer steps; 0: ``epochs`` passes over the pairs
    epochs: float = DEFAULT_EPOCHS
    sft_weight: float = DEFAULT_SFT_WEIGHT  # > 0: DPO's loss plus this times the winners' own (RPO); KTO: 0
    objective: str = "dpo"  # one of OBJECTIVES
    qlora: bool | None = None  # None: as the parent was trained
    round: int = 1  # which self-play round this is (SPIN's iterations), of ``rounds``
    rounds: int = 1

    def problems(self) -> list[str]:
        checks = [
            (self.beta > 0, "--beta must be > 0 (for example 0.1)"),
            (0 < self.learning_rate < 1, "--lr must be in (0, 1) (for example 1e-4)"),
            (self.steps >= 0, "--steps must be >= 0"),
            (self.epochs > 0, "--epochs must be > 0"),
            (self.sft_weight >= 0, "--sft-weight must be >= 0 (for example 1.0; 0 is plain DPO)"),
            (self.objective in OBJECTIVES, f"--objective must be one of {', '.join(OBJECTIVES)}"),
            (self.objective == "dpo" or not self.sft_weight, "--sft-weight adds to DPO's loss; --objective kto takes none"),
            (1 <= self.round <= self.rounds, "--rounds must be >= 1"),
        ]
        return [message for ok, message in checks if not ok]


def train_stage(
    ws: Workspace, settings: StageSettings, pairs: list[Pair], ratings: list[Rating], reporter: Reporter = QUIET, *,
    resumed: dict[str, Any] | None = None, made_with: dict[str, Any] | None = None,
) -> TrainResult:
    """Train (or, with ``resumed``: the interrupted run's resolved.json, continue) one preference stage
    on ``pairs`` (DPO) or on ``ratings`` and the pairs taken apart (KTO).

    ``made_with``: how the data was made, kept in resolved.json and meta.json (``--resume`` makes
    the data of the rounds left the same way)."""
    from transformers import set_seed

    from shizu.train.pair_trainer import REFERENCE_ADAPTER

    quiet_libraries()
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        raise TrainError("The preference stage runs in one process", hint="Run `shizu train --preference` without `accelerate launch`.")
    say = reporter.say

    # 1. Settings.
    problems = settings.problems()
    if problems:
        raise TrainError("Invalid preference options: " + "; ".join(problems), hint="Fix the flags of `shizu train --preference`.")
    parent_path = ws.runs_dir / settings.parent
    parent = runs.read_meta(parent_path)
    cfg = _config(parent, settings)
    say(f"{'Resuming' if resumed else 'Starting'} preference run {settings.name!r} on top of run {settings.parent!r}"
        + (f" (round {settings.round} of {settings.rounds})" if settings.rounds > 1 else ""))

    # 2. Machine.
    hardware = detect_hardware()
    device = plan_device(hardware, qlora=cfg.qlora)
    torch.set_num_threads(device.threads.value)
    for label, setting in (("device", device.device), ("dtype", device.dtype), ("CPU threads", device.threads), ("QLoRA", device.qlora)):
        say_setting(say, label, setting)

    # 3. Base model and the parent's tokenizer.
    base = _parent_base(parent, cfg, settings.parent, say)
    if resumed and base.sha256 != resumed["base_sha256"]:
        raise TrainError(f"The base model changed since run {settings.name!r} started, so it cannot be resumed", hint="Start a new preference run.")
    tokenizer, eot = training_tokenizer(parent_path, say)

    # 4. Data: the checks and the cutoff of supervised training.
    kto = settings.objective == "kto"
    noun = "ratings" if kto else "pairs"
    encoded: EncodedSet[EncodedRating] | EncodedSet[EncodedPair] = (
        encode_ratings(tokenizer, unpaired(pairs) + ratings, eot) if kto else encode_pairs(tokenizer, pairs, eot)
    )
    trained = len(encoded.items) + encoded.prompt_mismatch
    say(f"  ✓ {trained} {noun} render with the chat template; the inference prompt is a prefix of every render"
        + (f" ({len(pairs)} pairs taken apart, {len(ratings)} replies judged alone)" if kto else ""))
    if ratings and not kto:
        say(f"  {len(ratings)} replies judged alone (thumbs) are kept in {RATINGS_FILE} but not trained on: that takes --objective kto")
    say(f"  ✓ only the judged persona turn is scored, ending with {eot!r}")
    cap = MAX_LENGTH_CAP[device.device.value]
    max_length, why = _cutoff(parent, resumed, [item.length for item in encoded.items], model_max=getattr(tokenizer, "model_max_length", cap) or cap, cap=cap)
    say_setting(say, "sequence cutoff", Setting(max_length, why))
    encoded = encoded.cut(max_length)
    say(f"  ✓ {encoded.describe(max_length, noun)}")
    if not encoded.items:
        raise TrainError(
            f"No preference {noun[:-1]} to train on" + (f": none fits in {max_length} tokens" if trained else ""),
            hint="Use more contexts (--pairs), or a parent run with a longer cutoff ([train] max_length).",
        )
    rows: list[Any] = [item for item in encoded.items for _ in range(item.weight)]
    if len(rows) > len(encoded.items):
        say(f"  {len(rows) - len(encoded.items)} extra rows for {noun} weighted by reactions ({len(rows)} rows of {len(encoded.items)} {noun})")
    if kto:
        random.Random(cfg.seed).shuffle(rows)  # KTO reads the rows in order (its KL term needs it): mix the good and the bad
    max_steps = resumed["max_steps"] if resumed else (settings.steps or math.ceil(len(rows) / cfg.batch_size * settings.epochs))
    say_setting(say, "steps", Setting(max_steps, "--steps" if settings.steps else f"{settings.epochs:g} pass(es) over {len(rows)} rows, {cfg.batch_size} per step"))

    # 5. Model: the parent's adapter, trainable, and the memory plan.
    model = load_model(base.path, device, tokenizer.pad_token_id)
    batch = plan_batch(
        hardware, ModelDims.from_config(model.config, model.num_parameters()), dtype=device.dtype.value, qlora=device.qlora.value,
        max_length=2 * max_length, batch_size=cfg.batch_size, lora_rank=cfg.lora_rank, checkpointing=cfg.gradient_checkpointing,
    )
    for label, setting in ((f"micro-batch ({noun})", batch.micro_batch), ("accumulation", batch.grad_accum), ("grad. checkpointing", batch.checkpointing)):
        say_setting(say, label, setting)
    if kto and batch.micro_batch.value < 2:
        raise TrainError(
            "KTO needs at least 2 ratings per micro-batch (it estimates its KL term from their replies swapped), and this machine's memory plan allows 1",
            hint="Use --objective dpo, or a parent run with a shorter cutoff ([train] max_length).",
        )
    set_seed(cfg.seed)
    model = add_lora(model, cfg, qlora=device.qlora.value, checkpointing=batch.checkpointing.value, adapter=parent_path)
    trainable, total = model.get_nb_trainable_parameters()
    say(f"  continuing the adapter of run {settings.parent!r}: {trainable:,} trainable parameters ({trainable / total:.2%});"
        f" the reference is a frozen copy of it; {settings.objective.upper()} beta {settings.beta:g}, learning rate {cfg.learning_rate:g}"
        + (f", plus {settings.sft_weight:g} x the winners' own loss (RPO)" if settings.sft_weight else ""))
    planned_tokens = round(sum(row.tokens for row in rows) * max_steps * cfg.batch_size / len(rows))
    read_again = ("the KL term reads each prompt again with another row's reply, and the reference reads both" if kto
                  else "the reference reads them again")
    say(f"  plan: {max_steps} steps, {planned_tokens:,} tokens ({'every rating' if kto else 'both sides of every pair'}; {read_again}, without gradients)")

    # 6. Train.
    resolved = {
        "stage": STAGE, "name": settings.name, "settings": asdict(settings), "config": msgspec.to_builtins(cfg),
        "max_steps": max_steps, "max_length": max_length, "base_sha256": base.sha256, "made_with": made_with or {},
    }
    interrupt, progress = SaveOnInterrupt(reporter), TrainProgress(reporter, planned_tokens)
    with interrupt.armed():
        partial = runs.partial_dir(ws.runs_dir, settings.name) if resumed else runs.start_run(ws.runs_dir, settings.name, resolved)
        if not resumed:
            write_items(partial / PAIRS_FILE, pairs)
            write_items(partial / RATINGS_FILE, ratings)
        checkpoint = runs.latest_checkpoint(partial) if resumed else None
        if resumed:
            say(f"  continuing from {checkpoint.name}" if checkpoint else "  no complete checkpoint yet: starting from step 0")
        started = time.perf_counter()
        trainer_class, kind, objective = _objective(settings, rows)
        trainer = trainer_class(
            model=model,
            args=training_arguments(
                partial, cfg, device, batch, max_steps=max_steps, has_val=False,
                kind=kind, beta=settings.beta, max_length=max_length, precompute_ref_log_probs=False, **objective,
            ),
            train_dataset=_dataset(rows),
            processing_class=tokenizer,
            callbacks=[progress, interrupt],
        )
        drop_default_printer(trainer)
        trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    state = trainer.state
    if interrupt.interrupted and state.global_step < max_steps:
        return TrainResult(name=settings.name, path=partial, finished=False, step=state.global_step, max_steps=max_steps)
    metrics = _metrics(state, time.perf_counter() - started, progress.start_tokens)

    # 7. Finish: the run folder appears complete or not at all.
    incoming = runs.incoming_dir(ws.runs_dir, settings.name)
    trainer.save_model(str(incoming))
    shutil.rmtree(incoming / REFERENCE_ADAPTER, ignore_errors=True)  # the parent's adapter: the parent run has it
    tokenizer.save_pretrained(incoming)
    for clutter in ("training_args.bin", "README.md"):  # a pickle and a model card; meta.json says it all
        (incoming / clutter).unlink(missing_ok=True)
    write_items(incoming / PAIRS_FILE, pairs)
    write_items(incoming / RATINGS_FILE, ratings)
    meta = {
        "name": settings.name,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "shizu_version": shizu.__version__,
        "stage": STAGE,
        "parent": {"name": settings.parent, "path": str(parent_path), "stage": parent.get("stage", "sft")},
        "base": parent["base"],
        "dataset": {"train": str(ws.dataset_dir / "train.jsonl"), "sha256": built_sha256(ws.dataset_dir)},
        "chat_format": {"end_of_turn": eot, "pad_token": tokenizer.pad_token},
        "config": msgspec.to_builtins(cfg),
        "memory": parent.get("memory"),  # the prompts it learnt with are the parent's (memories shown or not)
        "preference": {
            "objective": settings.objective, "reference": f"run {settings.parent!r} (a frozen copy of its adapter)", "beta": settings.beta,
            "sft_weight": settings.sft_weight, "round": settings.round, "rounds": settings.rounds,
            "pairs": len(pairs), "ratings": len(ratings), f"{noun}_trained": len(encoded.items),
            "rows": len(rows), "too_long": encoded.too_long, "prompt_mismatch": encoded.prompt_mismatch,
            "sources": dict(Counter(item.source for item in [*pairs, *ratings])), "rejected_because": dict(Counter(pair.why for pair in pairs)),
            "rated_because": dict(Counter(rating.why for rating in ratings)),
            "heldout_trained": sorted(heldout_keys([*pairs, *ratings]) | runs.heldout_trained(parent_path)),
            "made_with": made_with or {},
        },
        "resolved": {
            "max_steps": max_steps, "max_length": max_length, "device": device.device.value, "dtype": device.dtype.value,
            "threads": device.threads.value, "qlora": device.qlora.value, "micro_batch": batch.micro_batch.value,
            "grad_accum": batch.grad_accum.value, "gradient_checkpointing": batch.checkpointing.value, "world_size": 1,
        },
        "versions": _versions(),
        "metrics": metrics,
    }
    final = runs.finish_run(partial, incoming, settings.name, write_curves(incoming, settings.name, meta, state.log_history))
    return TrainResult(name=settings.name, path=final, finished=True, step=state.global_step, max_steps=max_steps, metrics=metrics)


def resumable(ws: Workspace, name: str | None) -> tuple[StageSettings, list[Pair], list[Rating], dict[str, Any]] | None:
    """The interrupted preference stage to continue (``name``'s, else the latest interrupted run):
    its settings, its pairs and ratings and its resolved.json; ``None`` when that run is a supervised one."""
    partial = runs.find_resumable(ws.runs_dir, name)
    resolved = runs.read_resolved(partial)
    if resolved.get("stage") != STAGE:
        return None
    return StageSettings(**resolved["settings"]), read_items(partial / PAIRS_FILE, Pair), read_ratings(partial), resolved


def resumes_preference(ws: Workspace, name: str | None) -> bool:
    """Whether ``--resume`` (``name``'s run, else the latest interrupted one) continues a preference stage."""
    try:
        partial = runs.find_resumable(ws.runs_dir, name)
    except TrainError:
        return False  # nothing to resume: supervised training says so
    return runs.read_resolved(partial).get("stage") == STAGE


def latest_parent(ws: Workspace) -> str:
    """The most recently finished supervised run: what ``--preference`` continues by default."""
    supervised = [name for name in runs.finished_runs(ws.runs_dir) if runs.read_meta(ws.runs_dir / name).get("stage") != STAGE]
    if not supervised:
        raise TrainError(
            f"No finished run in {ws.runs_dir} to start the preference stage from",
            hint="Train one first with `shizu train` (the preference stage continues a finished run), then `shizu train --preference`.",
        )
    return max(supervised, key=lambda name: ((ws.runs_dir / name / runs.META_FILE).stat().st_mtime, name))


def _objective(settings: StageSettings, rows: list[Any]) -> tuple[Any, Any, dict[str, Any]]:
    """TRL's trainer, its config class and the loss settings.

    DPO: the sigmoid loss, plus the winners' negative log-likelihood when ``sft_weight`` > 0 (RPO,
    Pang et al. 2024: it keeps the real replies likely while the pair's margin grows, so the run
    does not drift away from both, for example to longer bursts).

    KTO: the good and the bad weighed so that both count alike (the rarer kind weighed up by the
    ratio of their counts, within the range Eq. 8 of the KTO paper advises), read in order."""
    from trl import DPOConfig, KTOConfig

    from shizu.train.pair_trainer import PairTrainer, RatingTrainer

    if settings.objective == "kto":
        good = sum(row.good for row in rows)
        bad = len(rows) - good
        weights = {"desirable_weight": max(bad / max(good, 1), 1.0), "undesirable_weight": max(good / max(bad, 1), 1.0)}
        return RatingTrainer, KTOConfig, {"loss_type": "kto", "train_sampling_strategy": "sequential", **weights}
    if not settings.sft_weight:
        return PairTrainer, DPOConfig, {"loss_type": ["sigmoid"]}
    return PairTrainer, DPOConfig, {"loss_type": ["sigmoid", "sft"], "loss_weights": [1.0, settings.sft_weight]}


def _config(parent: dict[str, Any], settings: StageSettings) -> TrainConfig:
    """The parent's ``[train]`` settings with the stage's own (no fused kernels: TRL's DPO computes
    its log-probabilities with a fused head of its own)."""
    try:
        cfg = msgspec.convert(parent.get("config") or {}, TrainConfig)
    except msgspec.ValidationError as exc:
        raise TrainError(f"Run {settings.parent!r} records settings this version cannot read ({exc})", hint="Pick another --parent run.") from None
    qlora = cfg.qlora if settings.qlora is None else settings.qlora
    return msgspec.structs.replace(cfg, learning_rate=settings.learning_rate, qlora=qlora, fused_kernels="off", eval_every=0)


def _parent_base(parent: dict[str, Any], cfg: TrainConfig, name: str, say: Any) -> BaseModel:
    """The parent's base model, resolved from its ``[train] base`` and checked to be the same weights."""
    base = resolve_base(cfg.base, say=say)
    recorded = (parent.get("base") or {}).get("sha256")
    if recorded and recorded != base.sha256:
        raise TrainError(
            f"The base model {base.path} has other weights than the one run {name!r} was trained on",
            hint="Restore that base model, or train a new run on this base with `shizu train`.",
        )
    return base


def _cutoff(parent: dict[str, Any], resumed: dict[str, Any] | None, lengths: list[int], *, model_max: int, cap: int) -> tuple[int, str]:
    """The sequence cutoff: the interrupted run's, else the parent's, else chosen from the pairs
    as supervised training chooses it."""
    if resumed:
        return resumed["max_length"], "the interrupted run's cutoff"
    recorded = (parent.get("resolved") or {}).get("max_length")
    if recorded:
        return int(recorded), "the parent run's cutoff"
    return auto_cutoff(lengths, model_max=model_max, cap=cap, share=AUTO_CUTOFF_SHARE)


def _dataset(rows: list[Any]) -> Any:
    """The rows as the trainer reads them; ``length`` (a pair's longer side) groups DPO's batches by length."""
    from datasets import Dataset

    if rows and isinstance(rows[0], EncodedRating):
        return Dataset.from_dict({
            "prompt_ids": [row.prompt_ids for row in rows], "completion_ids": [row.completion_ids for row in rows],
            "label": [row.good for row in rows],
        })
    return Dataset.from_dict({
        "prompt_ids": [pair.prompt_ids for pair in rows], "chosen_ids": [pair.chosen_ids for pair in rows],
        "rejected_ids": [pair.rejected_ids for pair in rows], "length": [pair.length for pair in rows],
    })


def _metrics(state: Any, seconds: float, start_tokens: int) -> dict[str, float]:
    """The run's figures: the loss, how often the policy already prefers the chosen reply by more
    than the reference does (``reward_accuracy``, DPO only) and the reward margin, each the mean
    of the last 10 steps."""
    logged = [entry for entry in state.log_history if "loss" in entry]
    metrics = {
        "steps": state.global_step,
        "seconds_this_session": round(seconds, 1),
        "tokens_per_second": round((state.num_input_tokens_seen - start_tokens) / max(seconds, 1e-9), 1),
    }
    for key, name in (("loss", "final_train_loss"), ("rewards/accuracies", "reward_accuracy"), ("rewards/margins", "reward_margin")):
        values = [entry[key] for entry in logged[-10:] if key in entry]
        if values:
            metrics[name] = sum(values) / len(values)
    return metrics


def _versions() -> dict[str, str]:
    import peft
    import transformers
    import trl

    return {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__, "trl": trl.__version__}

