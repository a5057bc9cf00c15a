"""Fused GPU kernels (``[train] fused_kernels``): Liger Kernel's Triton kernels, the optional extra ``gpu``.

``"liger"`` has the Trainer (``use_liger_kernel``) swap the model's RoPE, RMSNorm and SwiGLU for
Liger's fused kernels. Liger's fused linear cross-entropy stays off: it computes the loss inside
the model's forward from the labels, while the recipe keeps the logits of the supervised positions
only (``logits_to_keep``) and computes its own loss (:mod:`shizu.train.supervised`). Not the
default: its effect on this recipe has not been measured (no GPU was available to the project).
"""

from __future__ import annotations

from typing import Literal

from shizu.errors import TrainError
from shizu.extras import require
from shizu.train.hardware import Hardware, Setting

# Passed to Liger's _apply_liger_kernel_to_instance (through TrainingArguments.liger_kernel_config).
LIGER_KERNELS = {"rope": True, "rms_norm": True, "swiglu": True, "cross_entropy": False, "fused_linear_cross_entropy": False}


def plan_kernels(hw: Hardware, choice: Literal["off", "liger"]) -> Setting:
    """Whether Liger's kernels are used; refuses, before anything loads, a machine or install that cannot run them."""
    if choice == "off":
        return Setting(False, '[train] fused_kernels = "off" (the default; "liger" is not measured yet)')
    if hw.device != "cuda":
        raise TrainError(
            f'[train] fused_kernels = "liger" needs a CUDA GPU (Liger Kernel is Triton code); this machine trains on {hw.device}',
            hint='Set [train] fused_kernels = "off" in shizu.toml (the default).',
        )
    require('[train] fused_kernels = "liger"', "gpu")
    return Setting(True, '[train] fused_kernels = "liger": Liger Kernel\'s RoPE, RMSNorm and SwiGLU (speed-up not measured here)')
