"""[train] fused_kernels: refused up front where Liger Kernel cannot run, and handed to the Trainer as planned."""

from __future__ import annotations

import importlib.machinery
import importlib.util
from pathlib import Path

import msgspec
import pytest

from shizu.config import TrainConfig
from shizu.errors import ShizuError, TrainError
from shizu.progress import Quiet
from shizu.train.hardware import BatchPlan, DevicePlan, GiB, Hardware, Setting
from shizu.train.kernels import LIGER_KERNELS, plan_kernels
from shizu.train.recipe import TrainOptions, train, training_arguments
from tiny_model import make_workspace

CPU = Hardware("cpu", "Intel Xeon", 16 * GiB, bf16=False, gpus=0, cpu_threads=2)
GPU = Hardware("cuda", "NVIDIA Test GPU", 24 * GiB, bf16=True, gpus=1, cpu_threads=16)


def liger_installed(monkeypatch: pytest.MonkeyPatch, installed: bool) -> None:
    """Make ``liger_kernel`` look installed or not to find_spec (it is never really installed here)."""
    find_spec = importlib.util.find_spec
    spec = importlib.machinery.ModuleSpec("liger_kernel", None) if installed else None
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: spec if name == "liger_kernel" else find_spec(name, *a))


def test_off_is_the_default_and_needs_nothing() -> None:
    assert TrainConfig().fused_kernels == "off"
    assert plan_kernels(CPU, "off") == Setting(False, '[train] fused_kernels = "off" (the default; "liger" is not measured yet)')


def test_liger_without_cuda_names_the_setting_and_the_fix() -> None:
    with pytest.raises(TrainError) as caught:
        plan_kernels(CPU, "liger")
    assert str(caught.value) == (
        '[train] fused_kernels = "liger" needs a CUDA GPU (Liger Kernel is Triton code); this machine trains on cpu\n'
        'Set [train] fused_kernels = "off" in shizu.toml (the default).'
    )


def test_liger_on_cuda_without_the_package_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    liger_installed(monkeypatch, False)
    with pytest.raises(ShizuError) as caught:
        plan_kernels(GPU, "liger")
    assert str(caught.value) == (
        '`[train] fused_kernels = "liger"` needs liger-kernel, which is not installed\n'
        "Install the extra: pip install 'shizu[gpu]'"
    )


def test_liger_on_cuda_with_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    liger_installed(monkeypatch, True)
    assert plan_kernels(GPU, "liger") == Setting(
        True, "[train] fused_kernels = \"liger\": Liger Kernel's RoPE, RMSNorm and SwiGLU (speed-up not measured here)"
    )


@pytest.mark.parametrize(("choice", "use", "config"), [("off", False, None), ("liger", True, LIGER_KERNELS)])
def test_the_trainer_gets_the_choice(tmp_path: Path, choice: str, use: bool, config: dict[str, bool] | None) -> None:
    device = DevicePlan(Setting("cuda", ""), Setting("float32", ""), Setting(16, ""), Setting(False, ""))
    batch = BatchPlan(Setting(4, ""), Setting(4, ""), Setting(False, ""))
    cfg = msgspec.structs.replace(TrainConfig(), fused_kernels=choice)
    args = training_arguments(tmp_path, cfg, device, batch, max_steps=2, has_val=False)
    assert (args.use_liger_kernel, args.liger_kernel_config) == (use, config)
    assert LIGER_KERNELS["fused_linear_cross_entropy"] is False  # the recipe computes its own loss on the supervised logits


def test_shizu_train_refuses_before_loading_anything(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", fused_kernels="liger")
    with pytest.raises(TrainError, match=r'^\[train\] fused_kernels = "liger" needs a CUDA GPU'):
        train(ws, TrainOptions(base=str(tmp_path / "no-such-model"), steps=1, name="liger"), Quiet())
    assert not ws.runs_dir.exists()
