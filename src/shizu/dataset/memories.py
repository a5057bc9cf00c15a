"""The persona's memory in ``shizu build``: every persona turn becomes a memory, every example recalls.

:func:`exchanges` makes the memories of one conversation from the very lines the examples are made
of (PII redacted, opted-out people gone: ``docs/privacy.md``); the runtime makes the memories of
live exchanges with it too. :class:`BuildMemory` stores them as the build streams (unchanged ones
are not stored again, those the build no longer makes are forgotten), embeds the new ones, and
then gives each example what the bot would have recalled at its moment (:func:`shizu.memory.recollect`:
in scope, only from before the example's conversation started).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import msgspec

from shizu.chat.layout import Place, Turn
from shizu.config import Config
from shizu.dataset.conversations import Conversation, Line
from shizu.memory import Memory, MemoryIndex, Origin, Recollection, Where, recollect, semantic_embedder
from shizu.progress import Reporter
from shizu.store.database import MessageStore

CONTEXT_LINES = 4  # lines of what a memory answered, at most (the latest): memories stay small enough to show a few
ADD_BATCH = 4096  # memories stored per transaction


def exchanges(conv: Conversation, where: Where, place: Place, origin: Callable[[Line], Origin | None]) -> list[Memory]:
    """A memory for each persona turn of ``conv`` whose first line ``origin`` names (``None``: none
    for it): the other people's turns since the persona's previous turn (their last
    :data:`CONTEXT_LINES` lines) and the turn's own lines, keyed by its first message id."""
    out: list[Memory] = []
    since = 0
    for t, turn in enumerate(conv.turns):
        if not turn[0].is_persona:
            continue
        kind = origin(turn[0])
        if kind is not None:
            context = _answered(conv.turns[since:t])
            out.append(Memory(
                key=turn[0].id, where=where, place=place, time=datetime.fromtimestamp(turn[-1].ts, UTC),
                context=tuple(Turn(lines[0].speaker, False, tuple(line.text for line in lines)) for lines in context),
                reply=tuple(line.text for line in turn),
                people=tuple(dict.fromkeys(line.author_id for lines in context for line in lines)), origin=kind,
            ))
        since = t + 1
    return out


def _answered(turns: Sequence[list[Line]]) -> list[list[Line]]:
    """The last :data:`CONTEXT_LINES` lines of ``turns``, still grouped by turn."""
    kept: list[list[Line]] = []
    room = CONTEXT_LINES
    for turn in reversed(turns):
        if room <= 0:
            break
        kept.insert(0, turn[-room:])
        room -= len(kept[0])
    return kept


class Ask(msgspec.Struct, array_like=True):
    """What one example recalls with, kept beside it until every memory is stored: its query (the
    turns before its first persona turn), where and when its conversation started, its situation's
    place and time, and what the report counts it under."""

    query: str
    where: Where
    before: float  # the conversation's start, unix seconds
    place: Place
    time: float  # the example's time (its last message), unix seconds
    channel: str  # the report's label of its channel
    month: str


class BuildMemory:
    """The memory side of one ``shizu build`` over ``store``; ``hidden``: the opted-out people's
    names, which recalled memories write as "someone"."""

    def __init__(self, store: MessageStore, config: Config, hidden: Iterable[str], reporter: Reporter) -> None:
        embedder = semantic_embedder(config.generation.device, reporter.say) if config.memory.semantic else None
        self.index = MemoryIndex(store, config.memory, embedder)
        self.tz = ZoneInfo(config.build.timezone)
        self.opt_out = frozenset(config.privacy.opt_out)
        self.hidden = tuple(hidden)
        self.keys: set[str] = set()
        self.stats = {"exchanges": 0, "stored": 0, "forgotten": 0, "embedded": 0, "examples_recalling": 0}
        self._batch: list[Memory] = []

    def add(self, memories: Sequence[Memory]) -> None:
        """Store ``memories`` (in batches; what is stored unchanged already is left as it is)."""
        self.keys.update(m.key for m in memories)
        self._batch += memories
        if len(self._batch) >= ADD_BATCH:
            self._flush()

    def _flush(self) -> None:
        self.stats["stored"] += self.index.add(self._batch, embed=False)
        self._batch = []

    def finish(self, reporter: Reporter) -> None:
        """Once every memory was added: forget what the build no longer makes, embed what is new."""
        self._flush()
        self.stats["exchanges"] = len(self.keys)
        self.stats["forgotten"] = self.index.forget_missing(self.keys)
        self.stats["embedded"] = self.index.embed_pending(reporter)

    def recall(self, asks: Sequence[Ask], persona: str) -> list[Recollection]:
        """What each example recalls (the queries embedded at once), the persona's lines under its name ``persona``."""
        asked = [i for i, ask in enumerate(asks) if ask.query.strip()]
        vectors = self.index.embed_queries([asks[i].query for i in asked])
        vector_of = dict(zip(asked, vectors)) if vectors is not None else {}
        found = [
            recollect(
                self.index, ask.query, ask.where, persona=persona, tz=self.tz, before=datetime.fromtimestamp(ask.before, UTC),
                opt_out=self.opt_out, hidden_names=self.hidden, vector=vector_of.get(i),
            )
            for i, ask in enumerate(asks)
        ]
        self.stats["examples_recalling"] += sum(bool(r.recalled) for r in found)
        return found
