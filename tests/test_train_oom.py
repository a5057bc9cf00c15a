"""Memory planning that survives a busy moment, and a run that re-plans when memory runs out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import load_file

from shizu.errors import TrainError
from shizu.progress import Quiet
from shizu.train import recipe
from shizu.train.hardware import BatchPlan, GiB, Hardware, Setting, cpu_memory_budget, is_out_of_memory
from shizu.train.recipe import TrainOptions, train
from tiny_model import make_workspace, save_tiny_model


def plan(micro: int, accum: int) -> BatchPlan:
    return BatchPlan(Setting(micro, "test"), Setting(accum, "test"), Setting(False, "test"))


@pytest.mark.parametrize(
    ("micro", "accum", "chain"),
    [(8, 1, [(4, 2), (2, 4), (1, 8)]), (6, 1, [(3, 2), (2, 3), (1, 6)]), (3, 2, [(2, 3), (1, 6)])],
)
def test_a_smaller_micro_batch_keeps_the_examples_per_step(micro: int, accum: int, chain: list[tuple[int, int]]) -> None:
    seen, batch = [], plan(micro, accum)
    while (batch := batch.smaller("why")) is not None:
        seen.append((batch.micro_batch.value, batch.grad_accum.value))
    assert seen == chain


def test_a_busy_moment_does_not_shrink_the_cpu_budget() -> None:
    idle = Hardware("cpu", "CPU", 20 * GiB, bf16=False, gpus=0, cpu_threads=2, total_bytes=24 * GiB)
    busy = Hardware("cpu", "CPU", 2 * GiB, bf16=False, gpus=0, cpu_threads=2, total_bytes=24 * GiB)
    assert cpu_memory_budget(idle) == (12 * GiB, "60% of the 20.0 GiB RAM available now")
    budget, why = cpu_memory_budget(busy)
    assert budget == pytest.approx(9.6 * GiB)
    assert why == "40% of the 24 GiB RAM: only 2.0 GiB is free this moment"


def test_out_of_memory_errors_are_told_from_other_errors() -> None:
    assert is_out_of_memory(torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"))
    assert is_out_of_memory(RuntimeError("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't allocate memory: you tried to allocate 123"))
    assert is_out_of_memory(MemoryError())
    assert not is_out_of_memory(RuntimeError("shape mismatch"))
    assert not is_out_of_memory(ValueError("out of memory"))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_model(tmp_path_factory.mktemp("model") / "tiny")


class Recorder(Quiet):
    def __init__(self) -> None:
        self.lines: list[str] = []

    def say(self, text: str) -> None:
        self.lines.append(text)


def run(monkeypatch: pytest.MonkeyPatch, root: Path, tiny: Path, *, micro: int, fail_at_forward: int | None) -> tuple[dict[str, torch.Tensor], list[str], Any]:
    """A 4-step run of 4 examples per step planned at ``micro``; the forward pass number
    ``fail_at_forward`` with more than 2 rows raises CUDA's out-of-memory error."""
    planned = plan(micro, 4 // micro)
    monkeypatch.setattr(recipe, "plan_batch", lambda *args, **kwargs: planned)
    add_lora, forwards = recipe.add_lora, [0]

    def add_lora_that_runs_out(*args: Any, **kwargs: Any) -> Any:
        model = add_lora(*args, **kwargs)

        def hook(module: Any, args: Any, kwargs: dict[str, Any]) -> None:
            if module.training:
                forwards[0] += 1
                if forwards[0] == fail_at_forward and kwargs["input_ids"].shape[0] > 2:
                    raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")

        model.register_forward_pre_hook(hook, with_kwargs=True)
        return model

    monkeypatch.setattr(recipe, "add_lora", add_lora_that_runs_out)
    monkeypatch.setattr(recipe, "calibrate", lambda *args, **kwargs: 1000.0)  # its forward passes would count too
    ws = make_workspace(root, batch_size=4, save_every=2, eval_every=0, learning_rate=0.01, lora_dropout=0)
    reporter = Recorder()
    result = train(ws, TrainOptions(base=str(tiny), steps=4, name="run"), reporter)
    return load_file(result.path / "adapter_model.safetensors"), reporter.lines, result


@pytest.mark.parametrize(("fail_at", "resumed_from"), [(3, "checkpoint-2"), (1, "step 0")])
def test_running_out_of_memory_re_plans_and_gives_the_same_adapter(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tiny: Path, fail_at: int, resumed_from: str
) -> None:
    recovered, lines, result = run(monkeypatch, tmp_path / "oom", tiny, micro=4, fail_at_forward=fail_at)
    planned_small, _, _ = run(monkeypatch, tmp_path / "small", tiny, micro=2, fail_at_forward=None)
    assert (result.finished, result.step) == (True, 4)
    replan = lines.index(f"  out of memory while training at step {fail_at - 1} with a micro-batch of 4: continuing with 2 x 2 accumulation (the same examples per step)")
    assert lines[replan + 1] == f"  continuing from {resumed_from}"
    assert sum("out of memory" in line for line in lines) == 1
    assert recovered.keys() == planned_small.keys()
    assert max(float((recovered[k] - planned_small[k]).abs().max()) for k in recovered) < 1e-4
    assert any(float(v.abs().max()) > 0 for k, v in recovered.items() if "lora_B" in k)  # it trained


def test_calibration_that_runs_out_of_memory_re_plans_before_training(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tiny: Path) -> None:
    monkeypatch.setattr(recipe, "plan_batch", lambda *args, **kwargs: plan(4, 1))
    monkeypatch.setattr(recipe, "known_rate", lambda *args: None)

    def out_above_two_rows(module: Any, args: Any, kwargs: dict[str, Any]) -> None:
        if kwargs["input_ids"].shape[0] > 2:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")

    add_lora = recipe.add_lora
    monkeypatch.setattr(recipe, "add_lora", lambda *a, **k: (m := add_lora(*a, **k), m.register_forward_pre_hook(out_above_two_rows, with_kwargs=True))[0])
    ws = make_workspace(tmp_path / "ws", batch_size=4, eval_every=0)
    reporter = Recorder()
    result = train(ws, TrainOptions(base=str(tiny), steps=2, name="run"), reporter)
    assert [line for line in reporter.lines if "out of memory" in line] == [
        "  out of memory while calibrating at step 0 with a micro-batch of 4: continuing with 2 x 2 accumulation (the same examples per step)"
    ]
    meta = json.loads((result.path / "meta.json").read_text(encoding="utf-8"))
    assert (meta["resolved"]["micro_batch"], meta["resolved"]["grad_accum"], result.step) == (2, 2, 2)


def test_out_of_memory_at_a_micro_batch_of_one_says_what_to_do(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tiny: Path) -> None:
    monkeypatch.setattr(recipe, "plan_batch", lambda *args, **kwargs: plan(1, 4))

    def always_out(module: Any, args: Any, kwargs: dict[str, Any]) -> None:
        if module.training:
            raise RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 9000000000 bytes")

    add_lora = recipe.add_lora
    monkeypatch.setattr(recipe, "add_lora", lambda *a, **k: (m := add_lora(*a, **k), m.register_forward_pre_hook(always_out, with_kwargs=True))[0])
    ws = make_workspace(tmp_path / "ws", batch_size=4, eval_every=0)
    with pytest.raises(TrainError) as caught:
        train(ws, TrainOptions(base=str(tiny), steps=2, name="run"), Quiet())
    assert str(caught.value).startswith("Out of memory at step 0 even with a micro-batch of 1 (DefaultCPUAllocator: can't allocate memory")
    assert caught.value.hint == 'Lower [train] max_length, set [train] gradient_checkpointing = "on", use --qlora on a CUDA GPU, or close other programs.'
