"""Auto-detected settings on CPU and on faked CUDA devices; the shipped GPU/cluster configs resolve."""

from __future__ import annotations

import importlib.util
import tomllib
from pathlib import Path

import pytest

from shizu.config import TrainConfig, parse_config
from shizu.errors import TrainError
from shizu.train.hardware import GiB, Hardware, ModelDims, plan_batch, plan_device

ROOT = Path(__file__).resolve().parents[1]
SMOLLM2 = ModelDims(params=134_515_008, hidden=576, layers=30, intermediate=1536, vocab=49_152)
QWEN_3B = ModelDims(params=3_085_938_688, hidden=2048, layers=36, intermediate=11_008, vocab=151_936)  # Qwen2.5-3B-Instruct config.json
CPU = Hardware("cpu", "Intel Xeon", 16 * GiB, bf16=False, gpus=0, cpu_threads=2)


def gpu(memory_gib: int, bf16: bool = True, gpus: int = 1) -> Hardware:
    return Hardware("cuda", "NVIDIA Test GPU", memory_gib * GiB, bf16=bf16, gpus=gpus, cpu_threads=16)


def test_cpu_trains_in_float32_on_every_core() -> None:
    plan = plan_device(CPU, qlora=False, env={})
    assert (plan.device.value, plan.dtype.value, plan.threads.value, plan.qlora.value) == ("cpu", "float32", 2, False)
    assert plan.threads.reason == "every CPU core this process may use"
    assert plan_device(CPU, qlora=False, env={"OMP_NUM_THREADS": "1"}).threads == (1, "from OMP_NUM_THREADS")


def test_cuda_picks_bf16_or_fp16() -> None:
    assert plan_device(gpu(80), qlora=False, env={}).dtype.value == "bfloat16"
    assert plan_device(gpu(16, bf16=False), qlora=False, env={}).dtype.value == "float16"
    plan = plan_device(gpu(24, gpus=2), qlora=True, env={})
    assert plan.device.reason == "2 CUDA GPU(s): NVIDIA Test GPU, 24 GiB each"
    assert plan.qlora.value is True


def test_qlora_without_cuda_is_an_error() -> None:
    with pytest.raises(TrainError, match="--qlora needs a CUDA GPU"):
        plan_device(CPU, qlora=True, env={})


def test_smollm2_on_cpu_splits_long_batches() -> None:
    short = plan_batch(CPU, SMOLLM2, dtype="float32", qlora=False, max_length=512, batch_size=8, lora_rank=16)
    assert (short.micro_batch.value, short.grad_accum.value, short.checkpointing.value) == (4, 2, False)
    long = plan_batch(CPU, SMOLLM2, dtype="float32", qlora=False, max_length=2048, batch_size=8, lora_rank=16)
    assert (long.micro_batch.value, long.grad_accum.value, long.checkpointing.value) == (1, 8, False)


@pytest.mark.parametrize(
    ("memory_gib", "qlora", "expected"),
    [
        (80, False, (4, 4, False)),  # A100/H100 80 GB: no checkpointing needed
        (24, False, (4, 4, True)),  # RTX 4090 / A10G / L4: checkpointing switched on
        (12, True, (2, 8, True)),  # 12 GB card with QLoRA
        (12, False, (1, 16, True)),
        (8, True, (1, 16, True)),  # 8 GB card with QLoRA (bf16 alone does not fit)
    ],
)
def test_qwen_3b_preset_resolves_per_gpu(memory_gib: int, qlora: bool, expected: tuple[int, int, bool]) -> None:
    cfg = preset()
    plan = plan_batch(
        gpu(memory_gib), QWEN_3B, dtype="bfloat16", qlora=qlora, max_length=1024,
        batch_size=cfg.batch_size, lora_rank=cfg.lora_rank, checkpointing=cfg.gradient_checkpointing,
    )
    assert (plan.micro_batch.value, plan.grad_accum.value, plan.checkpointing.value) == expected


def test_multi_gpu_divides_the_batch_between_processes() -> None:
    plan = plan_batch(gpu(80, gpus=4), QWEN_3B, dtype="bfloat16", qlora=False, max_length=1024, batch_size=16, lora_rank=32, world_size=4)
    assert (plan.micro_batch.value, plan.grad_accum.value) == (4, 1)
    assert plan.grad_accum.reason == "1 x 4 on each of 4 processes = 16 examples per step ([train] batch_size = 16)"


def test_model_too_big_for_the_gpu_is_an_error_with_fixes() -> None:
    with pytest.raises(TrainError, match="One sequence of 4096 tokens needs") as info:
        plan_batch(gpu(8), QWEN_3B, dtype="bfloat16", qlora=False, max_length=4096, batch_size=16, lora_rank=32)
    assert "--qlora" in info.value.hint
    with pytest.raises(TrainError) as info:
        plan_batch(gpu(24), QWEN_3B, dtype="bfloat16", qlora=False, max_length=4096, batch_size=16, lora_rank=32, checkpointing="off")
    assert 'gradient_checkpointing = "auto"' in info.value.hint


def preset() -> TrainConfig:
    data = tomllib.loads((ROOT / "configs" / "presets" / "qwen2.5-3b-instruct.toml").read_text(encoding="utf-8"))
    return parse_config(data).train


def test_qwen_preset_is_a_valid_train_section() -> None:
    cfg = preset()
    assert (cfg.base, cfg.lora_rank, cfg.batch_size, cfg.qlora) == ("Qwen/Qwen2.5-3B-Instruct", 32, 16, False)


def test_training_arguments_for_a_faked_cuda_gpu(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import transformers.training_args

    from shizu.train.recipe import training_arguments

    monkeypatch.setattr(transformers.training_args, "is_torch_bf16_gpu_available", lambda: True)
    cfg = preset()
    device = plan_device(gpu(24), qlora=False, env={})
    batch = plan_batch(gpu(24), QWEN_3B, dtype="bfloat16", qlora=False, max_length=1024, batch_size=16, lora_rank=32)
    args = training_arguments(tmp_path, cfg, device, batch, max_steps=500, has_val=True)
    assert (args.bf16, args.fp16, args.use_cpu) == (True, False, False)
    assert (args.per_device_train_batch_size, args.gradient_accumulation_steps, args.activation_checkpointing) == (4, 4, True)
    assert (args.max_steps, args.eval_steps, args.save_steps, args.learning_rate) == (500, 100, 100, 1e-4)
    assert args.train_sampling_strategy == "group_by_length"


def test_qlora_config_is_nf4_in_the_compute_dtype(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from shizu.train.recipe import quantization_config

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: object() if name == "bitsandbytes" else real_find_spec(name, *a))
    config = quantization_config("bfloat16")
    assert (config.load_in_4bit, config.bnb_4bit_quant_type, config.bnb_4bit_use_double_quant) == (True, "nf4", True)
    assert config.bnb_4bit_compute_dtype == config.bnb_4bit_quant_storage == torch.bfloat16


def test_qlora_without_bitsandbytes_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from shizu.train.recipe import quantization_config

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "bitsandbytes" else real_find_spec(name, *a))
    with pytest.raises(TrainError, match="needs the bitsandbytes package") as info:
        quantization_config("bfloat16")
    assert info.value.hint == "Install it on the GPU machine: `pip install bitsandbytes`."


def launch(config: str) -> tuple[object, object]:
    """Resolve ``accelerate launch --config_file configs/accelerate/<config>`` the way accelerate does."""
    from accelerate.commands.launch import _validate_launch_command, launch_command_parser

    argv = ["--config_file", str(ROOT / "configs" / "accelerate" / config), "--num_processes", "4", "-m", "shizu.cli", "train", "--name", "run"]
    args, defaults, mixed_precision_from_config = _validate_launch_command(launch_command_parser().parse_args(argv))
    return args, (defaults, mixed_precision_from_config)


def test_deepspeed_zero2_config_resolves() -> None:
    from accelerate.utils.launch import prepare_deepspeed_cmd_env

    args, (defaults, from_config) = launch("deepspeed-zero2.yaml")
    assert (args.use_deepspeed, args.use_fsdp, args.module, args.training_script) == (True, False, True, "shizu.cli")
    args.deepspeed_fields_from_accelerate_config = ",".join([*defaults.deepspeed_config, *(["mixed_precision"] if from_config else [])])
    _, env = prepare_deepspeed_cmd_env(args)
    assert env["ACCELERATE_USE_DEEPSPEED"] == "true"
    assert env["ACCELERATE_DEEPSPEED_ZERO_STAGE"] == "2"
    assert env["ACCELERATE_MIXED_PRECISION"] == "bf16"
    assert "ACCELERATE_GRADIENT_ACCUMULATION_STEPS" not in env  # left "auto": shizu train plans it
    assert args.nproc_per_node == "4"


def test_fsdp_config_resolves() -> None:
    from accelerate.utils.launch import prepare_multi_gpu_env

    args, _ = launch("fsdp.yaml")
    assert (args.use_fsdp, args.use_deepspeed) == (True, False)
    env = prepare_multi_gpu_env(args)
    assert env["ACCELERATE_USE_FSDP"] == "true"
    assert (env["FSDP_SHARDING_STRATEGY"], env["FSDP_AUTO_WRAP_POLICY"]) == ("FULL_SHARD", "TRANSFORMER_BASED_WRAP")
    assert (env["FSDP_STATE_DICT_TYPE"], env["FSDP_CPU_RAM_EFFICIENT_LOADING"]) == ("SHARDED_STATE_DICT", "true")
    assert env["ACCELERATE_MIXED_PRECISION"] == "bf16"
    assert args.nproc_per_node == "4"
