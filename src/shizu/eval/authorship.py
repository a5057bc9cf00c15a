"""Authorship: does a reply read as the persona wrote it?

A character n-gram classifier (scikit-learn: TF-IDF over 1-4 character n-grams within word
boundaries, then logistic regression with balanced classes) learns, on the training split only,
to tell the persona's turns from everyone else's. A system's authorship score is the mean
probability it gives that system's replies of being the persona's; the real held-out replies'
score is the ceiling a perfect imitation would reach. Character n-grams catch what makes a voice
recognisable in chat (lowercase, slang spellings, emoji, punctuation habits) without any model of
the topic. An empty reply scores 0: saying nothing does not read as anyone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

MIN_TURNS = 2  # turns per class the classifier needs to learn anything


@dataclass
class Authorship:
    """The fitted classifier and how well it separates held-out turns."""

    pipeline: Any
    train_turns: dict[str, int]

    @classmethod
    def fit(cls, persona: Sequence[str], others: Sequence[str], seed: int = 0) -> Authorship | None:
        """Train on the persona's and the others' training turns; ``None`` without enough of both."""
        if len(persona) < MIN_TURNS or len(others) < MIN_TURNS:
            return None
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        pipeline = make_pipeline(
            TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True, lowercase=False),
            LogisticRegression(class_weight="balanced", max_iter=2000, random_state=seed),
        )
        pipeline.fit([*persona, *others], [1] * len(persona) + [0] * len(others))
        return cls(pipeline=pipeline, train_turns={"persona": len(persona), "others": len(others)})

    def probabilities(self, texts: Sequence[str]) -> list[float]:
        """The probability that each text is the persona's (0 for an empty text)."""
        filled = [i for i, text in enumerate(texts) if text.strip()]
        out = [0.0] * len(texts)
        if filled:
            column = list(self.pipeline.classes_).index(1)
            probs = self.pipeline.predict_proba([texts[i] for i in filled])[:, column]
            for i, p in zip(filled, probs):
                out[i] = float(p)
        return out

    def accuracy(self, persona: Sequence[str], others: Sequence[str]) -> float | None:
        """Balanced accuracy on turns it was not trained on (how much the score can be trusted)."""
        if not persona or not others:
            return None
        hits_p = sum(p >= 0.5 for p in self.probabilities(persona)) / len(persona)
        hits_o = sum(p < 0.5 for p in self.probabilities(others)) / len(others)
        return (hits_p + hits_o) / 2
