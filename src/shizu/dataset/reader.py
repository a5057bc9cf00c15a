"""Reading the training set back: ``train.jsonl`` / ``val.jsonl`` as ``shizu build`` wrote them.

The one reader of the dataset format (``docs/dataset-format.md``), used by training and the
evaluation alike. A bad line is an error naming the file and the line.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import msgspec

from shizu.chat.layout import forgetting
from shizu.errors import TrainError

ROLES = ("system", "user", "assistant")
FORMAT_HINT = "The file is written by `shizu build`: rebuild it, or fix the line (format: docs/dataset-format.md)."


class _Message(msgspec.Struct):
    role: str
    content: str


class _Place(msgspec.Struct):
    kind: str
    channel: str = ""
    server: str = ""
    parent: str = ""
    platform: str = "discord"


class _Row(msgspec.Struct):
    id: str
    messages: list[_Message]
    timestamp: str = ""  # the time of the example's last message (ISO, UTC)
    persona: str | None = None  # the situation, structured (datasets built before it only have the system prompt)
    place: _Place | None = None
    participants: list[str] | None = None
    memories: list[str] | None = None  # keys of the memories in the system prompt (absent: none)
    message_ids: list[list[str]] | None = None  # the store ids behind each message


@dataclass(frozen=True)
class Example:
    """One conversation window; ``where`` is ``file:line`` for error messages.

    ``persona``, ``place`` (kind, channel, server, parent, platform) and ``participants`` state the
    situation the system prompt renders; ``None`` for a dataset built before they were written.
    ``memories``: the keys of the persona's memories the system prompt shows (``()``: none);
    ``message_ids``: the store ids behind each message (``()`` when the row has none).
    """

    id: str
    where: str
    messages: list[dict[str, str]]
    persona: str | None = None
    place: dict[str, str] | None = None
    participants: tuple[str, ...] | None = None
    timestamp: str = ""
    memories: tuple[str, ...] = ()
    message_ids: tuple[tuple[str, ...], ...] = ()

    def without_memories(self) -> Example:
        """The same window with no memories in its system prompt (``shizu train --no-memory``)."""
        if not self.memories or self.persona is None:
            return self
        return replace(self, messages=forgetting(self.messages, self.persona), memories=())


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
        place = msgspec.structs.asdict(row.place) if row.place is not None else None
        examples.append(Example(
            id=row.id, where=where, messages=[{"role": m.role, "content": m.content} for m in row.messages], persona=row.persona,
            place=place, participants=tuple(row.participants) if row.participants is not None else None, timestamp=row.timestamp,
            memories=tuple(row.memories or ()), message_ids=tuple(tuple(ids) for ids in row.message_ids or ()),
        ))
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


def built_sha256(dataset_dir: Path) -> str:
    """The hash a run records of the dataset it trained on (``train.jsonl`` and ``val.jsonl``)."""
    return dataset_sha256(dataset_dir / "train.jsonl", dataset_dir / "val.jsonl")
