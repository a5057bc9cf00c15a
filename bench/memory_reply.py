"""Benchmark a reply's latency with the memory against without it (issue #20's 1.2x target).

The workspace needs ``[memory] enabled = true``, a build made with it and a run trained with it
(``make demo`` makes one). Each held-out turn of ``val.jsonl`` whose example recalled memories is
one context: the persona answers it live, as a frontend would, at the place of those memories
(``where``), so *with memory* pays for everything memory costs at reply time: the search (words
and, with ``[memory] semantic``, the MiniLM embedding of the conversation), the longer prompt's
prefill and whatever the longer prompt changes in the reply. *Without* is the same persona with
``memory=False``. Greedy decoding, the workspace's other ``[generation]`` settings; the two
variants alternate context by context (with memory first on even contexts), after one warm-up
reply each, in one process.

Printed: p50 / p95 of the whole reply's latency and of the time to its first message, mean prompt
and reply tokens, and the ratios with / without (target: p50 latency ratio <= 1.2).

Shown its memories, a run may also write longer or shorter replies, which changes the latency by
what it says rather than by what memory costs. So the same contexts are answered once more at
*equal length*: the prompt made as above (the search included), then exactly the median reply
length of the without-memory variant generated greedily, past any end of turn. The ratio of those
latencies is what the memory costs a reply of the same length (the issue's "prompt is longer").

    python bench/memory_reply.py --workspace demo/workspace --contexts 40
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from statistics import mean, quantiles
from typing import Any

import msgspec

TARGET = 1.2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workspace", type=Path, required=True, help="a workspace built and trained with [memory] enabled = true")
    parser.add_argument("--run", help="the run (default: the latest finished one)")
    parser.add_argument("--contexts", type=int, default=40, help="held-out turns (default 40, evenly spread)")
    args = parser.parse_args()

    from shizu.eval.heldout import read_heldout, spread
    from shizu.memory import MemoryIndex
    from shizu.persona import Done, Persona, Said
    from shizu.store.database import MessageStore
    from shizu.workspace import Workspace

    ws = Workspace(args.workspace)
    if not ws.config.memory.enabled:
        raise SystemExit(f"{ws.config_path}: [memory] enabled is false; turn it on, `shizu build` and train a run")
    persona = Persona.load(ws, run=args.run, say=print)
    if persona.memory is None:
        raise SystemExit("the persona has no memory (see the line above)")
    persona.generation = msgspec.structs.replace(persona.generation, temperature=0.0)
    _, every_turn = read_heldout(ws.dataset_dir / "val.jsonl", ws.config.build.timezone)
    with MessageStore(ws.db_path, shared=True) as store:
        index = MemoryIndex(store, ws.config.memory)
        wheres = {}
        for turn in every_turn:
            if turn.memories and turn.example_id not in wheres:
                found = index.entries([index.tables.stored(turn.memories[:1])[turn.memories[0]][0]])
                wheres[turn.example_id] = found[0][1].where
    turns = spread([t for t in every_turn if t.example_id in wheres], args.contexts)
    print(f"{len(turns)} held-out turns whose example recalled memories (of {len(every_turn)}); run {persona.backend.label}")

    tokenizer = persona.backend.tokenizer

    def answer(turn: Any, memory: bool) -> dict[str, float]:
        began = time.perf_counter()
        first = None
        for event in persona.stream(turn.history, turn.place, participants=turn.participants, now=turn.time, where=wheres[turn.example_id], memory=memory):
            if isinstance(event, Said) and first is None:
                first = time.perf_counter()
            if isinstance(event, Done):
                reply = event.reply
        ended = time.perf_counter()
        return {
            "total": ended - began, "first": (first or ended) - began, "memories": len(reply.memories),
            "prompt_tokens": len(tokenizer(reply.prompt, add_special_tokens=False)["input_ids"]),
            "reply_tokens": len(tokenizer(reply.generated, add_special_tokens=False)["input_ids"]) if reply.generated else 0,
        }

    answer(turns[0], True), answer(turns[0], False)  # warm-up: model, MiniLM and the memory snapshot loaded
    results: dict[bool, list[dict[str, float]]] = {True: [], False: []}
    for i, turn in enumerate(turns):
        for memory in ((True, False) if i % 2 == 0 else (False, True)):
            results[memory].append(answer(turn, memory))
    summary = {memory: _summary(rows) for memory, rows in results.items()}
    for memory, figures in summary.items():
        print(f"{'with memory' if memory else 'without':12s} latency p50 {figures['p50']:.3f} s  p95 {figures['p95']:.3f} s  "
              f"first message p50 {figures['first_p50']:.3f} s  prompt {figures['prompt']:.0f} tokens  reply {figures['reply']:.1f} tokens  "
              f"memories shown {figures['memories']:.2f}")
    ratio = summary[True]["p50"] / summary[False]["p50"]
    print(f"with / without: latency p50 {ratio:.2f}x (target <= {TARGET}x: {'met' if ratio <= TARGET else 'NOT met'}), "
          f"p95 {summary[True]['p95'] / summary[False]['p95']:.2f}x, first message p50 {summary[True]['first_p50'] / summary[False]['first_p50']:.2f}x")

    import torch
    from transformers import AutoModelForCausalLM

    from shizu.persona.run import run_weights
    from shizu.runs import find_run

    path = find_run(ws.runs_dir, args.run)
    assert path is not None  # the persona above loaded it
    weights = run_weights(path)
    model = AutoModelForCausalLM.from_pretrained(weights.base, dtype=torch.float32)
    if weights.adapter is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, weights.adapter)
    model.eval()
    length = round(quantiles([r["reply_tokens"] for r in results[False]], n=2)[0])

    def equal_length(turn: Any, memory: bool) -> float:
        began = time.perf_counter()
        prompt = persona.prompt(turn.history, turn.place, participants=turn.participants, now=turn.time, where=wheres[turn.example_id], memory=memory)
        ids = tokenizer(prompt.text, return_tensors="pt", add_special_tokens=False)
        with torch.inference_mode():
            model.generate(**ids, min_new_tokens=length, max_new_tokens=length, do_sample=False, pad_token_id=tokenizer.eos_token_id)
        return time.perf_counter() - began

    equal_length(turns[0], True), equal_length(turns[0], False)
    timed: dict[bool, list[float]] = {True: [], False: []}
    for i, turn in enumerate(turns):
        for memory in ((True, False) if i % 2 == 0 else (False, True)):
            timed[memory].append(equal_length(turn, memory))
    p50 = {memory: quantiles(times, n=2)[0] for memory, times in timed.items()}
    ratio = p50[True] / p50[False]
    print(f"equal length ({length} tokens): with memory p50 {p50[True]:.3f} s, without {p50[False]:.3f} s: "
          f"{ratio:.2f}x (target <= {TARGET}x: {'met' if ratio <= TARGET else 'NOT met'})")


def _summary(rows: list[dict[str, float]]) -> dict[str, float]:
    totals = sorted(r["total"] for r in rows)
    cuts = quantiles(totals, n=20) if len(totals) > 1 else [totals[0]] * 19
    firsts = sorted(r["first"] for r in rows)
    return {
        "p50": cuts[9], "p95": cuts[18], "first_p50": quantiles(firsts, n=2)[0] if len(firsts) > 1 else firsts[0],
        "prompt": mean(r["prompt_tokens"] for r in rows), "reply": mean(r["reply_tokens"] for r in rows), "memories": mean(r["memories"] for r in rows),
    }


if __name__ == "__main__":
    main()
