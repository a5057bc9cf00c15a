"""Benchmark the persona's replies: each local backend against plain llama-cpp-python.

Held-out contexts come from ``dataset/val.jsonl`` of a demo-like workspace (``--workspace``, or one
made here as ``make demo`` does: ``shizu sample``, ``init``, ``ingest``, ``build``, ``train
--steps``). Each context is the conversation before one of the persona's held-out turns, given
to ``Persona.stream`` as the live history. Every variant runs in a fresh process (its peak RSS is
its own), greedy, with the workspace's ``repetition_penalty`` and ``max_new_tokens``, on the same
prompts, after one warm-up reply:

* ``llama-cpp-python``: the baseline, the plain library generating from the same base GGUF
  without Shizu (``Llama.generate`` on the prompt's tokens until end-of-turn), with the run's
  adapter (``+ LoRA``) and without it;
* ``shizu llama.cpp``: the persona with ``[generation] backend = "llama.cpp"`` (base + adapter),
  and ``merged`` (``merge_adapter = true``: one Q8_0 GGUF with the adapter merged in);
* ``shizu transformers``: the persona with the transformers + PEFT backend.

Printed per variant: load time, time to first token (from the start of the reply: rendering,
tokenising and the prompt's prefill), decoding tokens/s, p50 / p95 latency of a whole reply, mean
reply length, peak RSS; then the ratios. Tokens are counted by re-tokenising each reply's text with
the run's tokenizer, the same way for every variant; tokens/s is decode steps per second from the
first token until the engine stops: a reply of n tokens takes n - 1 more steps and the end-of-turn
token (Shizu's post-processing after that counts in the latency, not here). A trained persona's
replies are a dozen tokens, so counting only the n - 1 would charge the end-of-turn step to the
persona (the base model's replies are several times longer). Targets (135M model, this machine), for each shizu
llama.cpp variant: >= 0.9x the baseline's tokens/s (base GGUF) and >= 2.5x shizu transformers,
p50 latency <= 1.0 s.

    python bench/reply.py                          # full: 60 contexts (trains a 60-step run if needed)
    python bench/reply.py --scale 0.05            # quick check: 4 contexts, 3 training steps
    python bench/reply.py --workspace demo/workspace --contexts 100
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from statistics import quantiles
from typing import Any

FULL_CONTEXTS, FULL_STEPS, SAMPLE_MESSAGES = 60, 60, 6000
TARGET_BASELINE, TARGET_TRANSFORMERS, TARGET_P50 = 0.9, 2.5, 1.0
VARIANTS = ("llama-cpp-python", "llama-cpp-python + LoRA", "shizu llama.cpp", "shizu llama.cpp merged", "shizu transformers")
ROOT = Path(__file__).resolve().parent.parent
SHIZU = [str(Path(sys.executable).parent / "shizu")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full run (default 1)")
    parser.add_argument("--contexts", type=int, help="held-out contexts (default: 60 x scale, at least 4)")
    parser.add_argument("--workspace", type=Path, help="a workspace with dataset/val.jsonl and a finished run (default: make one)")
    parser.add_argument("--threads", type=int, default=0, help="threads for every engine (default: every core available)")
    parser.add_argument("--variant", choices=VARIANTS, help=argparse.SUPPRESS)  # child processes
    parser.add_argument("--plan", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:
        print(json.dumps(run_variant(args.variant, json.loads(args.plan.read_text(encoding="utf-8")))))
        return
    steps = max(2, round(FULL_STEPS * args.scale))
    ws_root = args.workspace or make_workspace(ROOT / "bench" / "out" / f"reply-{steps}-steps", steps)
    plan = make_plan(ws_root, args.contexts or max(4, round(FULL_CONTEXTS * args.scale)), args.threads or len(os.sched_getaffinity(0)))
    plan_file = ws_root / "bench-reply-plan.json"
    plan_file.write_text(json.dumps(plan), encoding="utf-8")
    print(f"workspace {ws_root}, run {plan['run']!r}, {len(plan['contexts'])} contexts, {plan['threads']} threads, "
          f"greedy, repetition_penalty {plan['repetition_penalty']}, max_new_tokens {plan['max_new_tokens']}")
    results = {}
    for variant in VARIANTS:  # each in its own process: a native crash costs that variant only
        out = subprocess.run([sys.executable, __file__, "--variant", variant, "--plan", str(plan_file)], capture_output=True, text=True, check=False)
        if out.returncode:
            how = f"died by signal {-out.returncode} ({signal.strsignal(-out.returncode)})" if out.returncode < 0 else f"exited with status {out.returncode}"
            print(f"{variant}: {how}; its stderr ends:\n{out.stderr[-3000:] or '(nothing)'}", file=sys.stderr)
            continue
        results[variant] = json.loads(out.stdout.strip().splitlines()[-1])
    if len(results) < len(VARIANTS):
        sys.exit(f"{len(VARIANTS) - len(results)} of {len(VARIANTS)} variants failed (above); no ratios without them.")
    report(results, plan["tokenizer"])


def make_workspace(root: Path, steps: int) -> Path:
    """A demo-like workspace with a trained run (made once; reused while it has one)."""
    ws = root / "workspace"
    if (ws / "dataset" / "val.jsonl").is_file() and any((ws / "runs").glob("*/meta.json")):
        return ws
    print(f"making a demo-like workspace in {root} (sample, ingest, build, train --steps {steps})", flush=True)
    for command in (
        ["sample", str(root / "sample"), "--messages", str(SAMPLE_MESSAGES), "--seed", "7", "--force"],
        ["init", str(ws)],
        ["ingest", "--workspace", str(ws), str(root / "sample")],
        ["build", "--workspace", str(ws)],
        ["train", "--workspace", str(ws), "--steps", str(steps)],
    ):
        if command[0] == "init" and (ws / "shizu.toml").is_file():
            continue
        subprocess.run(SHIZU + command, check=True, stdout=subprocess.DEVNULL)
    return ws


def make_plan(ws_root: Path, count: int, threads: int) -> dict[str, Any]:
    """The prompts (rendered once, by the persona) and the files every variant needs."""
    from shizu.export.pipeline import gguf_files
    from shizu.persona.run import run_weights
    from shizu.persona.runtime import Persona
    from shizu.runs import find_run
    from shizu.workspace import Workspace

    ws = Workspace(ws_root)
    path = find_run(ws.runs_dir, None)
    if path is None:
        sys.exit(f"{ws.runs_dir} holds no finished run; train one with `shizu train`")
    run = run_weights(path)
    files = gguf_files(run, say=print)
    gguf_files(run, merged=True, say=print)  # written here, not in the timed child
    persona = Persona.load(ws)
    contexts = held_out(ws.dataset_dir / "val.jsonl", persona.name, count)
    prompts = [persona.prompt(history, place, now=now).text for history, place, now in contexts]
    gen = ws.config.generation
    return {
        "workspace": str(ws_root), "run": run.run, "threads": threads, "base_gguf": str(files.base), "adapter_gguf": str(files.adapter),
        "tokenizer": str(run.tokenizer_dir), "repetition_penalty": gen.repetition_penalty, "max_new_tokens": gen.max_new_tokens,
        "contexts": [[[m.speaker, m.text, m.time.isoformat(), m.is_persona] for m in history] + [[place.kind, place.channel, place.server, now.isoformat()]]
                     for history, place, now in contexts],
        "prompts": prompts,
    }


def held_out(path: Path, persona: str, count: int) -> list[tuple[list[Any], Any, datetime]]:
    """Live situations rebuilt from val.jsonl: the turns before each held-out persona turn.

    Every assistant turn of every example is one context (its earlier turns are the history);
    when there are fewer than ``count``, they are used again in order.
    """
    from shizu.chat.layout import Place
    from shizu.persona.live import LiveMessage

    situations = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        now = datetime.fromisoformat(row["timestamp"].replace("Z", "+00:00")).astimezone(UTC)
        where = re.search(r'in #(\S+) on the server "([^"]+)"', row["messages"][0]["content"])
        place = Place(kind="guild-text", channel=where[1], server=where[2]) if where else Place(kind="dm")
        history: list[Any] = []
        for message in row["messages"][1:]:
            if message["role"] == "assistant" and history:
                situations.append((list(history), place, now))
            for text in message["content"].split("\n"):
                if message["role"] == "assistant":
                    history.append(LiveMessage(persona, text, now, is_persona=True))
                elif ": " in text:
                    speaker, said = text.split(": ", 1)
                    history.append(LiveMessage(speaker, said, now))
    if not situations:
        sys.exit(f"{path} holds no held-out persona turns")
    if len(situations) < count:
        print(f"{path} has {len(situations)} held-out persona turns; some are used twice to reach {count}")
    return [situations[i % len(situations)] for i in range(count)]


def run_variant(variant: str, plan: dict[str, Any]) -> dict[str, Any]:
    """Load the variant, answer every context (after one warm-up), measure (in its own process)."""
    start = time.perf_counter()
    answer = (_baseline if variant.startswith("llama-cpp-python") else _shizu)(variant, plan)
    load = time.perf_counter() - start
    answer(0)  # warm-up
    replies = []
    for i in range(len(plan["prompts"])):
        began = time.perf_counter()
        first, generated, text = answer(i)
        ended = time.perf_counter()
        replies.append({"ttft": first - began, "total": ended - began, "decoding": generated - first, "text": text})
    return {"load": load, "replies": replies, "peak_rss_mb": _peak_rss_mb()}


def _peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss it does not carry the parent's over exec)."""
    for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _baseline(variant: str, plan: dict[str, Any]) -> Any:
    from llama_cpp import Llama

    lora = plan["adapter_gguf"] if variant.endswith("LoRA") else None
    llm = Llama(model_path=plan["base_gguf"], lora_path=lora, n_ctx=4096, n_threads=plan["threads"], n_threads_batch=plan["threads"], verbose=False)
    eos = llm.token_eos()

    def answer(i: int) -> tuple[float, float, str]:
        tokens = llm.tokenize(plan["prompts"][i].encode("utf-8"), add_bos=False, special=True)
        out: list[int] = []
        first = 0.0
        for token in llm.generate(tokens, top_k=0, top_p=1.0, min_p=0.0, temp=0.0, repeat_penalty=plan["repetition_penalty"]):
            if not out:
                first = time.perf_counter()
            if token == eos or len(out) == plan["max_new_tokens"]:
                break
            out.append(token)
        return first, time.perf_counter(), llm.detokenize(out).decode("utf-8", "replace")

    return answer


def _shizu(variant: str, plan: dict[str, Any]) -> Any:
    import torch

    from shizu.chat.layout import Place
    from shizu.config import GenerationConfig
    from shizu.persona import LiveMessage, Persona
    from shizu.persona.run import run_weights
    from shizu.workspace import Workspace

    ws = Workspace(Path(plan["workspace"]))
    weights = run_weights(ws.runs_dir / plan["run"])
    if variant.startswith("shizu llama.cpp"):
        from shizu.persona.backends.llamacpp import LlamaCppBackend

        backend: Any = LlamaCppBackend(weights, merged=variant.endswith("merged"), threads=plan["threads"])
    else:
        from shizu.persona.backends.local import LocalBackend

        torch.set_num_threads(plan["threads"])
        backend = LocalBackend(weights.base, weights.adapter, weights.tokenizer_dir, "cpu")
    generation = GenerationConfig(temperature=0, repetition_penalty=plan["repetition_penalty"], max_new_tokens=plan["max_new_tokens"])
    timed = _Timed(backend)
    persona = Persona(Persona.load(ws).name, timed, generation=generation, build=ws.config.build)
    persona.prepare()
    contexts = []
    for *messages, (kind, channel, server, now) in plan["contexts"]:
        history = [LiveMessage(s, t, datetime.fromisoformat(at), p) for s, t, at, p in messages]
        contexts.append((history, Place(kind=kind, channel=channel, server=server), datetime.fromisoformat(now)))

    def answer(i: int) -> tuple[float, float, str]:
        history, place, now = contexts[i]
        timed.first = 0.0
        *_, done = persona.stream(history, place, now=now)
        first = timed.first or timed.end
        return first, timed.end, done.reply.generated

    return answer


class _Timed:
    """A backend that notes when the first text of each reply arrives (the engine's first token)
    and when the engine stops (after the end-of-turn token, before Shizu's post-processing)."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.first = self.end = 0.0
        self.label = backend.label

    @property
    def tokenizer(self) -> Any:
        return self.backend.tokenizer

    def prepare(self) -> None:
        self.backend.prepare()

    def stream(self, prompt: str, stop: Any, settings: Any) -> Any:
        chunks = self.backend.stream(prompt, stop, settings)
        try:
            for chunk in chunks:
                self.first = self.first or time.perf_counter()
                yield chunk
        finally:
            chunks.close()
            self.end = time.perf_counter()


def report(results: dict[str, dict[str, Any]], tokenizer_dir: str) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    print(f"\n{'variant':<24} {'load':>6} {'TTFT p50':>9} {'tok/s':>7} {'p50':>7} {'p95':>7} {'tokens':>7} {'peak RSS':>9}")
    rates = {}
    for variant, r in results.items():
        replies = r["replies"]
        tokens = [len(tokenizer(reply["text"], add_special_tokens=False)["input_ids"]) for reply in replies]
        decoding = sum(reply["decoding"] for reply in replies)
        rates[variant] = sum(tokens) / decoding if decoding else 0.0
        total = [reply["total"] for reply in replies]
        r.update(p50=_pct(total, 50), p95=_pct(total, 95))
        print(
            f"{variant:<24} {r['load']:>5.2f}s {_pct([reply['ttft'] for reply in replies], 50):>8.3f}s {rates[variant]:>7.1f} "
            f"{r['p50']:>6.2f}s {r['p95']:>6.2f}s {sum(tokens) / len(tokens):>7.1f} {r['peak_rss_mb']:>7.0f}MB"
        )
    baseline, lora, hf = rates["llama-cpp-python"], rates["llama-cpp-python + LoRA"], rates["shizu transformers"]
    for variant in ("shizu llama.cpp", "shizu llama.cpp merged"):
        shizu, p50 = rates[variant], results[variant]["p50"]
        print(f"\n{variant}:")
        print(f"  tokens/s / llama-cpp-python (base GGUF): {shizu / baseline:.2f}x (target >= {TARGET_BASELINE}x: {_met(shizu / baseline >= TARGET_BASELINE)})")
        if variant == "shizu llama.cpp":
            print(f"  tokens/s / llama-cpp-python + the same LoRA: {shizu / lora:.2f}x (Shizu's own overhead)")
        print(f"  tokens/s / shizu transformers: {shizu / hf:.2f}x (target >= {TARGET_TRANSFORMERS}x: {_met(shizu / hf >= TARGET_TRANSFORMERS)})")
        print(f"  p50 reply latency: {p50:.2f} s (target <= {TARGET_P50} s: {_met(p50 <= TARGET_P50)})")


def _pct(values: list[float], q: int) -> float:
    return quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


if __name__ == "__main__":
    main()
