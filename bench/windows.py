"""Longer conversation windows: more persona turns supervised per example, more signal per second?

Each window of ``shizu build`` ends on a persona turn and supervises every persona turn in it, once
([build] max_context_turns / max_context_tokens bound how far it reaches). For each window setting
this bench copies a workspace's store and config, builds the dataset and trains one epoch (every
persona turn seen once, whatever the windows), then:

* speed: forward + backward passes of SmolLM2 + LoRA on micro-batches of each setting's own
  examples (length-grouped, as the Trainer forms them), the settings alternating round by round so
  another load on the machine hits them alike; supervised tokens/s = tokens/s x supervised share;
* quality: every run scored on ONE validation set (the first setting's val.jsonl, the same contexts
  for all) with the persona-turn loss of ``shizu eval`` (teacher forcing): perplexity with its 95%
  interval, and the paired difference in mean loss per token against the first setting (negative:
  better).

    .venv/bin/python bench/windows.py --workspace demo/workspace --settings 8:768 16:1536 32:3072
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

SHIZU = [sys.executable, "-m", "shizu.cli"]


def prepare(source: Path, folder: Path, turns: int, tokens: int) -> None:
    """A copy of ``source``'s store and config with this window setting, built."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    shutil.copy(source / "shizu.db", folder / "shizu.db")
    config = (source / "shizu.toml").read_text(encoding="utf-8")
    config = re.sub(r"(?m)^max_context_turns = .*$", f"max_context_turns = {turns}", config)
    config = re.sub(r"(?m)^max_context_tokens = .*$", f"max_context_tokens = {tokens}", config)
    (folder / "shizu.toml").write_text(config, encoding="utf-8")
    subprocess.run([*SHIZU, "build", "-w", str(folder)], check=True, stdout=subprocess.DEVNULL)


def supervised_rates(folders: list[Path], metas: list[dict], rounds: int) -> list[float]:
    """Median tokens/s of forward + backward passes on each setting's micro-batches, alternating."""
    import statistics

    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from shizu.chat.template import end_of_turn
    from shizu.dataset.reader import read_examples
    from shizu.train.base_model import resolve_base
    from shizu.train.budget import calibrate
    from shizu.train.encode import apply_cutoff, encode_examples
    from shizu.train.supervised import SupervisedCollator

    torch.manual_seed(0)
    base = resolve_base("")
    tokenizer = AutoTokenizer.from_pretrained(base.path)
    eot = end_of_turn(tokenizer)
    model = get_peft_model(AutoModelForCausalLM.from_pretrained(base.path), LoraConfig(r=16, lora_alpha=32, target_modules="all-linear", task_type="CAUSAL_LM"))
    collator = SupervisedCollator(tokenizer)
    features = []
    for folder, meta in zip(folders, metas, strict=True):
        encoded = encode_examples(tokenizer, read_examples(folder / "dataset" / "train.jsonl"), eot)
        features.append(apply_cutoff(encoded, meta["resolved"]["max_length"])[0].features())
    rates: list[list[float]] = [[] for _ in folders]
    for _ in range(rounds):
        for i, (feats, meta) in enumerate(zip(features, metas, strict=True)):
            rates[i].append(calibrate(model, collator, feats, meta["resolved"]["micro_batch"]))
    return [statistics.median(r) for r in rates]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workspace", type=Path, default=Path("demo/workspace"))
    parser.add_argument("--out", type=Path, default=Path("bench/out/windows"))
    parser.add_argument("--rounds", type=int, default=5, help="alternating speed rounds")
    parser.add_argument("--settings", nargs="+", default=["8:768", "16:1536", "32:3072"], help="max_context_turns:max_context_tokens")
    args = parser.parse_args()

    from shizu.dataset.reader import read_examples
    from shizu.eval.intervals import bootstrap_statistic, paired_difference
    from shizu.eval.perplexity import perplexity, score_systems
    from shizu.persona.run import run_weights

    runs = []
    for setting in args.settings:
        turns, tokens = (int(v) for v in setting.split(":"))
        folder = args.out / f"w{turns}-{tokens}"
        prepare(args.workspace, folder, turns, tokens)
        subprocess.run([*SHIZU, "train", "-w", str(folder), "--epochs", "1", "--name", "w"], check=True, stdout=subprocess.DEVNULL)
        meta = json.loads((folder / "runs" / "w" / "meta.json").read_text(encoding="utf-8"))
        runs.append((setting, folder, meta))
        print(f"trained {setting}: {meta['metrics']['steps']} steps in {meta['metrics']['seconds_this_session']} s", flush=True)

    speed = supervised_rates([folder for _, folder, _ in runs], [meta for _, _, meta in runs], args.rounds)
    val = read_examples(runs[0][1] / "dataset" / "val.jsonl")
    scores = score_systems([(setting, run_weights(folder / "runs" / "w")) for setting, folder, _ in runs], val, "cpu")
    keys = sorted(scores[runs[0][0]])
    print(f"\nvalidation: {len(val)} examples, {len(keys)} persona turns of {runs[0][1] / 'dataset' / 'val.jsonl'} (the same for every setting)")
    print("| turns:tokens | examples | tokens | supervised | supervised tok/s (median of rounds) | val perplexity (95% CI) | loss/token vs first (95% CI) |")
    print("|---|---|---|---|---|---|---|")
    first = scores[runs[0][0]]
    for (setting, _, meta), rate in zip(runs, speed, strict=True):
        data = meta["dataset"]
        share = data["supervised_tokens"] / data["train_tokens"]
        turns = [scores[setting][k] for k in keys]
        ppl = bootstrap_statistic(turns, perplexity)
        diff = paired_difference([t.nll / t.tokens for t in turns], [first[k].nll / first[k].tokens for k in keys]).estimate
        print(
            f"| {setting} | {data['train_examples']} | {data['train_tokens']:,} | {share:.1%} | {rate * share:.1f} |"
            f" {ppl.value:.2f} ({ppl.low:.2f}-{ppl.high:.2f}) | {diff.value:+.4f} ({diff.low:+.4f} to {diff.high:+.4f}) |"
        )


if __name__ == "__main__":
    main()
