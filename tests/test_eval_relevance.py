"""Relevance: cosine similarity of each generated reply to the real one (all-MiniLM-L6-v2, offline)."""

from __future__ import annotations

import numpy as np
import pytest

from shizu.eval.relevance import load_embedder, similarities


class Letters:
    """A stand-in embedder: letter counts of a, b, c, normalised; records what it was asked."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def encode(self, texts: list[str], *, normalize_embeddings: bool, batch_size: int, show_progress_bar: bool) -> np.ndarray:
        self.calls.append(list(texts))
        vectors = np.array([[t.count(c) for c in "abc"] for t in texts], dtype=float)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True) if normalize_embeddings else vectors


def test_each_reply_is_compared_with_the_real_reply_at_its_position() -> None:
    embedder = Letters()
    scores = similarities(embedder, ["aa", "", "ab"], ["a", "b", "b"])
    assert scores == pytest.approx([1.0, 0.0, 1 / np.sqrt(2)])
    assert embedder.calls == [["aa", "ab", "a", "b"]]  # an empty reply scores 0 without being embedded
    assert similarities(embedder, ["  "], ["a"]) == [0.0]
    with pytest.raises(ValueError):
        similarities(embedder, ["a"], [])


@pytest.mark.slow
def test_the_bundled_minilm_ranks_a_paraphrase_above_an_unrelated_reply() -> None:
    model = load_embedder("cpu")
    close, far = similarities(model, ["omg the trailer looks so good", "my cat knocked over the plant"], ["the new trailer is amazing"] * 2)
    assert close > 0.5 > far
    assert model.encode(["x"], normalize_embeddings=True, batch_size=1, show_progress_bar=False).shape == (1, 384)
