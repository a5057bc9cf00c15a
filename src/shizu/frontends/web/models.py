"""The models a server answers with: the persona's run(s), each behind its own generation queue.

A model's name, as clients see it in ``/v1/models`` and send as ``model``, is its run folder's
name (``runs/<name>/``), or ``base`` for the base model alone (``--base-only``).
"""

from __future__ import annotations

import copy
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from shizu.chat.layout import Place
from shizu.config import GenerationConfig
from shizu.frontends.web.conversation import latest_exchange
from shizu.frontends.web.generation import GenerationQueue
from shizu.memory import Where
from shizu.persona import Done, Event, LiveMessage, Persona, Reply
from shizu.runs import META_FILE, find_run
from shizu.workspace import Workspace

BASE_MODEL = "base"


@dataclass(frozen=True)
class Usage:
    """What one reply took (the stream's last item): tokens, and when it was written."""

    prompt_tokens: int
    completion_tokens: int
    truncated: bool  # the model was still writing when it reached max_new_tokens
    started: float  # time.monotonic() when the generation began (after waiting in the queue)
    finished: float  # time.monotonic() when the turn was over


@dataclass
class ServedModel:
    """One persona model and the queue that writes its replies one at a time."""

    id: str
    persona: Persona
    queue: GenerationQueue
    created: int  # unix time the run was finished (for /v1/models)

    def stream(
        self,
        history: Sequence[LiveMessage],
        place: Place,
        *,
        participants: Sequence[str] = (),
        now: datetime | None = None,
        settings: GenerationConfig | None = None,
        where: Where | None = None,
        memory: bool = True,
    ) -> AsyncIterator[Event | Usage]:
        """The persona's next turn as events, written when this request's turn in the queue comes,
        then its :class:`Usage`.

        ``settings`` replaces the workspace's ``[generation]`` values for this reply only. Given
        ``where`` (and ``memory``), the persona recalls for that place and, once the usage is out,
        remembers the exchange (:func:`.conversation.latest_exchange` and the reply).
        """
        persona = self.persona
        if settings is not None and settings != persona.generation:
            persona = copy.copy(persona)  # shares the loaded model; only the sampling settings differ
            persona.generation = settings
        when = now or current_time()

        def run() -> Iterator[Event | Usage]:
            started = time.monotonic()
            reply: Reply | None = None
            for event in persona.stream(history, place, participants=participants, now=when, where=where, memory=memory):
                yield event
                if isinstance(event, Done):
                    reply = event.reply
                    yield usage(persona, reply, started)
            if where is not None and memory and reply is not None and reply.messages:
                persona.remember(latest_exchange(history), where, place, reply=reply.texts, now=when)

        return self.queue.events(run)


def current_time() -> datetime:
    """The time live prompts state (one place to fake it in tests)."""
    return datetime.now(UTC)


def usage(persona: Persona, reply: Reply, started: float) -> Usage:
    """Count the reply's tokens with the model's own tokenizer (in the generation thread)."""
    finished = time.monotonic()
    tokenizer = persona.backend.tokenizer
    written = len(tokenizer.encode(reply.generated, add_special_tokens=False))
    return Usage(
        prompt_tokens=len(tokenizer.encode(reply.prompt, add_special_tokens=False)),
        completion_tokens=written,
        truncated=reply.stop == "token-limit",
        started=started,
        finished=finished,
    )


def load_models(
    ws: Workspace,
    *,
    runs: Sequence[str] = (),
    base_only: bool = False,
    server: str | None = None,
    max_queue: int = 64,
    say: Callable[[str], None] = lambda _: None,
    memory: bool = True,
) -> list[ServedModel]:
    """The runs named in ``runs`` (default: the latest finished run), or the base model alone;
    ``memory=False``: they never recall nor remember.

    Nothing heavy is loaded here (see :meth:`shizu.persona.Persona.prepare`).
    """
    if base_only:
        persona = Persona.load(ws, base_only=True, server=server, say=say, memory=memory)
        return [ServedModel(BASE_MODEL, persona, GenerationQueue(BASE_MODEL, max_queue), int(datetime.now(UTC).timestamp()))]
    models = []
    for name in dict.fromkeys(runs) or [None]:
        path = find_run(ws.runs_dir, name)
        persona = Persona.load(ws, run=path.name if path is not None else None, server=server, say=say, memory=memory)
        assert path is not None  # Persona.load raised the "no trained run" error otherwise
        created = int((path / META_FILE).stat().st_mtime)
        models.append(ServedModel(path.name, persona, GenerationQueue(path.name, max_queue), created))
    return models
