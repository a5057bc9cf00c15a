"""Uncertainty: 95% intervals by bootstrap over held-out contexts, and whether two systems differ.

Every figure of the evaluation is a mean over held-out contexts (one persona turn each), so the
honest interval comes from resampling those contexts with replacement (percentile bootstrap,
2,000 resamples, fixed seed: the same data gives the same interval). Two systems are compared on
the same contexts, so their difference is bootstrapped pairwise; it is significant when its
interval excludes 0. With few contexts the intervals are wide: :func:`contexts_needed` says
roughly how many would separate an observed difference.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

RESAMPLES = 2000
LEVEL = 0.95


@dataclass(frozen=True)
class Estimate:
    """A mean over contexts with its 95% interval."""

    value: float
    low: float
    high: float
    n: int

    def to_json(self) -> dict[str, float | int]:
        return {"value": self.value, "low": self.low, "high": self.high, "n": self.n}

    def __str__(self) -> str:
        return f"{self.value:.3f} [{self.low:.3f}, {self.high:.3f}]"


@dataclass(frozen=True)
class Difference:
    """``a - b`` over the same contexts, its interval, and whether the interval excludes 0."""

    estimate: Estimate

    @property
    def significant(self) -> bool:
        return self.estimate.low > 0 or self.estimate.high < 0


def bootstrap_mean(values: Sequence[float], *, seed: int = 0) -> Estimate:
    """The mean of ``values`` (one per context) with a 95% percentile-bootstrap interval."""
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        return Estimate(math.nan, math.nan, math.nan, 0)
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, data.size, size=(RESAMPLES, data.size))].mean(axis=1)
    tail = (1 - LEVEL) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return Estimate(float(data.mean()), float(low), float(high), int(data.size))


def bootstrap_statistic(items: Sequence[object], statistic: Callable[[Sequence[object]], float | None], *, seed: int = 0) -> Estimate | None:
    """``statistic`` over ``items`` (one per context) with a percentile-bootstrap interval (perplexity: a token-weighted ratio)."""
    value = statistic(items)
    if value is None or not items:
        return None
    rng = np.random.default_rng(seed)
    draws = [statistic([items[i] for i in rng.integers(0, len(items), size=len(items))]) for _ in range(RESAMPLES // 4)]
    kept = [d for d in draws if d is not None]
    tail = (1 - LEVEL) / 2 * 100
    low, high = np.percentile(kept, [tail, 100 - tail])
    return Estimate(float(value), float(low), float(high), len(items))


def paired_difference(a: Sequence[float], b: Sequence[float], *, seed: int = 0) -> Difference:
    """``mean(a) - mean(b)`` where ``a[i]`` and ``b[i]`` are two systems' values on context ``i``."""
    if len(a) != len(b):
        raise ValueError("paired values need the same contexts")
    return Difference(bootstrap_mean([x - y for x, y in zip(a, b)], seed=seed))


def contexts_needed(difference: Difference) -> int | None:
    """Roughly how many contexts would make this difference's interval exclude 0 (``None``: already does, or no difference)."""
    est = difference.estimate
    if difference.significant or est.n == 0 or est.value == 0 or math.isnan(est.value):
        return None
    half_width = (est.high - est.low) / 2
    return math.ceil(est.n * (half_width / abs(est.value)) ** 2)
