"""Benchmark ``shizu train``'s recipe against a TRL baseline on SmolLM2-135M-Instruct + LoRA.

Both variants train the same LoRA (rank 16, alpha 32, every linear layer) on the same synthetic
multi-party chat windows (1-5 exchanges, persona replies supervised) with the same batch size
and fp32 on CPU, each in a fresh process so that its peak RSS is its own:

* baseline: TRL ``SFTTrainer`` with ``assistant_only_loss`` (a ChatML template with
  ``{% generation %}`` markers), ``bf16=False`` and no gradient checkpointing;
* shizu: the recipe's own pieces (``chat_format`` labels, length-grouped batches, logits and loss
  only at supervised positions) on a plain ``transformers.Trainer``.

Printed per variant: total and supervised tokens/s (wall clock, and per CPU-second: the fairer
figure on a shared machine), s/step, padding share, peak RSS, and model FLOP utilisation
(MFU): model FLOPs per token = 4 x parameters (forward + input gradients; LoRA needs no weight
gradients for the frozen base) + 12 x layers x padded length x hidden (attention scores and
mixing), against the fp32 matmul rate measured in this same run. Targets: shizu >= 1.5x the
baseline's supervised tokens/s and >= 50% MFU.

    python bench/train.py                 # full scale: one epoch of 25 steps x 8 examples
    python bench/train.py --scale 0.05    # quick check: 2 steps
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

FULL_STEPS = 25  # one epoch of FULL_STEPS x batch size examples
MAX_LENGTH = 256
NAMES = ["Alice", "Bob", "Chloé", "Dev", "Emre"]
WORDS = (
    "did you see the new trailer it looks so good honestly i cant wait for friday who is coming tonight "
    "the bus was late again lol my cat knocked over the plant we should play later idk maybe tomorrow"
).split()
TARGET_RATIO, TARGET_MFU = 1.5, 0.50


def synthetic_windows(count: int, seed: int = 0) -> list[list[dict[str, str]]]:
    """Chat windows shaped like ``shizu build``'s: system prompt, 1-5 exchanges, persona last."""
    rng = random.Random(seed)

    def line(n: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(n))

    windows = []
    for i in range(count):
        messages = [{"role": "system", "content": f"You are Mika. Discord server 'Cats', #general, with {', '.join(NAMES[:3])}. 2024-03-0{1 + i % 9}."}]
        for _ in range(rng.randint(1, 5)):
            users = [f"{rng.choice(NAMES)}: {line(rng.randint(3, 14))}" for _ in range(rng.randint(1, 3))]
            messages.append({"role": "user", "content": "\n".join(users)})
            messages.append({"role": "assistant", "content": "\n".join(line(rng.randint(2, 9)) for _ in range(rng.randint(1, 2)))})
        windows.append(messages)
    return windows


# TRL needs {% generation %} markers for assistant-only loss; this renders exactly like SmolLM2's template.
CHATML_WITH_GENERATION = (
    "{% for message in messages %}{% if message['role'] == 'assistant' %}{{ '<|im_start|>assistant\n' }}"
    "{% generation %}{{ message['content'] + '<|im_end|>' }}{% endgeneration %}{{ '\n' }}"
    "{% else %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full run (default 1)")
    parser.add_argument("--steps", type=int, help="timed steps (default: 20 x scale)")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (default: every core available)")
    parser.add_argument("--variant", choices=("baseline", "shizu"), help=argparse.SUPPRESS)  # child processes
    parser.add_argument("--plan", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:
        print(json.dumps(run_variant(args.variant, json.loads(args.plan))))
        return

    import os

    from shizu.train.base_model import resolve_base

    plan = {
        "base": str(resolve_base(None, say=print).path),
        "steps": args.steps or max(2, round(FULL_STEPS * args.scale)),
        "batch_size": args.batch_size,
        "threads": args.threads or len(os.sched_getaffinity(0)),
    }
    peak = matmul_gflops(plan["threads"])
    print(f"fp32 matmul rate ({plan['threads']} threads): {peak:.1f} GFLOP/s")
    print(f"one epoch: {plan['steps']} steps x {plan['batch_size']} examples, all timed after a warm-up pass; cutoff {MAX_LENGTH}")
    results = {}
    for variant in ("baseline", "shizu"):
        out = subprocess.run(
            [sys.executable, __file__, "--variant", variant, "--plan", json.dumps(plan)], capture_output=True, text=True, check=False
        )
        if out.returncode:
            sys.exit(f"{variant} failed:\n{out.stderr[-3000:]}")
        results[variant] = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"\n{'variant':<9} {'s/step':>7} {'tok/s':>7} {'sup tok/s':>9} {'sup/CPU-s':>9} {'pad %':>6} {'peak RSS':>9} {'MFU':>6} {'loss':>6}")
    for variant, r in results.items():
        mfu = r["model_flops"] / r["seconds"] / (peak * 1e9)
        r["mfu"] = mfu
        print(
            f"{variant:<9} {r['seconds'] / r['steps']:>7.2f} {r['tokens'] / r['seconds']:>7.1f} {r['supervised'] / r['seconds']:>9.1f} "
            f"{r['supervised'] / r['cpu_seconds']:>9.1f} "
            f"{100 * r['padding'] / (r['tokens'] + r['padding']):>5.1f}% {r['peak_rss_mb']:>7.0f}MB {100 * mfu:>5.1f}% {r['loss']:>6.3f}"
        )
    ratio = (results["shizu"]["supervised"] / results["shizu"]["seconds"]) / (results["baseline"]["supervised"] / results["baseline"]["seconds"])
    print(f"\nsupervised tokens/s, shizu / baseline: {ratio:.2f}x (target >= {TARGET_RATIO}x: {'met' if ratio >= TARGET_RATIO else 'NOT met'})")
    cpu_ratio = (results["shizu"]["supervised"] / results["shizu"]["cpu_seconds"]) / (results["baseline"]["supervised"] / results["baseline"]["cpu_seconds"])
    print(f"supervised tokens per CPU-second, shizu / baseline: {cpu_ratio:.2f}x (the fairer figure on a shared machine)")
    mfu = results["shizu"]["mfu"]
    print(f"shizu model FLOP utilisation: {100 * mfu:.1f}% of the measured fp32 matmul rate (target >= {100 * TARGET_MFU:.0f}%: {'met' if mfu >= TARGET_MFU else 'NOT met'})")


def matmul_gflops(threads: int, size: int = 1024, seconds: float = 2.0) -> float:
    """Best fp32 matmul rate over a few timed bursts (the denominator of the MFU)."""
    import torch

    torch.set_num_threads(threads)
    a, b = torch.randn(size, size), torch.randn(size, size)
    torch.mm(a, b)
    best = 0.0
    for _ in range(3):
        count, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < seconds / 3:
            torch.mm(a, b)
            count += 1
        best = max(best, 2 * size**3 * count / elapsed / 1e9)
    return best


def run_variant(variant: str, plan: dict[str, Any]) -> dict[str, float]:
    """Warm up with one forward/backward, then time one epoch of ``steps`` steps (in its own process)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback

    torch.set_num_threads(plan["threads"])
    tokenizer = AutoTokenizer.from_pretrained(plan["base"])
    tokenizer.pad_token = "<|endoftext|>"  # both variants pad the same, with a token that is not EOS
    model = AutoModelForCausalLM.from_pretrained(plan["base"], dtype=torch.float32)
    model.config.use_cache = False
    windows = synthetic_windows(plan["steps"] * plan["batch_size"])
    batches: list[tuple[int, int, int]] = []  # (real tokens, supervised tokens, padded positions) per batch

    def counting(collate: Any) -> Any:
        def wrapper(features: list[dict[str, Any]]) -> dict[str, Any]:
            batch = collate(features)
            real = int(batch["attention_mask"].sum())
            batches.append((real, int((batch["labels"][:, 1:] != -100).sum()), batch["labels"].numel() - real))
            return batch

        return wrapper

    class Clock(TrainerCallback):
        def __init__(self) -> None:
            self.marks: list[tuple[float, float]] = []  # (wall clock, process CPU time): first step's start, each step's end

        def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if not self.marks:
                self.marks.append((time.perf_counter(), time.process_time()))

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            self.marks.append((time.perf_counter(), time.process_time()))

    clock = Clock()
    with tempfile.TemporaryDirectory() as out:
        trainer = (_shizu_trainer if variant == "shizu" else _trl_trainer)(model, tokenizer, windows, plan, Path(out), plan["steps"])
        warm = trainer.data_collator([trainer.train_dataset[i] for i in range(2)])  # allocators, thread pools
        trainer.compute_loss(trainer.model, warm).backward()
        trainer.model.zero_grad()
        trainer.add_callback(clock)
        trainer.data_collator = counting(trainer.data_collator)
        trainer.train()
    timed = batches[: plan["steps"]]
    (wall_start, cpu_start), (wall_end, cpu_end) = clock.marks[0], clock.marks[plan["steps"]]
    config = model.config
    n_params = sum(p.numel() for name, p in trainer.model.named_parameters() if "lora_" not in name)
    flops = sum(real * (4 * n_params + 12 * config.num_hidden_layers * ((real + pad) / plan["batch_size"]) * config.hidden_size) for real, _, pad in timed)
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    return {
        "steps": plan["steps"], "seconds": wall_end - wall_start, "cpu_seconds": cpu_end - cpu_start, "tokens": sum(b[0] for b in timed), "supervised": sum(b[1] for b in timed),
        "padding": sum(b[2] for b in timed), "model_flops": flops, "loss": losses[-1],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _settings(plan: dict[str, Any]) -> Any:
    from shizu.config import TrainConfig

    return TrainConfig(batch_size=plan["batch_size"], learning_rate=2e-4, warmup=0.0, scheduler="constant", eval_every=0, save_every=10**6)


def _shizu_trainer(model: Any, tokenizer: Any, windows: list, plan: dict[str, Any], out: Path, steps: int) -> Any:
    from transformers import Trainer

    from shizu.chat.template import end_of_turn
    from shizu.train.encode import Example, apply_cutoff, encode_examples
    from shizu.train.hardware import BatchPlan, DevicePlan, Setting
    from shizu.train.recipe import add_lora, training_arguments
    from shizu.train.supervised import SupervisedCollator, supervised_loss

    cfg = _settings(plan)
    examples = [Example(id=str(i), where=f"window {i}", messages=w) for i, w in enumerate(windows)]
    encoded, _ = apply_cutoff(encode_examples(tokenizer, examples, end_of_turn(tokenizer)), MAX_LENGTH)
    device = DevicePlan(Setting("cpu", ""), Setting("float32", ""), Setting(plan["threads"], ""), Setting(False, ""))
    batch = BatchPlan(Setting(plan["batch_size"], ""), Setting(1, ""), Setting(False, ""))
    args = training_arguments(out, cfg, device, batch, max_steps=steps, has_val=False)
    return Trainer(
        model=add_lora(model, cfg, qlora=False, checkpointing=False), args=args,
        train_dataset=[{"input_ids": e.input_ids, "labels": e.labels} for e in encoded],
        data_collator=SupervisedCollator(tokenizer), compute_loss_func=supervised_loss,
    )


def _trl_trainer(model: Any, tokenizer: Any, windows: list, plan: dict[str, Any], out: Path, steps: int) -> Any:
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    from shizu.train.recipe import lora_config

    tokenizer.chat_template = CHATML_WITH_GENERATION
    args = SFTConfig(
        output_dir=str(out), max_steps=steps, per_device_train_batch_size=plan["batch_size"], learning_rate=2e-4,
        lr_scheduler_type="constant", bf16=False, activation_checkpointing=False, assistant_only_loss=True,
        max_length=MAX_LENGTH, packing=False, use_cpu=True, logging_steps=1, save_strategy="no", report_to="none",
        disable_tqdm=True, seed=0,
    )
    return SFTTrainer(
        model=model, args=args, train_dataset=Dataset.from_list([{"messages": w} for w in windows]),
        processing_class=tokenizer, peft_config=lora_config(_settings(plan)),
    )


if __name__ == "__main__":
    main()
