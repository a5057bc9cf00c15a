"""``shizu train``: a LoRA recipe on transformers ``Trainer`` + PEFT.

Modules, in the order a run uses them: ``base_model`` (which weights, converted once to a cache),
``chat_format`` (the one template/label function, shared with the runtime), ``dataset`` (JSONL in,
token ids and labels out), ``preflight`` (checks before step 1), ``hardware`` (auto-detected
settings with reasons), ``recipe`` (the training run) with ``supervised`` (batches and loss),
``progress`` and ``run_dir`` (long-run plumbing). Only ``recipe``, ``supervised`` and ``progress``
import torch/transformers at module level; the runtime imports ``chat_format`` and ``base_model``
without pulling in any training code.
"""
