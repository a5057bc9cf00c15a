"""The held-out conversations, read back into the live situations the persona runtime answers.

``val.jsonl`` holds the latest conversations, never trained on (docs/dataset-format.md). Every
assistant message in it is one held-out persona turn: each system is asked for the persona's
reply to exactly the context before it, and compared with what the person really wrote.

The runtime takes a live situation (messages, place, who is there, when), not rendered chat
messages, so each context is read back into one: user lines ``Name: text`` become the other
people's messages, assistant lines the persona's own, the persona's name, the place and the
participants are the row's structured ``persona`` / ``place`` / ``participants`` fields, and the
time is the example's timestamp. (Datasets built before those fields existed are read from the
system prompt instead, with a deprecation note.) The runtime then
renders the very prompt training saw (:mod:`shizu.eval.replay` counts any that differ).

``train.jsonl`` gives what the metrics compare against: the persona's training text (distinctive
words, the authorship classifier, verbatim copies) and everyone else's.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from pathlib import Path
from typing import TypeVar, cast, get_args
from zoneinfo import ZoneInfo

import msgspec

from shizu.chat.layout import Place, Situation, split_burst, system_prompt
from shizu.dataset.reader import Example, read_examples
from shizu.errors import EvalError
from shizu.message import ChannelKind
from shizu.persona.live import LiveMessage

T = TypeVar("T")
REBUILD = "Rebuild the dataset with `shizu build` (format: docs/dataset-format.md)."

_KINDS = get_args(ChannelKind)
_warned = False  # the deprecation note on old datasets is given once per process
_SYSTEM_RE = re.compile(r"You are (?P<persona>.+?), chatting on (?P<platform>\S+) (?P<rest>.+)\. It is [^.]+\. Write only ", re.DOTALL)
_PLACES: tuple[tuple[ChannelKind, re.Pattern[str]], ...] = (
    ("dm", re.compile(r"in a direct message")),
    ("group", re.compile(r'in (?:a group chat|the group chat "(?P<channel>.*)")')),
    ("thread", re.compile(r'in the thread "(?P<channel>.*?)"(?: of #(?P<parent>.*?))?(?: on the server "(?P<server>.*)")?')),
    ("guild-text", re.compile(r'in (?:a channel|#(?P<channel>.*?))(?: on the server "(?P<server>.*)")?')),
)


@dataclass(frozen=True)
class HeldOutTurn:
    """One held-out persona turn: its context as the runtime takes it, and the real reply."""

    example_id: str
    turn: int  # which persona turn of the example (0-based)
    where: str  # ``val.jsonl:line`` for messages
    context: tuple[dict[str, str], ...]  # the chat messages before the reply, as the training set renders them
    reply: str  # what the persona really wrote (one chat message per line)
    history: tuple[LiveMessage, ...]
    place: Place
    participants: tuple[str, ...]  # every other speaker of the example's window, in order of appearance
    time: datetime
    memories: tuple[str, ...] = ()  # the keys of the memories the example's system prompt shows
    message_ids: tuple[str, ...] = ()  # the store ids of the real reply's messages (() in rows without them)

    @property
    def key(self) -> str:
        return f"{self.example_id}#{self.turn}"


@dataclass(frozen=True)
class Corpus:
    """Who wrote what in the training split: the persona's turns and everyone else's."""

    persona: list[str]  # the persona's training turns
    asked: list[tuple[str, str]]  # (the last line said before it, the turn) for each of them
    others: list[str]  # other people's training turns (one speaker's consecutive lines)
    heldout_others: list[str]  # other people's turns in val.jsonl
    names: frozenset[str]  # every other speaker seen in train or val


class _Stamp(msgspec.Struct):
    id: str
    timestamp: str


def read_heldout(path: Path, timezone: str) -> tuple[list[Example], list[HeldOutTurn]]:
    """The examples of ``val.jsonl`` and every persona turn in them, in file order."""
    if not path.is_file():
        raise EvalError(f"{path} does not exist", hint="Run `shizu build` first: it holds out the latest conversations in val.jsonl.")
    examples = read_examples(path)
    if not examples:
        raise EvalError(
            f"{path} holds no example: there is nothing to evaluate on",
            hint="Set [build] val_fraction above 0 in shizu.toml (for example 0.1) and run `shizu build` again.",
        )
    times = _timestamps(path)
    zone = ZoneInfo(timezone)
    turns = []
    for example in examples:
        time = times[example.id].astimezone(zone)
        name, place, participants = _situation(example, time)
        history: list[LiveMessage] = []
        k = 0
        for i, message in enumerate(example.messages[1:], 1):
            if message["role"] == "assistant":
                turns.append(HeldOutTurn(
                    example_id=example.id, turn=k, where=example.where, context=tuple(example.messages[:i]),
                    reply=message["content"], history=tuple(history), place=place, participants=participants, time=time,
                    memories=example.memories, message_ids=example.message_ids[i] if i < len(example.message_ids) else (),
                ))
                k += 1
                history += [LiveMessage(name, text, time, is_persona=True) for text in split_burst(message["content"])]
            else:
                history += [LiveMessage(speaker, text, time) for speaker, text in _user_lines(message["content"], example.where)]
    return examples, turns


def read_corpus(train_path: Path, heldout: Sequence[Example]) -> Corpus:
    """The persona's training turns, and other people's turns in train and in val."""
    trained = read_examples(train_path)
    persona, others, asked = _turns(trained)
    _, heldout_others, _ = _turns(heldout)
    names = frozenset(
        speaker
        for example in (*trained, *heldout)
        for message in example.messages[1:]
        if message["role"] == "user"
        for speaker, _ in _user_lines(message["content"], example.where)
    )
    return Corpus(persona=persona, asked=asked, others=others, heldout_others=heldout_others, names=names)


def spread(items: Sequence[T], limit: int | None) -> list[T]:
    """``limit`` items evenly spread over all of them (all when ``limit`` is ``None`` or larger)."""
    if limit is None or limit >= len(items):
        return list(items)
    return [items[i * len(items) // limit] for i in range(limit)]


def _turns(examples: Sequence[Example]) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    """The persona's turns, the other people's (one speaker's consecutive lines) in ``examples``, and
    each persona turn with the last line said before it ("" when it opens the window)."""
    persona: list[str] = []
    others: list[str] = []
    asked: list[tuple[str, str]] = []
    for example in examples:
        last = ""
        for message in example.messages[1:]:
            if message["role"] == "assistant":
                persona.append(message["content"])
                asked.append((last, message["content"]))
                continue
            lines = _user_lines(message["content"], example.where)
            last = lines[-1][1] if lines else ""
            for _, group in groupby(lines, key=lambda line: line[0]):
                others.append("\n".join(text for _, text in group))
    return persona, others, asked


def _user_lines(content: str, where: str) -> list[tuple[str, str]]:
    """``(speaker, text)`` of each ``Name: text`` line of a user turn."""
    out = []
    for line in split_burst(content):
        speaker, sep, text = line.partition(": ")
        if not sep or not speaker.strip():
            raise EvalError(f"{where}: the user line {line[:60]!r} does not start with 'Name: '", hint=REBUILD)
        out.append((speaker, text))
    return out


def _speakers(contents: Iterable[str]) -> tuple[str, ...]:
    """The speakers of these user turns in order of appearance (the system prompt's order)."""
    return tuple(dict.fromkeys(line.partition(": ")[0] for content in contents for line in content.split("\n")))


def _situation(example: Example, time: datetime) -> tuple[str, Place, tuple[str, ...]]:
    """The persona's name, the place and the other participants, as the dataset row states them.

    A dataset built before rows carried the situation is read the old way, from its system prompt
    (with a deprecation note: rebuild it).
    """
    if example.persona is not None and example.place is not None and example.participants is not None:
        kind = example.place.get("kind", "")
        if kind not in _KINDS:
            raise EvalError(f"{example.where}: `place.kind` is {kind!r}, not one of {', '.join(_KINDS)}", hint=REBUILD)
        return example.persona, Place(**{**example.place, "kind": cast(ChannelKind, kind)}), example.participants
    global _warned
    if not _warned:
        _warned = True
        warnings.warn(
            f"{example.where}: this dataset was built before rows carried their situation (persona, place, participants);"
            " reading it from the system prompt instead. Rebuild it with `shizu build`.",
            FutureWarning, stacklevel=3,
        )
    participants = _speakers(m["content"] for m in example.messages if m["role"] == "user")
    name, place = _read_system_prompt(example, time, participants)
    return name, place, participants


def _read_system_prompt(example: Example, time: datetime, participants: tuple[str, ...]) -> tuple[str, Place]:
    """The persona's name and where the conversation happened, read from the system prompt.

    Every reading the grammar allows is rendered again; the one that gives back the system prompt
    exactly wins (a name may contain " with "), else the first reading.
    """
    system = example.messages[0]["content"]
    match = _SYSTEM_RE.match(system)
    if match is None:
        raise EvalError(f"{example.where}: the system prompt {system[:80]!r}... is not one `shizu build` writes", hint=REBUILD)
    rest = match.group("rest")
    ends = [len(rest)] + [m.start() for m in re.finditer(" with ", rest)]
    readings = []
    for end in ends:
        for kind, pattern in _PLACES:
            found = pattern.fullmatch(rest[:end])
            if found:
                fields = {k: v or "" for k, v in found.groupdict().items()}
                readings.append(Place(kind=kind, platform=match.group("platform").lower(), **fields))
                break
    if not readings:
        raise EvalError(f"{example.where}: cannot tell where the conversation happened from {system[:80]!r}...", hint=REBUILD)
    persona = match.group("persona")
    for place in readings:
        if system_prompt(Situation(persona, place, time, participants)) == system:
            return persona, place
    return persona, readings[0]


def _timestamps(path: Path) -> dict[str, datetime]:
    """Each example's ``timestamp`` (the time its system prompt states)."""
    decoder = msgspec.json.Decoder(_Stamp)
    times = {}
    for lineno, line in enumerate(path.read_bytes().splitlines(), 1):
        if not line.strip():
            continue
        try:
            stamp = decoder.decode(line)
            times[stamp.id] = datetime.fromisoformat(stamp.timestamp)
        except (msgspec.DecodeError, ValueError) as exc:
            raise EvalError(f"{path}:{lineno}: `timestamp` is missing or not an ISO time ({exc})", hint=REBUILD) from None
        if times[stamp.id].tzinfo is None:
            raise EvalError(f"{path}:{lineno}: `timestamp` {stamp.timestamp!r} has no time zone", hint=REBUILD)
    return times
