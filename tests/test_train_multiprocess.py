"""The multi-process path of docs/training.md, run for real: `accelerate launch` with two CPU processes.

On a machine without CUDA (the test hides any GPU) torch.distributed runs on the gloo backend, so
CI exercises the same code path as several GPUs: one run folder, the batch split between the
processes, checkpoints written by both, the plan and the result printed by the main process only.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tiny_model import make_workspace, save_tiny_model

RUN_FILES = [
    "adapter_config.json", "adapter_model.safetensors", "chat_template.jinja",
    "loss.png", "meta.json", "tokenizer.json", "tokenizer_config.json",
]
LAUNCHER_VARIABLES = ("RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def hermetic_env(tmp_path: Path) -> dict[str, str]:
    """No network, no GPU, no accelerate config or Shizu cache of the user's, no launcher left over."""
    env = {k: v for k, v in os.environ.items() if k not in LAUNCHER_VARIABLES and not k.startswith("ACCELERATE_")}
    env.update(
        HF_HUB_OFFLINE="1", HF_HOME=str(tmp_path / "hf"), SHIZU_CACHE=str(tmp_path / "cache"), CUDA_VISIBLE_DEVICES="",
    )
    return env


@pytest.mark.slow
def test_accelerate_launch_trains_one_run_in_two_processes(tmp_path: Path) -> None:
    tiny = save_tiny_model(tmp_path / "tiny")
    ws = make_workspace(tmp_path / "ws", batch_size=4, eval_every=2, save_every=2)
    accelerate = Path(sys.executable).parent / "accelerate"
    command = [
        str(accelerate), "launch", "--multi_gpu", "--num_processes", "2", "--main_process_port", str(free_port()),
        "-m", "shizu.cli", "train", "-w", str(ws.root), "--base", str(tiny), "--steps", "4", "--name", "pair",
    ]
    done = subprocess.run(command, env=hermetic_env(tmp_path), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout

    # One process reports: the plan, the settings and the result appear once.
    assert out.count("Starting run 'pair'") == 1, out
    assert sum(line.startswith("  plan: 4 steps") for line in out.splitlines()) == 1, out
    assert out.count("Done: step 4/4") == 1, out
    assert "  accumulation         1  (1 x 2 on each of 2 processes = 4 examples per step ([train] batch_size = 4))" in out

    # One run folder, complete; the partial folder (with both processes' checkpoints) is gone.
    assert sorted(p.name for p in ws.runs_dir.iterdir()) == ["pair"]
    run = ws.runs_dir / "pair"
    assert sorted(p.name for p in run.iterdir()) == RUN_FILES
    meta = json.loads((run / "meta.json").read_text(encoding="utf-8"))
    resolved = meta["resolved"]
    assert (resolved["world_size"], resolved["micro_batch"], resolved["grad_accum"]) == (2, 2, 1)  # per process
    assert (resolved["device"], resolved["max_steps"], meta["metrics"]["steps"]) == ("cpu", 4, 4)
    assert [point["step"] for point in meta["loss_curve"]] == [1, 2, 3, 4]
    assert [point["step"] for point in meta["val_loss_curve"]] == [2, 4]
    assert json.loads((run / "adapter_config.json").read_text(encoding="utf-8"))["r"] == 16
