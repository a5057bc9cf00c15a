"""Whole runs on a tiny random Llama: run folder contents, Ctrl-C, resume after SIGKILL, refusals."""

from __future__ import annotations

import json
import math
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from shizu import runs as run_dir
from shizu.errors import TrainError
from shizu.progress import Quiet
from shizu.train.recipe import TrainOptions, train
from shizu.workspace import Workspace
from tiny_model import make_workspace, save_tiny_model

RUN_FILES = [
    "adapter_config.json", "adapter_model.safetensors", "chat_template.jinja",
    "loss.png", "meta.json", "tokenizer.json", "tokenizer_config.json",
]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_model(tmp_path_factory.mktemp("model") / "tiny")


def quiet() -> Quiet:
    return Quiet()


def test_two_step_run_writes_adapter_meta_and_plot(tmp_path: Path, tiny: Path) -> None:
    ws = make_workspace(tmp_path / "ws", eval_every=1, save_every=1)
    result = train(ws, TrainOptions(base=str(tiny), steps=2, name="first"), quiet())
    assert (result.finished, result.step, result.max_steps, result.path) == (True, 2, 2, ws.runs_dir / "first")
    assert sorted(p.name for p in result.path.iterdir()) == RUN_FILES
    assert sorted(p.name for p in ws.runs_dir.iterdir()) == ["first"]  # no partial or temporary folder left
    meta = json.loads((result.path / "meta.json").read_text(encoding="utf-8"))
    assert meta["base"]["path"] == str(tiny) and len(meta["base"]["sha256"]) == 64
    assert meta["dataset"]["train_examples"] == 16 and meta["dataset"]["val_examples"] == 4
    assert meta["chat_format"] == {"end_of_turn": "<|im_end|>", "pad_token": "<|endoftext|>"}
    assert (meta["config"]["steps"], meta["resolved"]["max_steps"], meta["resolved"]["device"]) == (2, 2, "cpu")
    assert [point["step"] for point in meta["loss_curve"]] == [1, 2]
    assert [point["step"] for point in meta["val_loss_curve"]] == [1, 2]
    assert all(math.isfinite(point["loss"]) for point in meta["loss_curve"] + meta["val_loss_curve"])
    assert meta["metrics"]["final_val_loss"] == meta["val_loss_curve"][-1]["loss"]
    adapter = json.loads((result.path / "adapter_config.json").read_text(encoding="utf-8"))
    assert (adapter["r"], adapter["lora_alpha"], adapter["task_type"]) == (16, 32, "CAUSAL_LM")
    assert json.loads((result.path / "tokenizer_config.json").read_text(encoding="utf-8"))["pad_token"] == "<|endoftext|>"


def test_the_adapter_loads_on_its_base(tmp_path: Path, tiny: Path) -> None:
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    ws = make_workspace(tmp_path / "ws", eval_every=0, learning_rate=0.01)
    result = train(ws, TrainOptions(base=str(tiny), steps=2, name="load"), quiet())
    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny), result.path)
    lora_b = [p for n, p in model.named_parameters() if "lora_B" in n]
    assert len(lora_b) == 2 * 7  # every linear layer of both blocks
    assert any(bool(torch.any(p != 0)) for p in lora_b)  # trained: LoRA B starts at zero


def shizu(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "shizu.cli", *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for(ready: Callable[[], object], process: subprocess.Popen[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert process.poll() is None, process.communicate()[0]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_resume_after_sigkill_reaches_the_same_final_step(tmp_path: Path, tiny: Path) -> None:
    ws = make_workspace(tmp_path / "ws", eval_every=0, save_every=3, batch_size=2)
    first = shizu("train", "-w", str(ws.root), "--base", str(tiny), "--steps", "30", "--name", "killed")
    partial = ws.runs_dir / "killed.partial"
    wait_for(lambda: partial.is_dir() and run_dir.latest_checkpoint(partial), first)  # a complete checkpoint
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert first.returncode == -signal.SIGKILL
    assert not (ws.runs_dir / "killed").exists()
    assert run_dir.latest_checkpoint(partial) is not None

    resumed = subprocess.run([sys.executable, "-m", "shizu.cli", "train", "-w", str(ws.root), "--resume"], capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "Resuming run 'killed'" in resumed.stdout and "continuing from checkpoint-" in resumed.stdout
    # Not a terminal: plain progress lines (the first step, then every minute, the end) instead of a live bar.
    assert re.search(r"^tokens ([\d,]+)/\1 · step 30/30 · loss \d+\.\d{3} · \d+ tok/s · \d+s elapsed, ~0s left$", resumed.stdout, re.M), resumed.stdout
    final = ws.runs_dir / "killed"
    assert sorted(p.name for p in final.iterdir()) == RUN_FILES
    assert not partial.exists()
    meta = json.loads((final / "meta.json").read_text(encoding="utf-8"))
    assert (meta["metrics"]["steps"], meta["resolved"]["max_steps"]) == (30, 30)
    assert [point["step"] for point in meta["loss_curve"]] == list(range(1, 31))


def test_ctrl_c_checkpoints_and_resume_finishes(tmp_path: Path, tiny: Path) -> None:
    ws = make_workspace(tmp_path / "ws", eval_every=0, save_every=1000, batch_size=2)
    process = shizu("train", "-w", str(ws.root), "--base", str(tiny), "--steps", "6", "--name", "stopped")
    partial = ws.runs_dir / "stopped.partial"
    wait_for((partial / run_dir.RESOLVED_FILE).exists, process)  # Ctrl-C is armed before this file is written
    process.send_signal(signal.SIGINT)
    output = process.communicate(timeout=120)[0]
    checkpoint = run_dir.latest_checkpoint(partial)
    assert checkpoint is not None, output
    step = int(checkpoint.name.removeprefix("checkpoint-"))
    assert 1 <= step < 6
    assert "Ctrl-C: saving a checkpoint after this step (press again to abort without saving)" in output
    assert f"Stopped at step {step}/6" in output
    assert "shizu train --resume --name stopped" in output

    result = train(Workspace(ws.root), TrainOptions(resume=True, name="stopped"), quiet())
    assert (result.finished, result.step, result.path) == (True, 6, ws.runs_dir / "stopped")


def test_resume_refuses_a_changed_dataset(tmp_path: Path, tiny: Path) -> None:
    ws = make_workspace(tmp_path / "ws", eval_every=0)
    run_dir.start_run(ws.runs_dir, "old", {
        "name": "old", "config": {"base": str(tiny), "steps": 2}, "max_steps": 2, "max_length": 128,
        "dataset_sha256": "0" * 64, "base_sha256": "0" * 64,
    })
    with pytest.raises(TrainError, match="The dataset changed since run 'old' started"):
        train(ws, TrainOptions(resume=True), quiet())


def test_resume_takes_no_new_settings_and_names_must_be_free(tmp_path: Path, tiny: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    with pytest.raises(TrainError, match=r"cannot take --steps, --lr\n"):
        train(ws, TrainOptions(resume=True, steps=3, learning_rate=0.1), quiet())
    with pytest.raises(TrainError, match="No interrupted run to resume"):
        train(ws, TrainOptions(resume=True), quiet())
    (ws.runs_dir / "taken").mkdir(parents=True)
    with pytest.raises(TrainError, match="already exists"):
        train(ws, TrainOptions(base=str(tiny), steps=1, name="taken"), quiet())
    with pytest.raises(TrainError, match="not a usable folder name"):
        train(ws, TrainOptions(base=str(tiny), steps=1, name="../escape"), quiet())


def test_missing_dataset_says_to_build(tmp_path: Path, tiny: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    (ws.dataset_dir / "train.jsonl").unlink()
    with pytest.raises(TrainError, match="train.jsonl does not exist") as info:
        train(ws, TrainOptions(base=str(tiny), steps=1), quiet())
    assert "shizu build" in info.value.hint
