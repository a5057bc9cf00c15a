"""Detectability: can a classifier tell a system's replies from the person's own? (a computational Turing test)

For one system, every held-out context gives two texts: the person's real reply and the system's
reply to the same context. A detector learns to tell them apart with k-fold cross-validation over
contexts (both texts of a context always fall in the same fold, so nothing about a context is
learnt before it is judged); each context is judged by a detector that never saw it. Classes are
balanced by construction (one real, one generated reply per context).

* **Detection accuracy**: the share of held-out texts classified correctly. 50% means the
  detector cannot tell the system from the person (indistinguishable); 100% means every reply
  gives itself away. Lower is better for the system.
* **Picked as real**: for each context, the detector is shown both replies and picks the one it
  finds more likely real; the share of contexts where it picks the system's (ties count half).
  50% is the ceiling of a perfect imitation.

Features are those a strong detector would use: character n-grams (TF-IDF over 1-4 character
n-grams), the style statistics ``shizu eval`` reports (:mod:`shizu.eval.style`: length, burst
size, casing, punctuation, emoji, media tags...) and, when available, a sentence embedding
(all-MiniLM-L6-v2). Each group is also tried alone, to report which one detects most. Every
figure carries a 95% interval from a bootstrap over contexts (:mod:`shizu.eval.intervals`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from shizu.eval.intervals import Estimate, bootstrap_mean
from shizu.eval.style import FEATURES, measure

FOLDS = 5
MIN_CONTEXTS = 6  # fewer than this and no fold can learn anything
GROUPS = ("char n-grams", "style", "embedding")

Embed = Callable[[list[str]], Any]  # texts -> an (n, d) array of normalised sentence embeddings


@dataclass(frozen=True)
class Detection:
    """How well one system's replies are told apart from the person's, per context and overall."""

    accuracy: Estimate  # detection accuracy (0.5: indistinguishable)
    picked_as_real: Estimate  # share of contexts where the system's reply looked more real (0.5: perfect imitation)
    by_group: dict[str, float] = field(default_factory=dict)  # accuracy of each feature group alone
    per_context: list[float] = field(default_factory=list)  # each context's accuracy (0, 0.5 or 1)
    picked: list[float] = field(default_factory=list)  # each context's picked-as-real (0, 0.5 or 1)

    @property
    def strongest(self) -> str | None:
        """The feature group that detects most on its own."""
        return max(self.by_group, key=lambda g: self.by_group[g]) if self.by_group else None

    def to_json(self) -> dict[str, Any]:
        return {
            "accuracy": self.accuracy.to_json(), "picked_as_real": self.picked_as_real.to_json(),
            "by_group": self.by_group, "strongest": self.strongest,
        }


def detect(
    real: Sequence[str], generated: Sequence[str], *, embed: Embed | None = None, distinctive: frozenset[str] = frozenset(), seed: int = 0
) -> Detection | None:
    """The detector's verdict on ``generated[i]`` vs ``real[i]`` (same context ``i``); ``None`` with too few contexts."""
    n = len(real)
    if n != len(generated):
        raise ValueError("one generated reply per real reply")
    if n < MIN_CONTEXTS:
        return None
    texts = [*real, *generated]
    labels = np.array([1] * n + [0] * n)
    contexts = np.array([*range(n), *range(n)])
    blocks = {"char n-grams": texts, "style": _style_matrix(texts, distinctive)}
    if embed is not None:
        blocks["embedding"] = np.asarray(embed(texts), dtype=float)
    by_group = {}
    for group, block in blocks.items():
        probs = _out_of_fold({group: block}, labels, contexts, seed)
        by_group[group] = float(np.mean(_context_accuracy(probs, n)))
    probs = _out_of_fold(blocks, labels, contexts, seed)
    per_context = _context_accuracy(probs, n)
    picked = [1.0 if probs[n + i] > probs[i] else 0.5 if probs[n + i] == probs[i] else 0.0 for i in range(n)]
    return Detection(
        accuracy=bootstrap_mean(per_context, seed=seed), picked_as_real=bootstrap_mean(picked, seed=seed),
        by_group=by_group, per_context=per_context, picked=picked,
    )


def _context_accuracy(probs: np.ndarray, n: int) -> list[float]:
    """Per context: the share of its two texts classified right (real: p >= 0.5, generated: p < 0.5)."""
    return [(float(probs[i] >= 0.5) + float(probs[n + i] < 0.5)) / 2 for i in range(n)]


def _out_of_fold(blocks: dict[str, Any], labels: np.ndarray, contexts: np.ndarray, seed: int) -> np.ndarray:
    """P(real) for every text from a detector trained on the other folds' contexts."""
    from sklearn.model_selection import GroupKFold

    probs = np.zeros(len(labels))
    folds = GroupKFold(n_splits=min(FOLDS, len(set(contexts.tolist()))))
    for train, test in folds.split(np.zeros(len(labels)), labels, groups=contexts):
        model, features = _fit(blocks, train, labels[train], seed)
        probs[test] = model.predict_proba(features(test))[:, list(model.classes_).index(1)]
    return probs


def _fit(blocks: dict[str, Any], train: np.ndarray, labels: np.ndarray, seed: int) -> tuple[Any, Callable[[np.ndarray], Any]]:
    """A logistic regression over the feature blocks, each transformed with what the training fold allows."""
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    transforms: list[Callable[[np.ndarray], Any]] = []
    for group, block in blocks.items():
        if group == "char n-grams":
            vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True, lowercase=False, min_df=1)
            vectorizer.fit([block[i] for i in train])
            transforms.append(lambda rows, v=vectorizer, b=block: v.transform([b[i] for i in rows]))
        else:
            scaler = StandardScaler().fit(block[train])
            transforms.append(lambda rows, s=scaler, b=block: csr_matrix(s.transform(b[rows])))

    def features(rows: np.ndarray) -> Any:
        return hstack([t(rows) for t in transforms]).tocsr()

    model = LogisticRegression(max_iter=2000, random_state=seed)
    model.fit(features(train), labels)
    return model, features


def _style_matrix(texts: Sequence[str], distinctive: frozenset[str]) -> np.ndarray:
    """One row per text: the mean of each style feature over its messages (0 where it has none)."""
    rows = []
    for text in texts:
        means = measure([text], distinctive).means()
        rows.append([means[f.key] or 0.0 for f in FEATURES])
    return np.array(rows, dtype=float)
