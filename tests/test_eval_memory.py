"""``shizu eval`` with the memory: each run is shown what its training was shown, and fact recall is counted."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from dataset_helpers import story_workspace
from persona_helpers import save_tiny_base, save_tiny_run
from shizu import cli
from shizu.dataset.pipeline import build_dataset
from shizu.eval import evaluate


class Letters:
    """A stand-in for all-MiniLM-L6-v2: letter counts."""

    def encode(self, texts: list[str], **_: object) -> np.ndarray:
        vectors = np.array([[t.count(c) + 0.01 for c in "abcdefghijklmnopqrstuvwxyz"] for t in texts])
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_runs_are_shown_the_memories_they_learnt_with_and_fact_recall_is_counted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(evaluate, "load_embedder", lambda device: Letters())
    ws = story_workspace(tmp_path / "ws", "[generation]\nmax_new_tokens = 8\n")
    build_dataset(ws)
    base = save_tiny_base(tmp_path / "base")
    save_tiny_run(ws, "mem", base)
    nomem = save_tiny_run(ws, "nomem", base)
    meta = json.loads((nomem / "meta.json").read_text(encoding="utf-8"))
    (nomem / "meta.json").write_text(json.dumps({**meta, "memory": {"shown": False}}), encoding="utf-8")
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps({"facts": [{"id": "code", "keywords": ["4711"], "questions": [{"answer_ids": ["1015"]}]}]}), encoding="utf-8")
    val = [json.loads(line) for line in (ws.dataset_dir / "val.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(row["id"], row["memories"]) for row in val] == [("10:1014:0", ["1001"])]  # "4711 lol", with the DM where it was said

    def report(*flags: str) -> dict:
        args = ["eval", "-w", str(ws.root), "--run", "mem", "--run", "nomem", "--facts", str(facts), "--backend", "transformers", "--json", *flags]
        result = CliRunner().invoke(cli.app, args, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    shown = report()
    systems = shown["systems"]
    assert {name: s.get("memory") for name, s in systems.items()} == {"real": None, "base": True, "mem": True, "nomem": False}
    assert [s["prompts_matching_training"] for s in (systems["mem"], systems["nomem"])] == [1, 1]
    assert shown["facts"]["probes"] == [{"turn": 0, "fact": "code", "words": ["4711"], "key": "10:1014:0#0"}]
    assert shown["facts"]["memories_holding_the_fact"]["recalled"] == 1
    assert {name: systems[name]["fact_recall"]["probes"] for name in ("base", "mem", "nomem")} == {"base": 1, "mem": 1, "nomem": 1}
    assert "4711" in shown["turns"][0]["system_prompt"]
    assert {name: reply.get("memories") for name, reply in shown["turns"][0]["replies"].items()} == {
        "real": None, "base": ["1001"], "mem": ["1001"], "nomem": [],
    }

    forgot = report("--no-memory")
    assert {name: s.get("memory") for name, s in forgot["systems"].items()} == {"real": None, "base": False, "mem": False, "nomem": False}
    assert forgot["systems"]["nomem"]["prompts_matching_training"] == 1
    assert forgot["facts"]["memories_holding_the_fact"] is None
