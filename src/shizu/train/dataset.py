"""The training set as the recipe sees it: validated examples in, token ids + labels out.

Reads ``dataset/train.jsonl`` and ``val.jsonl`` (format: docs/dataset-format.md), checks each line's
structure (system prompt first, user/assistant alternating, assistant last) with the file and line
in every error, encodes each example with :mod:`shizu.chat.template`, and applies the sequence
cutoff: an example longer than the cutoff is cut back to its last whole persona turn (never in the
middle of a turn, so every supervised turn still ends with end-of-turn), and dropped only when not
even its first persona turn fits.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from shizu.chat.template import Encoded, encode_for_training
from shizu.errors import TrainError

ROLES = ("system", "user", "assistant")
FORMAT_HINT = "The file is written by `shizu build`: rebuild it, or fix the line (format: docs/dataset-format.md)."


class _Message(msgspec.Struct):
    role: str
    content: str


class _Row(msgspec.Struct):
    id: str
    messages: list[_Message]


@dataclass(frozen=True)
class Example:
    """One conversation window; ``where`` is ``file:line`` for error messages."""

    id: str
    where: str
    messages: list[dict[str, str]]


def read_examples(path: Path) -> list[Example]:
    """Every example in one JSONL file, or a :class:`TrainError` naming the first bad line."""
    decoder = msgspec.json.Decoder(_Row)
    examples = []
    try:
        lines = path.read_bytes().splitlines()
    except FileNotFoundError:
        raise TrainError(f"{path} does not exist", hint="Run `shizu build` first: it writes dataset/train.jsonl and val.jsonl.") from None
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            row = decoder.decode(line)
        except msgspec.DecodeError as exc:
            raise TrainError(f"{where}: {exc}", hint=FORMAT_HINT) from None
        problem = _structure_problem(row.messages)
        if problem:
            raise TrainError(f"{where} (example {row.id!r}): {problem}", hint=FORMAT_HINT)
        examples.append(Example(id=row.id, where=where, messages=[{"role": m.role, "content": m.content} for m in row.messages]))
    return examples


def _structure_problem(messages: Sequence[_Message]) -> str | None:
    if not messages or messages[0].role != "system":
        return "`messages[0]` must be the system prompt (role \"system\")"
    for i, message in enumerate(messages[1:], 1):
        if message.role not in ROLES[1:]:
            return f"`messages[{i}].role` is {message.role!r}; after the system prompt only \"user\" and \"assistant\" are allowed"
        if message.role == messages[i - 1].role:
            return f"`messages[{i}]` repeats role {message.role!r}; user and assistant turns must alternate"
    if messages[-1].role != "assistant":
        return "the last message must be an assistant (persona) turn"
    return None


def dataset_sha256(*paths: Path) -> str:
    """One hash over the dataset files (names and bytes), recorded in meta.json and checked on resume."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + b"\0")
        if path.is_file():
            with path.open("rb") as fh:
                digest.update(bytes.fromhex(hashlib.file_digest(fh, "sha256").hexdigest()))
    return digest.hexdigest()


def encode_examples(tokenizer: Any, examples: Sequence[Example], eot: str) -> list[Encoded]:
    """Encode every example; a template problem is reported with the example's file and line."""
    encoded = []
    for example in examples:
        try:
            encoded.append(encode_for_training(tokenizer, example.messages, eot))
        except TrainError as exc:
            raise TrainError(f"{example.where}: {exc.message}", hint=exc.hint) from None
    return encoded


@dataclass(frozen=True)
class Cutoff:
    """What the sequence cutoff did to a split."""

    max_length: int
    whole: int  # examples kept entirely
    shortened: int  # cut back to their last whole persona turn
    dropped: int  # not even the first persona turn fits

    @property
    def total(self) -> int:
        return self.whole + self.shortened + self.dropped

    @property
    def whole_share(self) -> float:
        return self.whole / self.total if self.total else 1.0

    def describe(self) -> str:
        return (
            f"cutoff {self.max_length} tokens keeps {self.whole_share:.1%} of {self.total} examples whole"
            f" ({self.shortened} cut back to their last whole persona turn, {self.dropped} dropped)"
        )


def apply_cutoff(encoded: Sequence[Encoded], max_length: int) -> tuple[list[Encoded], Cutoff]:
    """Fit every example into ``max_length`` tokens without cutting a persona turn in half."""
    kept, whole, shortened, dropped = [], 0, 0, 0
    for enc in encoded:
        if len(enc.input_ids) <= max_length:
            kept.append(enc)
            whole += 1
            continue
        ends = [end for end in enc.turn_ends if end <= max_length]
        if not ends:
            dropped += 1
            continue
        cut = ends[-1]
        kept.append(Encoded(input_ids=enc.input_ids[:cut], labels=enc.labels[:cut], turn_ends=ends))
        shortened += 1
    return kept, Cutoff(max_length=max_length, whole=whole, shortened=shortened, dropped=dropped)


def auto_cutoff(lengths: Sequence[int], *, model_max: int, cap: int, share: float = 0.99, multiple: int = 64) -> tuple[int, str]:
    """The smallest multiple of ``multiple`` that keeps ``share`` of examples whole, within limits.

    Returns the cutoff and the reason to print.
    """
    ordered = sorted(lengths)
    index = max(0, math.ceil(share * len(ordered)) - 1)
    wanted = ordered[index] if ordered else multiple
    cutoff = min(max(multiple, math.ceil(wanted / multiple) * multiple), cap, model_max)
    why = f"the {share:.0%} length quantile is {wanted} tokens (longest {ordered[-1] if ordered else 0})"
    if cutoff < wanted:
        limit = "the model's context" if model_max <= cap else "the device cap (set [train] max_length to go higher)"
        why += f", capped by {limit}"
    return cutoff, why
