"""Does the semantic half of memory search earn its cost? Retrieval quality with and without it (issue #20).

On a workspace ingested from ``shizu sample`` (which writes ``facts.json``: the persona's facts and
the ids of her answers whenever a friend asked about one), the memory is built twice, each on a
copy of the workspace: words only (``[memory] semantic = false``), and words and meaning
(all-MiniLM-L6-v2, ``semantic = true``). For every persona turn of the training and held-out examples that
answers a question about a fact, the memories ``shizu build`` put in that example's prompt (what
the bot would have recalled then, ``[memory] k`` within ``max_tokens``, in scope, only from
earlier conversations) either hold the fact (one of its keywords in the persona's lines) or not:
the share that do, with Wilson intervals, and the difference as a paired bootstrap over the same
turns. Also printed: each build's wall time, and the cosine that half, a tenth and 1 % of random
pairs of memories reach (nearly all unrelated: what :data:`shizu.memory.vectors.MIN_COSINE` is
set against).

    .venv/bin/shizu sample S --messages 3000 --seed 7; .venv/bin/shizu init W
    sed -i 's/^enabled = false$/enabled = true/' W/shizu.toml; .venv/bin/shizu ingest -w W S
    .venv/bin/python bench/memory_retrieval.py --workspace W --facts S/facts.json
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC
from pathlib import Path

import numpy as np

SHIZU = str(Path(sys.executable).parent / "shizu")
SETTINGS = {"words only": "false", "words + MiniLM": "true"}
PAIRS = 20_000  # random pairs of memories for the cosine of unrelated ones


def build(source: Path, target: Path, semantic: str) -> float:
    """Copy the workspace ``source`` (its settings and database) to ``target``, set the memory, build; the build's seconds."""
    target.mkdir(parents=True)
    shutil.copy(source / "shizu.db", target / "shizu.db")
    toml = re.sub(r"(?m)^semantic = \w+$", f"semantic = {semantic}", (source / "shizu.toml").read_text(encoding="utf-8"))
    (target / "shizu.toml").write_text(toml, encoding="utf-8")
    start = time.perf_counter()
    done = subprocess.run([SHIZU, "build", "-w", str(target)], capture_output=True, text=True, check=False)
    if done.returncode:
        sys.exit(f"shizu build failed on {target}:\n{done.stderr[-3000:]}")
    return time.perf_counter() - start


def every_answer(facts: Path, target: Path) -> Path:
    """``facts`` with the training period's answers as questions too (``facts.json`` lists the held-out
    period's questions under ``questions`` and every statement, answering a question or not, under
    ``statements``), written to ``target``: what :func:`shizu.eval.recall.probes_from_facts` reads."""
    data = json.loads(facts.read_text(encoding="utf-8"))
    for fact in data["facts"]:
        fact["questions"] = fact["questions"] + [{"answer_ids": [s["id"]]} for s in fact["statements"] if s.get("question_id")]
    target.write_text(json.dumps(data), encoding="utf-8")
    return target


def held(workspace: Path, facts: Path) -> tuple[list[bool], int]:
    """For each fact-answering persona turn of the built ``workspace``: did its recalled memories hold the fact?
    And how many memories the build made."""
    from shizu.eval.heldout import read_heldout
    from shizu.eval.recall import probes_from_facts
    from shizu.memory import MemoryIndex, recollection_of
    from shizu.store.database import MessageStore
    from shizu.workspace import Workspace

    ws = Workspace(workspace)
    turns = [t for name in ("train.jsonl", "val.jsonl") for t in read_heldout(ws.dataset_dir / name, ws.config.build.timezone)[1]]
    probes = probes_from_facts(facts, [turn.message_ids for turn in turns])
    with MessageStore(ws.db_path, shared=True) as store:
        index = MemoryIndex(store, ws.config.memory)
        shown = {}
        for probe in probes:
            recalled = recollection_of(index, turns[probe.turn].memories, persona="me", tz=UTC).recalled  # only the lines are read
            shown[probe.turn] = "\n".join(line for r in recalled for line in r.memory.reply)
        return [probe.recalled(shown[probe.turn]) for probe in probes], index.tables.count()


def unrelated_cosine(workspace: Path) -> str:
    """The cosine that half, a tenth and 1 % of random pairs of the stored memories reach."""
    from shizu.memory import vectors
    from shizu.store.database import MessageStore
    from shizu.store.memories import MemoryTables

    with MessageStore(workspace / "shizu.db", shared=True) as store:
        rows = [vector for _, vector in MemoryTables(store).all_vectors()]
    matrix = vectors.unit(np.frombuffer(b"".join(rows), dtype=np.int8).reshape(len(rows), -1))
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, len(matrix), size=(2, PAIRS))
    keep = a != b
    cosines = np.einsum("ij,ij->i", matrix[a[keep]], matrix[b[keep]])
    return "; random pairs of memories: cosine at 50 / 90 / 99 %: " + " / ".join(f"{np.quantile(cosines, q):.3f}" for q in (0.5, 0.9, 0.99))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workspace", type=Path, required=True, help="a workspace with [memory] enabled = true, ingested (built or not)")
    parser.add_argument("--facts", type=Path, required=True, help="the facts.json `shizu sample` wrote")
    args = parser.parse_args()

    from shizu.eval.recall import wilson

    results: dict[str, list[bool]] = {}
    with tempfile.TemporaryDirectory(prefix="shizu-retrieval-") as tmp:
        facts = every_answer(args.facts, Path(tmp) / "facts.json")
        for name, semantic in SETTINGS.items():
            copy = Path(tmp) / semantic
            seconds = build(args.workspace, copy, semantic)
            results[name], count = held(copy, facts)
            hits, n = sum(results[name]), len(results[name])
            low, high = wilson(hits, n)
            cosine = unrelated_cosine(copy) if semantic == "true" else ""
            print(f"{name:15s} holds the fact for {hits}/{n} = {hits / n:.1%} [{low:.1%}, {high:.1%}] of the turns answering a fact"
                  f" question; build {seconds:.1f} s ({count} memories){cosine}", flush=True)
    print(f"words + MiniLM - words only: {difference(results['words + MiniLM'], results['words only'])} (paired bootstrap over the same turns)")


def difference(a: list[bool], b: list[bool]) -> str:
    """``a - b`` over the same turns, with its 95 % bootstrap interval."""
    from shizu.eval.intervals import paired_difference

    d = paired_difference([float(x) for x in a], [float(x) for x in b]).estimate
    return f"{d.value:+.1%} [{d.low:+.1%}, {d.high:+.1%}]"


if __name__ == "__main__":
    main()
