"""Auto-detected training settings, each with the reason it was chosen.

Everything the user did not set is decided here from the machine and the model: device, dtype,
CPU threads, micro-batch size and gradient accumulation, and whether gradient checkpointing is
needed. The functions take a :class:`Hardware` description, so the GPU paths are tested on a CPU
machine with a faked CUDA device. Memory figures are estimates (weights + LoRA optimizer state +
activations per token); they decide the micro-batch, never the results.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from shizu.errors import TrainError

GiB = 1024**3
BYTES_PER_WEIGHT = {"float32": 4.0, "bfloat16": 2.0, "float16": 2.0, "nf4": 0.6}  # nf4: 4 bits + scales
CUDA_MIN_MICRO_BATCH = 4  # below this a GPU idles; prefer checkpointing to tiny micro-batches


class Setting(NamedTuple):
    value: Any
    reason: str


@dataclass(frozen=True)
class Hardware:
    device: Literal["cuda", "mps", "cpu"]
    name: str
    memory_bytes: int  # per-GPU memory on CUDA, else the RAM available now
    bf16: bool  # the device computes bfloat16 natively
    gpus: int
    cpu_threads: int  # CPU cores this process may run on
    total_bytes: int = 0  # the machine's whole RAM (CPU/MPS); 0: unknown, taken as memory_bytes


def detect_hardware() -> Hardware:
    """Describe this machine (imports torch)."""
    import torch

    threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        return Hardware("cuda", props.name, props.total_memory, torch.cuda.is_bf16_supported(), torch.cuda.device_count(), threads)
    device = "mps" if torch.backends.mps.is_available() else "cpu"
    return Hardware(device, _cpu_name(), _meminfo("MemAvailable"), False, 0, threads, total_bytes=_meminfo("MemTotal"))


def _cpu_name() -> str:
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "CPU"


def _meminfo(field: str) -> int:
    """``MemAvailable`` or ``MemTotal`` in bytes (from sysconf where there is no /proc/meminfo)."""
    try:
        for line in open("/proc/meminfo", encoding="utf-8"):
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    pages = "SC_AVPHYS_PAGES" if field == "MemAvailable" else "SC_PHYS_PAGES"
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf(pages)


@dataclass(frozen=True)
class DevicePlan:
    device: Setting
    dtype: Setting  # "float32" | "bfloat16" | "float16"
    threads: Setting
    qlora: Setting


def plan_device(hw: Hardware, *, qlora: bool, env: dict[str, str] | None = None) -> DevicePlan:
    """Device, compute dtype, CPU threads and QLoRA, from the hardware and the user's flags."""
    env = dict(os.environ) if env is None else env
    if hw.device == "cuda":
        device = Setting("cuda", f"{hw.gpus} CUDA GPU(s): {hw.name}, {hw.memory_bytes / GiB:.0f} GiB each")
        dtype = (
            Setting("bfloat16", "the GPU computes bf16 natively: half the memory of fp32, same range")
            if hw.bf16
            else Setting("float16", "this GPU has no bf16; fp16 with loss scaling")
        )
    else:
        device = Setting(hw.device, f"no CUDA GPU visible to torch; training on {hw.name}")
        dtype = Setting("float32", "bf16 on CPU/MPS is slower (2.3x measured on CPUs without AMX) and less precise")
    if "OMP_NUM_THREADS" in env:
        threads = Setting(int(env["OMP_NUM_THREADS"]), "from OMP_NUM_THREADS")
    else:
        threads = Setting(hw.cpu_threads, "every CPU core this process may use")
    if qlora and hw.device != "cuda":
        raise TrainError("--qlora needs a CUDA GPU (bitsandbytes 4-bit kernels)", hint="Drop --qlora: on CPU, LoRA trains in float32.")
    qlora_setting = (
        Setting(True, "--qlora: base weights in 4-bit NF4 (bitsandbytes), LoRA and compute in " + dtype.value)
        if qlora
        else Setting(False, "not requested (--qlora cuts base-model memory ~4x on CUDA)")
    )
    return DevicePlan(device=device, dtype=dtype, threads=threads, qlora=qlora_setting)


@dataclass(frozen=True)
class ModelDims:
    """The model sizes the memory estimate needs (read from its config)."""

    params: int
    hidden: int
    layers: int
    intermediate: int
    vocab: int

    @classmethod
    def from_config(cls, config: Any, params: int) -> ModelDims:
        return cls(params, config.hidden_size, config.num_hidden_layers, config.intermediate_size, config.vocab_size)


def cpu_memory_budget(hw: Hardware) -> tuple[float, str]:
    """RAM the run may plan for, and why: 60% of what is available now, but never less than 40%
    of the machine's total, so a busy moment (another job holding memory) does not shrink the
    plan to a micro-batch of 1; if memory really runs out, the recipe re-plans smaller."""
    total = hw.total_bytes or hw.memory_bytes
    now, floor = 0.6 * hw.memory_bytes, 0.4 * total
    if now >= floor:
        return now, f"60% of the {hw.memory_bytes / GiB:.1f} GiB RAM available now"
    return floor, f"40% of the {total / GiB:.0f} GiB RAM: only {hw.memory_bytes / GiB:.1f} GiB is free this moment"


@dataclass(frozen=True)
class BatchPlan:
    micro_batch: Setting
    grad_accum: Setting
    checkpointing: Setting

    def smaller(self, why: str) -> BatchPlan | None:
        """The next smaller micro-batch that still divides the step, with more accumulation: the
        same examples per optimizer step, so the same results; None at a micro-batch of 1."""
        micro, accum = self.micro_batch.value, self.grad_accum.value
        step = micro * accum
        smaller = max((d for d in range(1, micro) if step % d == 0), default=None)
        if smaller is None:
            return None
        return BatchPlan(
            micro_batch=Setting(smaller, why),
            grad_accum=Setting(step // smaller, f"{step // smaller} x {smaller} = {step} examples per step, as before"),
            checkpointing=self.checkpointing,
        )


def plan_batch(
    hw: Hardware,
    dims: ModelDims,
    *,
    dtype: str,
    qlora: bool,
    max_length: int,
    batch_size: int,
    lora_rank: int,
    checkpointing: Literal["auto", "on", "off"] = "auto",
    world_size: int = 1,
) -> BatchPlan:
    """Micro-batch, accumulation and gradient checkpointing that fit memory for ``batch_size`` examples per step."""
    act = BYTES_PER_WEIGHT[dtype]
    weights = dims.params * BYTES_PER_WEIGHT["nf4" if qlora else dtype]
    lora_state = lora_rank * dims.layers * (11 * dims.hidden + 3 * dims.intermediate) * 16  # fp32 param, grad, 2 Adam moments
    logits = 12 * dims.vocab  # fp32 logits, softmax and grad for a supervised position
    per_token = {
        False: act * dims.layers * (24 * dims.hidden + 6 * dims.intermediate) + logits,
        True: act * (dims.layers * 2 * dims.hidden + 24 * dims.hidden + 6 * dims.intermediate) + logits,
    }
    if hw.device == "cuda":
        budget, where = 0.9 * hw.memory_bytes - GiB - weights - lora_state, f"of {hw.memory_bytes / GiB:.0f} GiB GPU memory"
    else:
        ram, where = cpu_memory_budget(hw)
        budget = ram - weights - lora_state
    per_rank = max(1, batch_size // world_size)
    min_micro = min(per_rank, CUDA_MIN_MICRO_BATCH) if hw.device == "cuda" else 1

    def fits(micro: int, gc: bool) -> bool:
        return micro * max_length * per_token[gc] <= budget

    if checkpointing == "auto":
        gc = not fits(min_micro, False)
        gc_reason = (
            f"{min_micro} sequence(s) of {max_length} tokens do not fit without it"
            if gc
            else "not needed: activations fit in memory (checkpointing would cost ~35% speed)"
        )
    else:
        gc = checkpointing == "on"
        gc_reason = f"[train] gradient_checkpointing = {checkpointing!r}"
    if not fits(1, gc):
        need = (max_length * per_token[gc] + weights + lora_state) / GiB
        raise TrainError(
            f"One sequence of {max_length} tokens needs ~{need:.1f} GiB ({where} leaves too little)",
            hint="Lower [train] max_length, use --qlora on a CUDA GPU, "
            + ("allow gradient checkpointing ([train] gradient_checkpointing = \"auto\"), " if not gc else "")
            + "or train on a machine with more memory.",
        )
    micro = max(d for d in range(1, per_rank + 1) if per_rank % d == 0 and fits(d, gc))
    need_gb = micro * max_length * per_token[gc] / GiB
    micro_reason = f"{micro} x {max_length} tokens need ~{need_gb:.1f} GiB of activations; {max(budget, 0) / GiB:.1f} GiB free ({where})"
    accum = per_rank // micro
    ranks = f" on each of {world_size} processes" if world_size > 1 else ""
    accum_reason = f"{accum} x {micro}{ranks} = {accum * micro * world_size} examples per step ([train] batch_size = {batch_size})"
    return BatchPlan(
        micro_batch=Setting(micro, micro_reason),
        grad_accum=Setting(accum, accum_reason),
        checkpointing=Setting(gc, gc_reason),
    )


def is_out_of_memory(exc: BaseException) -> bool:
    """An allocation failure torch reports (CUDA or CPU), as opposed to any other error."""
    import torch

    if isinstance(exc, (torch.OutOfMemoryError, MemoryError)):
        return True
    return isinstance(exc, RuntimeError) and any(text in str(exc) for text in ("out of memory", "can't allocate memory"))
