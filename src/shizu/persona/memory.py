"""The persona's memory at runtime: what a live prompt recalls, and the live exchanges it remembers.

A :class:`PersonaMemory` opens the workspace's memory (``shizu.db``) once per persona. A live
prompt recalls through :meth:`PersonaMemory.recall` exactly as ``shizu build`` recalled for each
training example (:func:`shizu.memory.recollect`), and keeps the same room for the memories.
:meth:`PersonaMemory.remember` adds the live exchanges, made by the build's own code
(:func:`shizu.dataset.memories.exchanges`) from text cleaned by the build's own rules
(:class:`~shizu.dataset.sanitize.Sanitizer`: names, opted-out people, PII). The model for semantic
search, the names of opted-out people and the PII rules are loaded at the first use. One call at
a time, from any thread: frontends recall in their generation thread and remember in their event
loop.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from shizu.chat.layout import Place, memory_room
from shizu.config import Config
from shizu.dataset.conversations import Line, segment
from shizu.dataset.memories import exchanges
from shizu.dataset.sanitize import Sanitizer
from shizu.memory import NOTHING, MemoryIndex, Origin, Recollection, Where, hidden_names, recollect, recollection_of, semantic_embedder
from shizu.persona.live import LiveMessage
from shizu.store.authors import known_names
from shizu.store.database import MessageStore
from shizu.workspace import Workspace, me_ids


class PersonaMemory:
    """The memory of ``store`` for the persona ``persona`` (its name in prompts; ``me``: the person's
    user ids), as ``config`` says; ``say`` gets one line when semantic search is not available."""

    def __init__(self, store: MessageStore, config: Config, persona: str, me: Iterable[str], say: Callable[[str], None] = lambda _: None) -> None:
        self.store = store
        self.config = config
        self.persona = persona
        self.me = frozenset(me)
        self.index = MemoryIndex(store, config.memory)
        self.tz = ZoneInfo(config.build.timezone)
        self.room = memory_room(persona, config.memory.max_tokens)  # kept from every live prompt's budget, as the build keeps it
        self._say = say
        self._lock = threading.Lock()
        self._sanitizer: Sanitizer | None = None  # with the names of opted-out people: both made at the first use
        self._hidden: tuple[str, ...] = ()
        self._failing = False  # the last use failed (and was said)

    @classmethod
    def open(cls, ws: Workspace, persona: str, say: Callable[[str], None] = lambda _: None) -> PersonaMemory | None:
        """The memory of workspace ``ws``; ``None`` with ``[memory] enabled = false`` or without a ``shizu.db``."""
        if not ws.config.memory.enabled or not ws.db_path.is_file():
            return None
        store = MessageStore(ws.db_path, shared=True)
        return cls(store, ws.config, persona, me_ids(ws, store), say)

    def _ready(self) -> Sanitizer:
        """The PII and name rules, once the sentence model and the opted-out names are loaded (at the first use)."""
        if self._sanitizer is None:
            if self.config.memory.semantic:
                self.index.embedder = semantic_embedder(self.config.generation.device, self._say)
            known = known_names(self.store)
            self._hidden = hidden_names(known, self.config.privacy.opt_out, self.persona)
            self._sanitizer = Sanitizer(self.config.privacy, self.persona, self.me, known)
        return self._sanitizer

    def recall(self, where: Where, query: str, start: datetime) -> Recollection:
        """What the persona recalls at ``where`` for a conversation that started at ``start`` (``query``: its text).

        Nothing when the memory fails (the reply goes on without it; ``say`` gets one line)."""
        with self._lock:
            try:
                self._ready()
                found = recollect(
                    self.index, query, where, persona=self.persona, tz=self.tz, before=start,
                    opt_out=self.config.privacy.opt_out, hidden_names=self._hidden,
                )
            except Exception as exc:  # the memory is an extra: a broken one must not stop the reply
                self._failed("recall", exc)
                return NOTHING
            self._failing = False
            return found

    def recalled_before(self, keys: Sequence[str]) -> Recollection:
        """The memories stored under ``keys`` as a prompt shows them: what a dataset row recorded
        it showed (``shizu eval`` replays held-out rows with them). Nothing when the memory fails."""
        with self._lock:
            try:
                self._ready()
                return recollection_of(self.index, keys, persona=self.persona, tz=self.tz, hidden_names=self._hidden)
            except Exception as exc:  # as in recall: the reply goes on without memories
                self._failed("recall", exc)
                return NOTHING

    def remember(self, messages: Sequence[LiveMessage], where: Where, place: Place) -> int:
        """Store the exchanges of ``messages`` (oldest first, texts as prompts write them) not stored
        yet: each turn of the person (an ``author_id`` of ``[persona] me``) with what it answered,
        and each of the bot's turns when ``[memory] remember_own_replies``. Returns how many were stored.

        Messages of opted-out people are left out, names and PII are handled as in the training
        set. A message without an ``id`` is keyed by where, when, who and what; one without an
        ``author_id`` is told apart by its speaker's name.
        """
        if not self.config.memory.remember_own_replies and not any(m.author_id in self.me for m in messages):
            return 0  # nothing here would be kept: do not load the model for it
        with self._lock:
            try:
                stored = self._store(messages, where, place)
            except Exception as exc:  # as in recall: the conversation goes on without this memory
                self._failed("remember", exc)
                return 0
            self._failing = False
            return stored

    def _store(self, messages: Sequence[LiveMessage], where: Where, place: Place) -> int:
        sanitizer = self._ready()
        opted_out = frozenset(self.config.privacy.opt_out)
        lines = [self._line(m, where, sanitizer) for m in messages if m.author_id not in opted_out and m.text.strip()]
        build = self.config.build
        shown = sanitizer.place(place)
        made = [
            memory
            for conv in segment(lines, build.session_gap_minutes * 60, build.burst_window_seconds)
            for memory in exchanges(conv, where, shown, self._origin)
        ]
        return self.index.add(made)

    def _failed(self, what: str, exc: Exception) -> None:
        """One line for a failing memory (not again until it works again)."""
        if not self._failing:
            self._failing = True
            self._say(f"memory: could not {what} ({type(exc).__name__}: {exc}); going on without it")

    def _line(self, message: LiveMessage, where: Where, sanitizer: Sanitizer) -> Line:
        mine = message.author_id in self.me
        author = message.author_id or f"name:{message.speaker}"
        key = message.id or "live:" + hashlib.sha256(
            "\0".join((where.channel_key, message.time.isoformat(), message.speaker, message.text)).encode()
        ).hexdigest()[:24]
        speaker = self.persona if message.is_persona or mine else sanitizer.speaker(author, message.speaker)
        return Line(key, author, speaker, message.is_persona or mine, message.time.timestamp(), sanitizer.text(message.text))

    def _origin(self, line: Line) -> Origin:
        return "live" if line.author_id in self.me else "bot"
