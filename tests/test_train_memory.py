"""``shizu train --no-memory``: the same windows without the memories their build recalled."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from shizu.chat.layout import Place, Situation, system_prompt
from shizu.dataset.reader import read_examples
from shizu.persona.run import learnt_with_memories, run_weights
from shizu.progress import Quiet
from shizu.train.recipe import TrainOptions, train
from shizu.workspace import Workspace
from tiny_model import make_workspace, save_tiny_model

WHEN = datetime.fromisoformat("2024-03-02T21:14:05+00:00")
MEMORY = "Saturday 2 March 2024 in a direct message:\nAlice: what's your cat called\nMika: mochi obviously"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_model(tmp_path_factory.mktemp("model") / "tiny")


def situation(memories: str) -> Situation:
    return Situation("Mika", Place(kind="dm"), WHEN, ("Alice",), "", memories)


def remembering(ws: Workspace) -> Workspace:
    """Every even row of ``ws``'s dataset now shows :data:`MEMORY` (as a build with the memory on writes it)."""
    for split in ("train", "val"):
        path = ws.dataset_dir / f"{split}.jsonl"
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        for i, row in enumerate(rows):
            row["persona"] = "Mika"
            row["messages"][0]["content"] = system_prompt(situation(MEMORY if i % 2 == 0 else ""))
            row["memories"] = ["1001"] if i % 2 == 0 else []
        path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return ws


def test_an_example_without_its_memories_is_the_same_window_rendered_without_memory(tmp_path: Path) -> None:
    ws = remembering(make_workspace(tmp_path / "ws"))
    shown, plain = read_examples(ws.dataset_dir / "train.jsonl")[:2]
    assert shown.memories == ("1001",) and MEMORY in shown.messages[0]["content"]
    forgot = shown.without_memories()
    assert forgot.messages == [{"role": "system", "content": system_prompt(situation(""))}, *shown.messages[1:]]
    assert forgot.memories == ()
    assert plain.without_memories() is plain  # nothing to leave out


def test_no_memory_trains_the_same_windows_without_memories_and_the_run_says_so(tmp_path: Path, tiny: Path) -> None:
    ws = remembering(make_workspace(tmp_path / "ws", eval_every=0))
    runs = {name: train(ws, TrainOptions(base=str(tiny), steps=1, name=name, memory=memory), Quiet()).path
            for name, memory in (("mem", True), ("nomem", False))}
    meta = {name: json.loads((path / "meta.json").read_text(encoding="utf-8")) for name, path in runs.items()}
    assert meta["mem"]["memory"] == {"shown": True, "train_examples_with_memories": 8}
    assert meta["nomem"]["memory"] == {"shown": False, "train_examples_with_memories": 0}
    assert meta["mem"]["dataset"]["train_examples"] == meta["nomem"]["dataset"]["train_examples"] == 16
    assert meta["nomem"]["dataset"]["train_tokens"] < meta["mem"]["dataset"]["train_tokens"]
    assert len(list((ws.cache_dir / "encoded").iterdir())) == 4  # train and val, with and without memories: cached apart
    assert [learnt_with_memories(run_weights(path)) for path in runs.values()] == [True, False]
