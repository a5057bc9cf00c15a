"""TRL's ``DPOTrainer`` and ``KTOTrainer`` on pairs and ratings Shizu has already encoded.

TRL would render and tokenise the data itself with the tokenizer's chat template; Shizu's are
encoded by :mod:`shizu.train.pair_encode` with the renderer, masks and checks supervised training
uses (so the prompt is exactly what the runtime sends), hence the one override each: the dataset
is taken as it is. Everything else is TRL's: the losses, and the reference, which for a model that
already carries a trained adapter is a frozen copy of that adapter (``"ref"``) taken when the
trainer is made, i.e. the parent run's policy, not the bare base model.

Kept apart from :mod:`shizu.train.dpo` because importing TRL is slow: this module is imported
only when a preference stage trains.
"""

from __future__ import annotations

from typing import Any

from trl import DPOTrainer, KTOTrainer

REFERENCE_ADAPTER = "ref"  # the name TRL gives the frozen copy of the adapter it trains


class PairTrainer(DPOTrainer):
    """A ``DPOTrainer`` whose datasets hold ``prompt_ids``, ``chosen_ids`` and ``rejected_ids`` already."""

    def _prepare_dataset(self, dataset: Any, processing_class: Any, args: Any, dataset_name: str) -> Any:
        return dataset


class RatingTrainer(KTOTrainer):
    """A ``KTOTrainer`` whose datasets hold ``prompt_ids``, ``completion_ids`` and ``label`` already.

    KTO estimates its KL term from mismatched sequences: each prompt with the reply of its
    neighbour in the same micro-batch (TRL's own construction, done here because TRL does it
    while it tokenises), which is why the rows are read in order."""

    def _prepare_dataset(self, dataset: Any, processing_class: Any, args: Any, dataset_name: str) -> Any:
        if not self.calculate_KL:
            return dataset
        return dataset.map(_rotated, batched=True, batch_size=args.per_device_train_batch_size)


def _rotated(rows: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """``KL_completion_ids``: the completions of a micro-batch shifted by one, (x1, y_n), (x2, y1)..."""
    completions = rows["completion_ids"]
    return {**rows, "KL_completion_ids": completions[-1:] + completions[:-1]}
