"""What the build counted on its way: stage counts, drops by reason, and the report's material.

Everything here is small and bounded (counters, one integer per example, a few samples), so the
builder can stream millions of messages and still report on all of them.
"""

from __future__ import annotations

import random
from array import array
from collections import Counter
from collections.abc import Callable
from typing import IO, Any

import msgspec

from shizu.dataset.filters import STAGES

PII_SAMPLES = 5
RENDERED_SAMPLES = 3


class Tally:
    """Counts per stage and reason; optionally writes each dropped item as one JSON line."""

    def __init__(self, dropped_out: IO[bytes] | None = None, seed: int = 0) -> None:
        self.stages: Counter[str] = Counter()
        self.dropped: dict[str, Counter[str]] = {stage: Counter() for stage in STAGES}
        self.persona_dropped: Counter[str] = Counter()  # the persona's own messages among message drops
        self.per_channel: Counter[str] = Counter()
        self.per_partner: Counter[str] = Counter()
        self.per_month: Counter[str] = Counter()
        self.example_tokens = array("I")
        self.pii: Counter[str] = Counter()
        self.pii_samples: list[str] = []
        self.samples: list[list[dict[str, str]]] = []
        self._seen_examples = 0
        self._rng = random.Random(seed)
        self._out = dropped_out
        self._encode = msgspec.json.Encoder().encode

    def count(self, stage: str, n: int = 1) -> None:
        self.stages[stage] += n

    def drop(self, stage: str, reason: str, details: Callable[[], dict[str, Any]]) -> None:
        """Count a dropped item; ``details`` is only called when dropped items are written out."""
        self.dropped[stage][reason] += 1
        if self._out is not None:
            self._out.write(self._encode({"stage": stage, "reason": reason, **details()}) + b"\n")

    def redacted(self, found: list[tuple[str, str]], redacted_text: str) -> None:
        """Record PII found in one piece of text (types only; samples show the redacted text)."""
        for pii_type, _ in found:
            self.pii[pii_type] += 1
        if len(self.pii_samples) < PII_SAMPLES:
            self.pii_samples.append(redacted_text)

    def example(self, messages: list[dict[str, str]], tokens: int, channel: str, partners: tuple[str, ...],
                month: str) -> None:
        """Record one written example; keeps a seeded reservoir of rendered samples."""
        self.example_tokens.append(tokens)
        self.per_channel[channel] += 1
        self.per_month[month] += 1
        for name in partners:
            self.per_partner[name] += 1
        self._seen_examples += 1
        if len(self.samples) < RENDERED_SAMPLES:
            self.samples.append(messages)
        else:
            slot = self._rng.randrange(self._seen_examples)
            if slot < RENDERED_SAMPLES:
                self.samples[slot] = messages

    def dropped_total(self, stage: str) -> int:
        return sum(self.dropped[stage].values())
