"""The preference stage on a tiny random model: DPO and KTO lower their loss, the adapter moves, the
run names its parent, Ctrl-C and --resume finish it, self-play rounds chain, and wrong options fail up front."""

from __future__ import annotations

import json
import math
import os
import signal
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from typer.testing import CliRunner

from preference_helpers import PLACE, T0, preference_workspace
from shizu import runs
from shizu.cli import app
from shizu.errors import ShizuError, TrainError
from shizu.preference.stage import PreferenceOptions, train_preference
from shizu.progress import Quiet
from shizu.store.exchanges import ContextMessage, Exchange, ExchangeLog, ReplyContext, SentMessage
from shizu.store.feedback import FeedbackTable
from shizu.train.dpo import StageSettings, train_stage
from shizu.train.pair import HELDOUT, Pair, Rating, read_items
from shizu.train.recipe import TrainResult
from shizu.workspace import Workspace
from test_extras import hide

RUN_FILES = [
    "adapter_config.json", "adapter_model.safetensors", "chat_template.jinja", "loss.png", "meta.json", "pairs.jsonl",
    "ratings.jsonl", "tokenizer.json", "tokenizer_config.json",
]
PAIRS = [
    Pair(
        f"20:{i}:0#0", ({"role": "system", "content": f"You are Mika. Window {i}."}, {"role": "user", "content": f"Alice: hi {i}"}),
        chosen="omg yes", rejected="As an AI, I can help.", weight=2 if i == 0 else 1,
    )
    for i in range(4)
]
STAGE = StageSettings(name="pref", parent="sft", steps=4, learning_rate=1e-2, sft_weight=0.0)  # plain DPO


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, TrainResult]:
    """A workspace with the tiny parent run ``sft`` and the preference run ``pref`` on top of it."""
    ws = preference_workspace(tmp_path_factory.mktemp("trained") / "ws")
    return ws, train_stage(ws, STAGE, PAIRS, [], Quiet())


def adapter(path: Path) -> dict[str, torch.Tensor]:
    return load_file(path / "adapter_model.safetensors")


def test_dpo_lowers_the_loss_moves_the_adapter_and_the_run_names_its_parent(trained: tuple[Workspace, TrainResult]) -> None:
    ws, result = trained
    assert (result.finished, result.step, result.path) == (True, 4, ws.runs_dir / "pref")
    assert sorted(p.name for p in result.path.iterdir()) == RUN_FILES  # no copy of the reference adapter
    assert not runs.partial_dir(ws.runs_dir, "pref").exists()
    meta = json.loads((result.path / "meta.json").read_text(encoding="utf-8"))
    losses = [point["loss"] for point in meta["loss_curve"]]
    print("DPO loss per step:", [round(loss, 4) for loss in losses])
    assert losses[0] == pytest.approx(math.log(2), abs=1e-4)  # the policy starts as its reference: the parent
    assert losses[1] == pytest.approx(losses[0])  # step 1 is the learning-rate warm-up
    assert losses[1] > losses[2] > losses[3] and losses[3] < losses[0] - 0.05
    assert meta["stage"] == "preference"
    assert meta["parent"] == {"name": "sft", "path": str(ws.runs_dir / "sft"), "stage": "sft"}
    assert meta["base"] == json.loads((ws.runs_dir / "sft" / "meta.json").read_text(encoding="utf-8"))["base"]
    assert meta["preference"]["pairs"] == 4 and meta["preference"]["rows"] == 5  # the first pair weighs 2
    assert (meta["preference"]["beta"], meta["preference"]["sft_weight"], meta["metrics"]["steps"]) == (0.1, 0.0, 4)
    assert read_items(result.path / "pairs.jsonl", Pair) == PAIRS and read_items(result.path / "ratings.jsonl", Rating) == []
    assert meta["preference"]["heldout_trained"] == []
    before, after = adapter(ws.runs_dir / "sft"), adapter(result.path)
    assert before.keys() == after.keys()
    assert any(not torch.equal(before[key], after[key]) for key in before)


RATINGS = [
    Rating(f"feedback:{i}", ({"role": "system", "content": "You are Mika."}, {"role": "user", "content": f"Bob: yo {i}"}), reply=reply, good=good)
    for i, (reply, good) in enumerate([("lmao no way", True), ("I am a language model.", False), ("sure", True)])
] + [Rating(HELDOUT + "20:9:0#0", ({"role": "system", "content": "You are Mika."}, {"role": "user", "content": "Alice: ?"}), "As an AI, no.", good=False)]


def test_kto_learns_from_ratings_and_the_pairs_taken_apart_and_records_the_held_out_turns(trained: tuple[Workspace, TrainResult]) -> None:
    ws, _ = trained
    result = train_stage(ws, replace(STAGE, name="kto", objective="kto", beta=1.0, steps=8), PAIRS, RATINGS, Quiet())
    assert (result.finished, result.step) == (True, 8)
    meta = json.loads((result.path / "meta.json").read_text(encoding="utf-8"))
    losses = [point["loss"] for point in meta["loss_curve"]]
    print("KTO loss per step:", [round(loss, 4) for loss in losses], meta["metrics"])
    assert losses[0] == pytest.approx(0.5, abs=1e-4)  # the policy starts as its reference: 1 - sigmoid(0) for every rating (7 good, 7 bad: weighed alike)
    # 14 rows in order, 8 per step: odd steps see rows 0-7 again, even steps rows 8-13
    assert losses[0] > losses[2] > losses[4] > losses[6] and losses[7] < losses[1] - 0.03
    assert meta["metrics"]["reward_margin"] > 0.3  # the good replies now more likely than the reference found them, the bad less
    kept = meta["preference"]
    assert (kept["objective"], kept["pairs"], kept["ratings"], kept["ratings_trained"], kept["rows"]) == ("kto", 4, 4, 12, 14)  # pair 0 weighs 2
    assert kept["heldout_trained"] == ["20:9:0#0"] and runs.heldout_trained(result.path) == {"20:9:0#0"}
    assert read_items(result.path / "ratings.jsonl", Rating) == RATINGS
    before, after = adapter(ws.runs_dir / "sft"), adapter(result.path)
    assert any(not torch.equal(before[key], after[key]) for key in before)


class CtrlCAt(Quiet):
    """Presses Ctrl-C once the progress shows step ``at``."""

    def __init__(self, at: int, steps: int) -> None:
        self.field = f"step {at}/{steps}"
        self.pressed = False

    def update(self, key: str, completed: float | None = None, **fields: str) -> None:
        if fields.get("step") == self.field and not self.pressed:
            self.pressed = True
            os.kill(os.getpid(), signal.SIGINT)


def test_ctrl_c_checkpoints_and_resume_finishes_like_an_uninterrupted_run(trained: tuple[Workspace, TrainResult]) -> None:
    ws, whole = trained
    stopped = train_stage(ws, replace(STAGE, name="stopped"), PAIRS, [], CtrlCAt(1, 4))
    assert (stopped.finished, stopped.step, stopped.path) == (False, 2, runs.partial_dir(ws.runs_dir, "stopped"))
    assert runs.latest_checkpoint(stopped.path).name == "checkpoint-2"

    resumed = train_preference(Workspace(ws.root), PreferenceOptions(resume=True))
    assert (resumed.finished, resumed.step, resumed.path) == (True, 4, ws.runs_dir / "stopped")
    meta = json.loads((resumed.path / "meta.json").read_text(encoding="utf-8"))
    assert [point["step"] for point in meta["loss_curve"]] == [1, 2, 3, 4]
    a, b = adapter(resumed.path), adapter(whole.path)
    assert all(torch.allclose(a[key], b[key], atol=1e-5) for key in a)


def test_a_kto_stage_resumes_like_an_uninterrupted_run_on_its_own_ratings(trained: tuple[Workspace, TrainResult]) -> None:
    ws, _ = trained
    kto = replace(STAGE, objective="kto", beta=1.0, steps=4)
    whole = train_stage(ws, replace(kto, name="kto-whole"), PAIRS, RATINGS, Quiet())
    stopped = train_stage(ws, replace(kto, name="kto-stopped"), PAIRS, RATINGS, CtrlCAt(1, 4))
    assert (stopped.finished, stopped.step) == (False, 2)
    resumed = train_preference(Workspace(ws.root), PreferenceOptions(resume=True, name="kto-stopped"))
    assert (resumed.finished, resumed.step) == (True, 4)
    assert read_items(resumed.path / "ratings.jsonl", Rating) == RATINGS
    a, b = adapter(resumed.path), adapter(whole.path)
    assert all(torch.allclose(a[key], b[key], atol=1e-5) for key in a)


def test_self_play_rounds_each_continue_the_run_the_last_one_wrote(tmp_path: Path) -> None:
    ws = preference_workspace(tmp_path / "ws")
    lines: list[str] = []

    class Lines(Quiet):
        def say(self, line: str) -> None:
            lines.append(line)

    result = train_preference(ws, PreferenceOptions(rounds=2, contexts=3, steps=2, name="spin"), Lines())
    assert (result.finished, result.path) == (True, ws.runs_dir / "spin-r2")
    first, second = (json.loads((ws.runs_dir / name / "meta.json").read_text(encoding="utf-8")) for name in ("spin-r1", "spin-r2"))
    assert (first["parent"]["name"], second["parent"]["name"]) == ("sft", "spin-r1")
    assert (second["preference"]["round"], second["preference"]["rounds"]) == (2, 2)
    assert first["preference"]["made_with"] == {"series": "spin", "contexts": 3, "seed": 0}
    pairs = read_items(ws.runs_dir / "spin-r1" / "pairs.jsonl", Pair)
    assert pairs and {pair.chosen for pair in pairs} <= {"omg yes", "ok brb", "sure", "dont ask", "lmao no way"}
    assert "Self-play, round 2: run 'spin-r1' answers 3 of the 5 persona turns of train.jsonl" in lines


def test_kto_stage_learns_from_a_thumb_on_the_live_bot_beside_self_play(tmp_path: Path) -> None:
    ws = preference_workspace(tmp_path / "ws")
    said = ReplyContext(PLACE, T0, ("Alice",), (ContextMessage("Alice", "hi mika", T0),))
    with ws.open_store() as store:
        logged = ExchangeLog(store).record(Exchange(
            platform="web", channel_id="web", place="a direct message (web page)", trigger_id="t", trigger_author="Alice", trigger_text="hi mika",
            trigger_time=T0, context_ids=(), persona="Mika", messages=(SentMessage(ids=("web-1",), text="heyyy", body="heyyy"),),
            backend="test", stop="end-of-turn", queued_ms=0, latency_ms=0, created=T0, context=said,
        ))
        FeedbackTable(store).add(logged, "up", source="web", giver="web:voter-0001", giver_name="Alice", at=T0)
    lines: list[str] = []

    class Lines(Quiet):
        def say(self, line: str) -> None:
            lines.append(line)

    result = train_preference(ws, PreferenceOptions(contexts=3, steps=2, objective="kto", name="live"), Lines())
    assert result.finished
    ratings = read_items(result.path / "ratings.jsonl", Rating)
    assert [(r.key, r.reply, r.good, r.source, r.why) for r in ratings] == [("feedback:1", "heyyy", True, "web", "thumb up on the web page")]
    assert "  feedback on the live bot: 0 pairs (rerolls, replies spotted in the blind test), 1 replies judged alone (thumbs, the blind test)" in lines
    meta = json.loads((result.path / "meta.json").read_text(encoding="utf-8"))["preference"]
    pairs = len(read_items(result.path / "pairs.jsonl", Pair))
    assert (meta["objective"], meta["ratings"], meta["ratings_trained"], meta["sft_weight"]) == ("kto", 1, 2 * pairs + 1, 0.0)
    assert meta["sources"]["web"] == 1 and meta["rated_because"] == {"thumb up on the web page": 1}


def test_skip_passing_without_the_eval_extra_says_what_to_install_before_anything_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = preference_workspace(tmp_path / "ws")
    hide(monkeypatch, "sklearn")
    with pytest.raises(ShizuError) as error:
        train_preference(ws, PreferenceOptions(skip_passing=True))
    assert error.value.message == "`shizu train --preference --skip-passing` needs scikit-learn, which is not installed"
    assert error.value.hint == "Install the extra: pip install 'shizu[eval]'"
    assert not any(ws.runs_dir.glob("*.partial"))


def test_wrong_options_fail_before_anything_loads(tmp_path: Path) -> None:
    empty = preference_workspace(tmp_path / "empty", parent=False)
    with pytest.raises(TrainError, match="No finished run") as error:
        train_preference(empty, PreferenceOptions())
    assert "`shizu train`" in (error.value.hint or "")
    ws = preference_workspace(tmp_path / "ws")
    with pytest.raises(TrainError, match="No finished run named 'nope'"):
        train_preference(ws, PreferenceOptions(parent="nope"))
    with pytest.raises(TrainError, match="--beta must be > 0"):
        train_preference(ws, PreferenceOptions(beta=-1.0))
    with pytest.raises(TrainError, match="--sft-weight must be >= 0"):
        train_preference(ws, PreferenceOptions(sft_weight=-1.0))
    with pytest.raises(TrainError, match="--objective must be one of dpo, kto"):
        train_preference(ws, PreferenceOptions(objective="ppo"))
    with pytest.raises(TrainError, match="--objective kto takes none"):
        train_preference(ws, PreferenceOptions(objective="kto", sft_weight=1.0))
    with pytest.raises(TrainError, match="cannot take --rounds, --beta"):
        train_preference(ws, PreferenceOptions(resume=True, rounds=2, beta=0.2))
    (ws.runs_dir / "taken-r2").mkdir()
    with pytest.raises(TrainError, match="'taken-r2' is already"):
        train_preference(ws, PreferenceOptions(rounds=2, name="taken"))
    runs.start_run(ws.runs_dir, "plain", {"name": "plain", "config": {}})  # an interrupted supervised run
    with pytest.raises(TrainError, match="a supervised one"):
        train_preference(ws, PreferenceOptions(resume=True))
    assert sorted(runs.finished_runs(ws.runs_dir)) == ["sft"]


@pytest.mark.parametrize(("args", "message"), [
    (["--preference", "--base", "x", "--dry-run"], "--preference cannot take --base, --dry-run"),
    (["--rounds", "2", "--beta", "0.2"], "--rounds, --beta only go with --preference"),
    (["--objective", "kto"], "--objective only go with --preference"),
    (["--skip-passing"], "--skip-passing only go with --preference"),
])
def test_the_command_refuses_flags_of_the_other_kind_of_run(tmp_path: Path, args: list[str], message: str) -> None:
    ws = preference_workspace(tmp_path / "ws", parent=False)
    result = CliRunner().invoke(app, ["train", "-w", str(ws.root), *args])
    assert isinstance(result.exception, TrainError) and message in result.exception.message


def test_pairs_from_trains_on_an_earlier_stage_s_pairs_with_other_settings_and_refuses_pairs_that_do_not_fit(trained: tuple[Workspace, TrainResult]) -> None:
    ws, _ = trained
    lines: list[str] = []

    class Lines(Quiet):
        def say(self, line: str) -> None:
            lines.append(line)

    again = train_preference(ws, PreferenceOptions(pairs_from="pref", beta=0.5, steps=2, name="again"), Lines())
    assert (again.finished, again.step, again.path) == (True, 2, ws.runs_dir / "again")
    meta = json.loads((again.path / "meta.json").read_text(encoding="utf-8"))
    assert meta["parent"]["name"] == "sft" and (meta["preference"]["beta"], meta["preference"]["sft_weight"]) == (0.5, 1.0)
    # RPO by default: DPO's ln 2 at the start, plus the winners' own loss (a random tiny model: about ln(vocabulary))
    assert meta["loss_curve"][0]["loss"] > math.log(2) + 1
    assert meta["preference"]["made_with"] == {"series": "again", "contexts": 200, "seed": 0, "pairs_from": "pref"}
    assert read_items(again.path / "pairs.jsonl", Pair) == PAIRS
    assert "Round 1 trains on the 4 pairs and 0 ratings of run 'pref' (run 'sft''s replies lose to yours)" in lines
    assert not any(line.startswith("Self-play") for line in lines)  # nothing generated
    skipping = train_preference(ws, PreferenceOptions(pairs_from="pref", skip_passing=True, steps=1, name="skipping"), Lines())
    assert skipping.finished and "  --skip-passing: too few self-play pairs for the detector to judge; none left out" in lines
    meta = json.loads((skipping.path / "meta.json").read_text(encoding="utf-8"))
    assert meta["preference"]["made_with"] == {"series": "skipping", "contexts": 200, "seed": 0, "pairs_from": "pref", "skip_passing": True}

    for options, message in [
        (PreferenceOptions(pairs_from="nope"), "No finished run named 'nope' in .* to take pairs from"),
        (PreferenceOptions(pairs_from="sft"), "Run 'sft' is a supervised run: it has no preference pairs"),
        (PreferenceOptions(pairs_from="pref", parent="again"), "hold the replies of run 'sft', not of --parent 'again'"),
        (PreferenceOptions(pairs_from="pref", contexts=10), "cannot take --pairs"),
    ]:
        with pytest.raises(TrainError, match=message):
            train_preference(ws, options)
    val = ws.dataset_dir / "val.jsonl"
    kept = val.read_bytes()
    val.write_bytes(kept + kept.splitlines(keepends=True)[0])
    try:
        with pytest.raises(TrainError, match="The dataset was rebuilt since run 'pref' made its pairs"):
            train_preference(ws, PreferenceOptions(pairs_from="pref"))
    finally:
        val.write_bytes(kept)
