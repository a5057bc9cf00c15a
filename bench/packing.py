"""Packed (padding-free, one row per micro-batch) vs padded micro-batches: supervised tokens/s.

The same micro-batches, formed by the Trainer's own length-grouped sampler over a workspace's
train.jsonl (default: the demo's), each timed for a forward and backward pass of the LoRA model
(the embedded SmolLM2 by default) with the padded collator and with the packed one, alternating.
Prints supervised tokens/s for both and the ratio; ``[train] packing = "auto"`` follows what this
shows on the device.

    .venv/bin/python bench/packing.py --workspace demo/workspace --batches 12
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workspace", type=Path, default=Path("demo/workspace"))
    parser.add_argument("--batches", type=int, default=12)
    parser.add_argument("--micro-batch", type=int, default=8)
    args = parser.parse_args()
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.trainer_pt_utils import LengthGroupedSampler

    from shizu.chat.template import end_of_turn
    from shizu.dataset.reader import read_examples
    from shizu.train.base_model import resolve_base
    from shizu.train.encode import encode_examples
    from shizu.train.supervised import PackedCollator, SupervisedCollator, supervised_loss

    torch.manual_seed(0)
    base = resolve_base("")
    tokenizer = AutoTokenizer.from_pretrained(base.path)
    eot = end_of_turn(tokenizer)
    encoded = encode_examples(tokenizer, read_examples(args.workspace / "dataset" / "train.jsonl"), eot)
    features = [{"input_ids": list(e.input_ids), "labels": list(e.labels)} for e in encoded if len(e.input_ids) <= 512]
    model = AutoModelForCausalLM.from_pretrained(base.path, attn_implementation="sdpa")
    model.config.use_cache = False
    model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, target_modules="all-linear"))
    model.train()
    order = list(LengthGroupedSampler(args.micro_batch, lengths=[len(f["input_ids"]) for f in features]))
    batches = [[features[i] for i in order[k:k + args.micro_batch]] for k in range(0, args.micro_batch * (args.batches + 1), args.micro_batch)]
    collators = {"padded": SupervisedCollator(tokenizer), "packed": PackedCollator()}
    rates: dict[str, list[float]] = {name: [] for name in collators}
    for n, batch in enumerate(batches):
        for name, collate in collators.items():
            inputs = collate(batch)
            labels = inputs.pop("labels")
            supervised = int((labels[:, 1:] != -100).sum())
            start = time.perf_counter()
            supervised_loss(model(**inputs), labels, supervised).backward()
            seconds = time.perf_counter() - start
            model.zero_grad(set_to_none=True)
            if n:  # the first batch warms up
                rates[name].append(supervised / seconds)
    padded, packed = (statistics.median(rates[name]) for name in ("padded", "packed"))
    print(f"{len(batches) - 1} micro-batches of {args.micro_batch} from {args.workspace} (length-grouped like the Trainer), {torch.get_num_threads()} threads")
    print(f"padded: {padded:.1f} supervised tok/s; packed: {packed:.1f} supervised tok/s; packed/padded {packed / padded:.2f}x")


if __name__ == "__main__":
    main()
