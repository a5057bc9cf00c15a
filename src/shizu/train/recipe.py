"""The LoRA recipe behind ``shizu train``, readable top to bottom.

1. settings: ``[train]`` in shizu.toml + CLI flags (or, with ``--resume``, the interrupted run's own);
2. machine: device, dtype, threads, printed with the reason for each;
3. base model + tokenizer (the embedded SmolLM2 is converted once to a cache);
4. data: read + encode train/val with the shared chat format, preflight checks, sequence cutoff;
5. model: load, add LoRA (PEFT) on every linear layer, plan micro-batches for memory;
6. train: a stock ``transformers.Trainer`` (length-grouped batches, loss on persona tokens only,
   validation loss at intervals, checkpoints every N steps and on Ctrl-C, resume after a kill);
7. finish: adapter + tokenizer + meta.json + loss.png renamed into ``runs/<name>/`` at once.

Plain ``Trainer`` rather than TRL's ``SFTTrainer``: on CPU it was measured ~40% faster per token
(TRL always computes extra per-token metrics), and the masking TRL would do is ours anyway
(``chat_format``), shared with the runtime.
"""

from __future__ import annotations

import dataclasses
import gc
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import torch

import shizu
from shizu import runs
from shizu.chat.template import end_of_turn
from shizu.config import TrainConfig
from shizu.dataset.reader import Example, built_sha256, dataset_sha256, read_examples
from shizu.errors import TrainError
from shizu.extras import quiet_libraries
from shizu.progress import QUIET, Reporter
from shizu.train.base_model import BaseModel, cache_root, resolve_base
from shizu.train.budget import (
    CALIBRATION_BATCHES,
    Fit,
    StopAtDeadline,
    calibrate,
    fit_budget,
    format_duration,
    known_rate,
    order_for_budget,
    parse_duration,
    rate_key,
    remember_rate,
)
from shizu.train.encode import auto_cutoff, encode_checked
from shizu.train.encoded_set import EncodedSet, cached_encoding, encoding_key
from shizu.train.hardware import BatchPlan, DevicePlan, ModelDims, Setting, detect_hardware, is_out_of_memory, plan_batch, plan_device
from shizu.train.kernels import LIGER_KERNELS, plan_kernels
from shizu.train.loss_curve import write_curves
from shizu.train.preflight import check_cutoff, ensure_distinct_pad
from shizu.train.progress import SaveOnInterrupt, TrainProgress
from shizu.train.supervised import PackedCollator, SupervisedCollator, supervised_loss
from shizu.workspace import Workspace

MAX_LENGTH_CAP = {"cuda": 8192, "mps": 2048, "cpu": 2048}  # auto cutoff never exceeds this per device
AUTO_CUTOFF_SHARE = 0.99


@dataclass(frozen=True)
class TrainOptions:
    """CLI flags; ``None`` means "use shizu.toml"."""

    base: str | None = None
    steps: int | None = None
    epochs: float | None = None
    learning_rate: float | None = None
    rank: int | None = None
    qlora: bool | None = None
    name: str | None = None
    resume: bool = False
    dry_run: bool = False  # print the plan and its estimated duration, train nothing
    time_budget: str | None = None  # --time: fit the run into this duration ("45m")
    memory: bool = True  # False (--no-memory): the examples' recalled memories are left out of their prompts


@dataclass(frozen=True)
class TrainResult:
    name: str
    path: Path  # runs/<name>/ when finished; runs/<name>.partial/ when interrupted
    finished: bool
    step: int
    max_steps: int
    metrics: dict[str, float] = field(default_factory=dict)
    estimate_seconds: float | None = None  # the planned duration (a dry run's whole answer)


@dataclass(frozen=True)
class PreparedData:
    train: EncodedSet
    val: EncodedSet
    max_length: int
    sha256: str

    @property
    def tokens(self) -> int:
        """Tokens in one epoch of the training split (after the cutoff)."""
        return self.train.tokens

    @property
    def supervised(self) -> int:
        return self.train.supervised


def train(ws: Workspace, options: TrainOptions, reporter: Reporter = QUIET) -> TrainResult:
    """Run (or resume) one training run in workspace ``ws``; see the module docstring.

    ``reporter`` gets the settings and checks as lines and the steps as the bar ``"train"``
    (:mod:`shizu.train.progress`); in a multi-process run only the main process reports.
    """
    from transformers import Trainer, set_seed

    quiet_libraries()
    is_main = int(os.environ.get("RANK", "0")) == 0
    if not is_main:
        reporter = QUIET
    say = reporter.say

    # 1. Settings and the dataset files (read first: a missing or malformed file fails before any model loads).
    cfg, name, resumed = _settings(ws, options)
    train_examples, val_examples = read_dataset(ws, cfg)
    memories = resumed.get("memory", True) if resumed else options.memory
    if not memories:
        train_examples, val_examples = ([e.without_memories() for e in split] for split in (train_examples, val_examples))
    budget_text = options.time_budget if options.time_budget is not None else cfg.time_budget
    budget = resumed.get("budget", {}).get("seconds") if resumed else (parse_duration(budget_text) if budget_text.strip() else None)
    if budget is not None:  # a budget takes examples in its rule's order: the data is read in that order
        train_examples = [train_examples[i] for i in order_for_budget([e.timestamp for e in train_examples], cfg.budget_rule)]
    say(f"{'Resuming' if resumed else 'Starting'} run {name!r}")
    shown = sum(bool(e.memories) for e in train_examples)
    say_setting(say, "memories", Setting(memories, f"{shown} of {len(train_examples)} examples show recalled memories" if memories else "--no-memory: left out of every prompt"))

    # 2. Machine.
    hardware = detect_hardware()
    device = plan_device(hardware, qlora=cfg.qlora)
    kernels = plan_kernels(hardware, cfg.fused_kernels)
    torch.set_num_threads(device.threads.value)
    for label, setting in (
        ("device", device.device), ("dtype", device.dtype), ("CPU threads", device.threads), ("QLoRA", device.qlora), ("fused kernels", kernels),
    ):
        say_setting(say, label, setting)

    # 3. Base model and tokenizer.
    base = resolve_base(cfg.base, say=say)
    tokenizer, eot = training_tokenizer(base.path, say)

    # 4. Data, preflight checks and the sequence cutoff.
    cap = MAX_LENGTH_CAP[device.device.value]
    data = prepare_data(ws, tokenizer, eot, cfg, say, train_examples, val_examples, max_length=resumed.get("max_length"), cap=cap, tokenizer_sha256=base.sha256, memories=memories)
    if resumed and (data.sha256, base.sha256) != (resumed["dataset_sha256"], resumed["base_sha256"]):
        changed = "dataset" if data.sha256 != resumed["dataset_sha256"] else "base model"
        raise TrainError(
            f"The {changed} changed since run {name!r} started, so it cannot be resumed",
            hint="Start a new run (without --resume), or restore the files it was started with.",
        )
    max_steps = resumed["max_steps"] if resumed else (cfg.steps or math.ceil(len(data.train) / cfg.batch_size * cfg.epochs))
    say_setting(say, "steps", Setting(max_steps, "--steps / [train] steps" if cfg.steps else f"{cfg.epochs:g} epoch(s) of {len(data.train)} examples, {cfg.batch_size} per step"))

    # 5. Model, LoRA and the memory plan.
    model = load_model(base.path, device, tokenizer.pad_token_id)
    batch = plan_batch(
        hardware, ModelDims.from_config(model.config, model.num_parameters()), dtype=device.dtype.value,
        qlora=device.qlora.value, max_length=data.max_length, batch_size=cfg.batch_size, lora_rank=cfg.lora_rank,
        checkpointing=cfg.gradient_checkpointing, world_size=int(os.environ.get("WORLD_SIZE", "1")),
    )
    for label, setting in (("micro-batch", batch.micro_batch), ("accumulation", batch.grad_accum), ("grad. checkpointing", batch.checkpointing)):
        say_setting(say, label, setting)
    set_seed(cfg.seed)  # the adapter's random initial weights: the same seed gives the same run
    model = add_lora(model, cfg, qlora=device.qlora.value, checkpointing=batch.checkpointing.value)
    trainable, total = model.get_nb_trainable_parameters()
    say(f"  LoRA rank {cfg.lora_rank}, alpha {cfg.lora_alpha} on {_targets(cfg)}: {trainable:,} trainable parameters ({trainable / total:.2%})")

    # 6. The cost: the rate at these settings, the budget's fit, the estimate.
    packing = _packing(cfg, device.device.value)
    say_setting(say, "packing", packing)
    collator = PackedCollator() if packing.value else SupervisedCollator(tokenizer, pad_to_multiple_of=8 if device.device.value == "cuda" else None)

    def key() -> str:  # the settings a rate holds for; the micro-batch may be re-planned
        return rate_key(base.sha256, device.device.value, device.dtype.value, device.threads.value, batch.micro_batch.value, data.max_length, packing.value, kernels.value)

    rate, source = known_rate(cache_root(), key()), "measured by an earlier run on this machine"
    while not rate:
        try:
            rate = calibrate(model, collator, data.train.features(), batch.micro_batch.value)
        except Exception as exc:  # only an allocation failure is recovered; anything else propagates
            batch = _smaller_after_oom(exc, batch, 0, say, "while calibrating")
        source = f"calibrated on {CALIBRATION_BATCHES} micro-batches just now"
    fit = None
    if budget is not None:
        fit = fit_budget(
            budget, rate, data.tokens, len(data.train), cfg.batch_size, max_steps, cfg.budget_rule,
            val_tokens=data.val.tokens, eval_every=cfg.eval_every if data.val else 0,
        )
        if resumed and resumed["budget"].get("examples"):
            kept = resumed["budget"]
            fit = Fit(resumed["max_steps"], kept["examples"], kept["rule"], kept["reason"], kept.get("steps_seconds", fit.steps_seconds))
        max_steps = fit.max_steps
        if fit.examples:
            data = dataclasses.replace(data, train=data.train[: fit.examples])
        say_setting(say, "time budget", Setting(format_duration(budget), fit.reason))
    planned_tokens = round(data.tokens * max_steps * cfg.batch_size / max(len(data.train), 1))
    estimate = planned_tokens / rate if rate else None
    say(f"  plan: {max_steps} steps, {planned_tokens:,} tokens at ~{rate:,.0f} tok/s ({source})"
        + (f": about {format_duration(estimate)} of training" if estimate else ""))
    if options.dry_run:
        say("Dry run: nothing was trained (drop --dry-run to train).")
        return TrainResult(name=name, path=ws.runs_dir / name, finished=False, step=0, max_steps=max_steps, estimate_seconds=estimate)

    # 7. Train.
    resolved = {
        "name": name, "config": msgspec.to_builtins(cfg), "max_steps": max_steps, "max_length": data.max_length,
        "dataset_sha256": data.sha256, "base_sha256": base.sha256, "budget": fit.to_json(budget) if fit and budget else {},
        "memory": memories,
    }
    interrupt, progress = SaveOnInterrupt(reporter), TrainProgress(reporter, planned_tokens)
    deadline = StopAtDeadline(budget, fit.steps_seconds if fit else None, val_tokens=data.val.tokens)  # the rest: validation and saving
    with interrupt.armed():  # from here on, Ctrl-C means "checkpoint after this step and stop"
        # Only the main process creates a new run's folder; the others write into it from their first
        # checkpoint on, which comes after the Trainer's first collective step (so after this).
        partial = runs.partial_dir(ws.runs_dir, name) if resumed or not is_main else runs.start_run(ws.runs_dir, name, resolved)
        checkpoint = runs.latest_checkpoint(partial) if resumed else None
        if resumed:
            say(f"  continuing from {checkpoint.name}" if checkpoint else "  no complete checkpoint yet: starting from step 0")
        initial = {k: v.detach().clone() for k, v in model.state_dict().items() if "lora_" in k}  # step 0, should memory run out before a checkpoint
        started = time.perf_counter()
        while True:
            trainer = Trainer(
                model=model,
                args=training_arguments(partial, cfg, device, batch, max_steps=max_steps, has_val=bool(data.val)),
                train_dataset=data.train.features(),
                eval_dataset=data.val.features() if data.val else None,
                data_collator=collator,
                compute_loss_func=supervised_loss,
                callbacks=[progress, interrupt, deadline],
            )
            drop_default_printer(trainer)
            try:
                trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
                break
            except Exception as exc:  # only an allocation failure is recovered; anything else propagates
                progress.close()
                batch = _smaller_after_oom(exc, batch, trainer.state.global_step, say, "while training")
                checkpoint = _rewind(trainer, partial, initial, say)
    state = trainer.state
    if deadline.reached:
        say(f"  the time budget ({format_duration(budget or 0)}) was reached at step {state.global_step}/{max_steps}: finishing the run there")
    if interrupt.interrupted and state.global_step < max_steps:
        return TrainResult(name=name, path=partial, finished=False, step=state.global_step, max_steps=max_steps)
    seconds = time.perf_counter() - started
    metrics = {
        "steps": state.global_step,
        "seconds_this_session": round(seconds, 1),
        "tokens_per_second": round((state.num_input_tokens_seen - progress.start_tokens) / seconds, 1),
    }
    train_losses = [entry["loss"] for entry in state.log_history if "loss" in entry]
    if train_losses:  # mean of the last 10 steps: one step's loss is noisy
        metrics["final_train_loss"] = sum(train_losses[-10:]) / len(train_losses[-10:])
    if data.val:
        evaluated = [entry for entry in state.log_history if "eval_loss" in entry]
        if evaluated and evaluated[-1]["step"] == state.global_step:
            metrics["final_val_loss"] = evaluated[-1]["eval_loss"]
        else:
            metrics["final_val_loss"] = trainer.evaluate()["eval_loss"]

    remember_rate(cache_root(), key(), metrics["tokens_per_second"])
    metrics["estimated_seconds"] = round(estimate, 1) if estimate else None
    metrics["stopped_by_budget"] = deadline.reached

    # 8. Finish: the run folder appears complete or not at all.
    incoming = runs.incoming_dir(ws.runs_dir, name) if is_main else ws.runs_dir / f".{name}.incoming"
    trainer.accelerator.wait_for_everyone()
    if trainer.is_fsdp_enabled:  # gather the sharded adapter into one ordinary PEFT adapter
        trainer.accelerator.state.fsdp_plugin.set_state_dict_type("FULL_STATE_DICT")
    trainer.save_model(str(incoming))
    if not is_main:
        return TrainResult(name=name, path=ws.runs_dir / name, finished=True, step=state.global_step, max_steps=max_steps, metrics=metrics)
    tokenizer.save_pretrained(incoming)
    for clutter in ("training_args.bin", "README.md"):  # a pickle and an empty model card; meta.json says it all
        (incoming / clutter).unlink(missing_ok=True)
    meta = {**_meta(name, base, cfg, device, batch, data, ws, eot, tokenizer, max_steps, metrics), "budget": resolved["budget"] or None, "packing": packing.value,
            "memory": {"shown": memories, "train_examples_with_memories": shown}}
    final = runs.finish_run(partial, incoming, name, write_curves(incoming, name, meta, state.log_history))
    return TrainResult(name=name, path=final, finished=True, step=state.global_step, max_steps=max_steps, metrics=metrics)


def _smaller_after_oom(exc: Exception, batch: BatchPlan, step: int, say: Callable[[str], None], doing: str) -> BatchPlan:
    """The next smaller micro-batch after an out-of-memory error (the same examples per step);
    ``exc`` again if it is another error; a :class:`TrainError` with the fix at a micro-batch of 1."""
    if not is_out_of_memory(exc):
        raise exc
    micro = batch.micro_batch.value
    smaller = batch.smaller(f"re-planned: micro-batch {micro} ran out of memory {doing} at step {step}")
    if smaller is None:
        raise TrainError(
            f"Out of memory at step {step} even with a micro-batch of 1 ({str(exc).splitlines()[0]})",
            hint='Lower [train] max_length, set [train] gradient_checkpointing = "on", use --qlora on a CUDA GPU, or close other programs.',
        ) from exc
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    say(f"  out of memory {doing} at step {step} with a micro-batch of {micro}: continuing with {smaller.micro_batch.value}"
        f" x {smaller.grad_accum.value} accumulation (the same examples per step)")
    return smaller


def _rewind(trainer: Any, partial: Path, initial: dict[str, torch.Tensor], say: Callable[[str], None]) -> Path | None:
    """After a failed step: drop its gradients and optimizer, and return the checkpoint to continue
    from (None: the adapter is put back to its first weights, to start again at step 0)."""
    trainer.model.zero_grad(set_to_none=True)
    trainer.optimizer = trainer.lr_scheduler = None
    checkpoint = runs.latest_checkpoint(partial)
    if checkpoint is None:
        trainer.model.load_state_dict(initial, strict=False)
    say(f"  continuing from {checkpoint.name if checkpoint else 'step 0'}")
    return checkpoint


def _settings(ws: Workspace, options: TrainOptions) -> tuple[TrainConfig, str, dict[str, Any]]:
    """The run's config and name; with ``--resume`` those of the interrupted run (plus its resolved.json)."""
    overrides = {  # [train] key: (CLI flag, value)
        "base": ("--base", options.base), "steps": ("--steps", options.steps), "epochs": ("--epochs", options.epochs),
        "learning_rate": ("--lr", options.learning_rate), "lora_rank": ("--rank", options.rank), "qlora": ("--qlora", options.qlora),
    }
    given = {key: value for key, (_, value) in overrides.items() if value is not None}
    if options.resume:
        if given:
            flags = ", ".join(overrides[key][0] for key in given)
            raise TrainError(f"--resume continues a run with its own settings; it cannot take {flags}", hint="Drop those flags, or start a new run.")
        if not options.memory:
            raise TrainError("--resume continues a run with its own settings; it cannot take --no-memory", hint="Drop --no-memory, or start a new run.")
        partial = runs.find_resumable(ws.runs_dir, options.name)
        resolved = runs.read_resolved(partial)
        return msgspec.convert(resolved["config"], TrainConfig), resolved["name"], resolved
    if options.epochs is not None:
        given.setdefault("steps", 0)  # --epochs means "train by epochs" even when shizu.toml sets steps
    cfg = msgspec.structs.replace(ws.config.train, **given)
    problems = cfg.problems()
    if problems:
        raise TrainError("Invalid training options: " + "; ".join(problems), hint="Fix the flag or [train] in shizu.toml.")
    if options.name:
        name = options.name
    elif int(os.environ.get("WORLD_SIZE", "1")) > 1:
        raise TrainError("Multi-process runs need an explicit --name", hint="Every process must agree on the run folder: pass --name.")
    else:
        name = datetime.now().strftime("%Y%m%d-%H%M%S")
    return cfg, name, {}


def training_tokenizer(path: Path, say: Callable[[str], None]) -> tuple[Any, str]:
    """The tokenizer in ``path`` set up for training (right padding, a pad token that is not the
    end-of-turn token), and its end-of-turn token; both said."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path)
    tokenizer.padding_side = "right"
    eot = end_of_turn(tokenizer)
    say(f"  end-of-turn token {eot!r} (from the chat template: the runtime stops on it)")
    say(f"  ✓ {ensure_distinct_pad(tokenizer, eot)}")
    return tokenizer, eot


def read_dataset(ws: Workspace, cfg: TrainConfig) -> tuple[list[Example], list[Example]]:
    """The training examples and the validation examples used (``eval_examples`` of val.jsonl)."""
    train_path, val_path = ws.dataset_dir / "train.jsonl", ws.dataset_dir / "val.jsonl"
    train_examples = read_examples(train_path)
    if not train_examples:
        raise TrainError(f"{train_path} has no examples", hint="Run `shizu build`; it explains what was filtered out.")
    return train_examples, _spread(read_examples(val_path), cfg.eval_examples) if val_path.is_file() else []


def prepare_data(
    ws: Workspace, tokenizer: Any, eot: str, cfg: TrainConfig, say: Callable[[str], None], train_examples: list[Example], val_examples: list[Example],
    *, max_length: int | None, cap: int, tokenizer_sha256: str, memories: bool = True,
) -> PreparedData:
    """Encode and check train/val (or load the checked encoding cached by an earlier run); choose
    and apply the cutoff (a resumed run keeps its own). ``memories``: whether the examples keep
    the memories their build recalled (the cache keeps both encodings apart)."""
    (train_enc, train_hit), (val_enc, val_hit) = (
        _encoded(ws, split, examples, tokenizer, eot, tokenizer_sha256, memories) for split, examples in (("train", train_examples), ("val", val_examples))
    )
    source = "cached by an earlier run in cache/encoded/" if train_hit and val_hit else "encoded now, cached in cache/encoded/"
    say(f"  ✓ {len(train_examples) + len(val_examples)} examples render with the chat template; the inference prompt is a prefix of every training render ({source})")
    say(f"  ✓ only persona turns are supervised, each ending with {eot!r}; no example is fully masked")
    model_max = getattr(tokenizer, "model_max_length", cap) or cap
    if max_length is None and cfg.max_length:
        max_length, why = cfg.max_length, "[train] max_length"
    elif max_length is None:
        max_length, why = auto_cutoff(train_enc.lengths.tolist(), model_max=model_max, cap=cap, share=AUTO_CUTOFF_SHARE)
    else:
        why = "the interrupted run's cutoff"
    say_setting(say, "sequence cutoff", Setting(max_length, why))
    train_kept, train_cut = train_enc.cut(max_length)
    check_cutoff(train_cut, cfg.min_whole_share, "train.jsonl")
    val_kept, val_cut = val_enc.cut(max_length)
    say(f"  ✓ train: {train_cut.describe()}")
    if val_examples:
        say(f"  ✓ validation ({len(val_examples)} examples of val.jsonl): {val_cut.describe()}")
    else:
        say("  no val.jsonl examples: no validation loss (set [build] val_fraction > 0 to get one)")
    data = PreparedData(
        train=train_kept, val=val_kept, max_length=max_length, sha256=built_sha256(ws.dataset_dir)
    )
    say(f"  {data.tokens:,} training tokens per epoch, {data.supervised:,} of them supervised ({data.supervised / max(data.tokens, 1):.0%})")
    return data


def _encoded(
    ws: Workspace, split: str, examples: list[Example], tokenizer: Any, eot: str, tokenizer_sha256: str, memories: bool
) -> tuple[EncodedSet, bool]:
    """One split encoded and checked, from the workspace's cache when nothing it depends on changed."""
    shown = "memories" if memories else "no memories"
    key = encoding_key(dataset_sha256(ws.dataset_dir / f"{split}.jsonl"), tokenizer_sha256, eot, [e.id for e in examples], shown)
    return cached_encoding(ws.cache_dir / "encoded", key, lambda: EncodedSet.from_encoded(encode_checked(tokenizer, examples, eot)))


def load_model(path: Path, device: DevicePlan, pad_token_id: int) -> Any:
    """The base model in the planned dtype (4-bit NF4 weights with QLoRA)."""
    from transformers import AutoModelForCausalLM

    kwargs: dict[str, Any] = {"dtype": getattr(torch, device.dtype.value)}
    if device.qlora.value:
        from accelerate import PartialState

        kwargs["quantization_config"] = quantization_config(device.dtype.value)
        kwargs["device_map"] = {"": PartialState().local_process_index}
    model = AutoModelForCausalLM.from_pretrained(path, **kwargs)
    model.config.use_cache = False  # training never decodes; no cache to build
    model.config.pad_token_id = pad_token_id
    return model


def quantization_config(dtype: str) -> Any:
    """QLoRA's 4-bit NF4 base weights (bitsandbytes), computing in ``dtype``."""
    import importlib.util

    from transformers import BitsAndBytesConfig

    if importlib.util.find_spec("bitsandbytes") is None:
        raise TrainError("--qlora needs the bitsandbytes package", hint="Install it on the GPU machine: `pip install bitsandbytes`.")
    compute = getattr(torch, dtype)
    # quant_storage = compute dtype lets FSDP shard the 4-bit weights like any other tensor.
    return BitsAndBytesConfig(
        load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=compute, bnb_4bit_quant_storage=compute,
    )


def add_lora(model: Any, cfg: TrainConfig, *, qlora: bool, checkpointing: bool, adapter: Path | None = None) -> Any:
    """Wrap ``model`` with a fresh LoRA adapter (PEFT), or with the trainable adapter saved in the
    folder ``adapter`` (the preference stage continues its parent run's)."""
    from peft import PeftModel, get_peft_model, prepare_model_for_kbit_training

    if qlora:
        model = prepare_model_for_kbit_training(
            model, use_gradient_checkpointing=checkpointing, gradient_checkpointing_kwargs={"use_reentrant": False}
        )
    if adapter is not None:
        return PeftModel.from_pretrained(model, adapter, is_trainable=True)
    return get_peft_model(model, lora_config(cfg))


def lora_config(cfg: TrainConfig) -> Any:
    from peft import LoraConfig

    return LoraConfig(
        r=cfg.lora_rank, lora_alpha=cfg.lora_alpha, lora_dropout=cfg.lora_dropout,
        target_modules=_targets(cfg), task_type="CAUSAL_LM",
    )


def training_arguments(
    output_dir: Path, cfg: TrainConfig, device: DevicePlan, batch: BatchPlan, *, max_steps: int, has_val: bool,
    kind: Callable[..., Any] | None = None, **extra: Any,
) -> Any:
    """The Trainer's settings: every value comes from the config or the plans above. ``kind``: a
    subclass of ``TrainingArguments`` taking ``extra`` fields of its own (the preference stage
    passes TRL's ``DPOConfig`` or ``KTOConfig`` and their ``beta``; ``train_sampling_strategy``
    replaces the default, grouping by length)."""
    from transformers import TrainingArguments

    evaluate = has_val and cfg.eval_every > 0
    sampling = extra.pop("train_sampling_strategy", "group_by_length")  # KTO reads its rows in order
    return (kind or TrainingArguments)(
        output_dir=str(output_dir),
        max_steps=max_steps,
        per_device_train_batch_size=batch.micro_batch.value,
        per_device_eval_batch_size=batch.micro_batch.value,
        gradient_accumulation_steps=batch.grad_accum.value,
        learning_rate=cfg.learning_rate,
        lr_scheduler_type=cfg.scheduler,
        warmup_steps=cfg.warmup,
        bf16=device.dtype.value == "bfloat16",
        fp16=device.dtype.value == "float16",
        use_cpu=device.device.value == "cpu",
        use_liger_kernel=cfg.fused_kernels == "liger",  # checked by plan_kernels before the model loaded
        liger_kernel_config=LIGER_KERNELS if cfg.fused_kernels == "liger" else None,
        ddp_find_unused_parameters=False,  # every LoRA weight gets a gradient: skip DDP's extra search of the graph
        activation_checkpointing=batch.checkpointing.value and not device.qlora.value,  # QLoRA enabled it already
        activation_checkpointing_kwargs={"use_reentrant": False},
        train_sampling_strategy=sampling,
        eval_strategy="steps" if evaluate else "no",
        eval_steps=cfg.eval_every if evaluate else None,
        save_strategy="steps",
        save_steps=cfg.save_every,
        save_total_limit=2,
        logging_steps=1,
        include_num_input_tokens_seen="non_padding",
        prediction_loss_only=True,
        remove_unused_columns=False,
        label_names=["labels"],
        seed=cfg.seed,
        report_to="none",
        disable_tqdm=True,
        dataloader_num_workers=0,
        **extra,
    )


def _spread(examples: list[Example], limit: int) -> list[Example]:
    """``limit`` examples evenly spread over the list (all of them when limit is 0 or larger)."""
    if not limit or len(examples) <= limit:
        return examples
    return [examples[i * len(examples) // limit] for i in range(limit)]


def _targets(cfg: TrainConfig) -> str | list[str]:
    return "all-linear" if tuple(cfg.target_modules) == ("all-linear",) else list(cfg.target_modules)


def _packing(cfg: TrainConfig, device: str) -> Setting:
    """Whether a micro-batch's examples go end to end in one row (padding-free) or padded side by side."""
    if cfg.packing != "auto":
        return Setting(cfg.packing == "on", "[train] packing")
    if device == "cuda":
        return Setting(True, "auto: no compute on padding; attention stays within each example")
    return Setting(False, "auto: on a CPU the packed attention path is slower than length-grouped padded batches (bench/packing.py: 0.71x)")


def say_setting(say: Callable[[str], None], label: str, setting: Setting) -> None:
    say(f"  {label:<20} {setting.value}  ({setting.reason})")


def drop_default_printer(trainer: Any) -> None:
    """With tqdm off the Trainer prints raw log dicts; :class:`TrainProgress` replaces them."""
    from transformers.trainer_callback import PrinterCallback

    trainer.remove_callback(PrinterCallback)


def _meta(
    name: str, base: BaseModel, cfg: TrainConfig, device: DevicePlan, batch: BatchPlan, data: PreparedData,
    ws: Workspace, eot: str, tokenizer: Any, max_steps: int, metrics: dict[str, float],
) -> dict[str, Any]:
    """What produced this adapter: enough for the runtime and eval never to ask again."""
    import peft
    import transformers

    return {
        "name": name,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "shizu_version": shizu.__version__,
        "base": {"name": base.name, "path": str(base.path), "source": base.source, "sha256": base.sha256},
        "dataset": {
            "train": str(ws.dataset_dir / "train.jsonl"), "val": str(ws.dataset_dir / "val.jsonl"), "sha256": data.sha256,
            "train_examples": len(data.train), "val_examples": len(data.val),
            "train_tokens": data.tokens, "supervised_tokens": data.supervised, "val_tokens": data.val.tokens,
        },
        "chat_format": {"end_of_turn": eot, "pad_token": tokenizer.pad_token},
        "config": msgspec.to_builtins(cfg),
        "resolved": {
            "max_steps": max_steps, "max_length": data.max_length, "device": device.device.value, "dtype": device.dtype.value,
            "threads": device.threads.value, "qlora": device.qlora.value, "micro_batch": batch.micro_batch.value,
            "grad_accum": batch.grad_accum.value, "gradient_checkpointing": batch.checkpointing.value,
            "world_size": int(os.environ.get("WORLD_SIZE", "1")),  # processes; micro_batch and grad_accum are per process
        },
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__},
        "metrics": metrics,
    }
