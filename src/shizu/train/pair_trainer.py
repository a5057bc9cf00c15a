"""TRL's ``DPOTrainer`` on pairs Shizu has already encoded.

TRL would render and tokenise the pairs itself with the tokenizer's chat template; Shizu's pairs
are encoded by :mod:`shizu.train.pair_encode` with the renderer, masks and checks supervised
training uses (so the prompt is exactly what the runtime sends), hence the one override: the
dataset is taken as it is. Everything else is TRL's: the DPO loss, and the reference, which for a
model that already carries a trained adapter is a frozen copy of that adapter (``"ref"``) taken
when the trainer is made, i.e. the parent run's policy, not the bare base model.

Kept apart from :mod:`shizu.train.dpo` because importing TRL is slow: this module is imported
only when a preference stage trains.
"""

from __future__ import annotations

from typing import Any

from trl import DPOTrainer

REFERENCE_ADAPTER = "ref"  # the name TRL gives the frozen copy of the adapter it trains


class PairTrainer(DPOTrainer):
    """A ``DPOTrainer`` whose datasets hold ``prompt_ids``, ``chosen_ids`` and ``rejected_ids`` already."""

    def _prepare_dataset(self, dataset: Any, processing_class: Any, args: Any, dataset_name: str) -> Any:
        return dataset
