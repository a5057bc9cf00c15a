"""``Persona``: the one streaming interface every frontend uses.

Given the live situation (recent messages, the place, who is there), :meth:`Persona.stream`

1. renders the chat messages with the training renderer (:mod:`shizu.persona.live`), with the
   profile and, given where the conversation is, the memories recalled for it
   (:mod:`shizu.persona.memory`), and the prompt with the tokenizer's chat template
   (:mod:`shizu.chat.template`, shared with training);
2. streams the backend's continuation through the :class:`~shizu.persona.guards.Guard`, which
   ends the turn at end-of-turn or at another speaker's line;
3. yields :class:`Draft` events (the message being written, for "typing" displays) and a
   :class:`Said` event per finished, post-processed message (one per line of the burst);
4. ends with :class:`Done` carrying the whole :class:`Reply` (prompt, the memories it showed,
   raw text, what the guard cut, what post-processing changed).

Frontends hand what was said back with :meth:`Persona.remember`, so that the person's own new
messages (and, with ``[memory] remember_own_replies``, the bot's replies) become memories.

Nothing heavy happens before the first reply (or :meth:`Persona.prepare`): the run folder's
metadata is read up front, the model when it is first needed.
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from typing import Literal
from urllib.parse import urlsplit

from shizu.chat.layout import Place, Situation
from shizu.chat.template import end_of_turn, render_prompt
from shizu.config import BuildConfig, GenerationConfig
from shizu.errors import PersonaError
from shizu.extras import quiet_libraries
from shizu.memory import Recalled, Recollection, Where
from shizu.persona.backends import Backend
from shizu.persona.backends.local import LocalBackend
from shizu.persona.guards import Guard, stop_strings
from shizu.persona.live import LiveMessage, Recall, incoming_text, render_live
from shizu.persona.media import MediaCatalogue
from shizu.persona.memory import PersonaMemory
from shizu.persona.postprocess import Cleaner, Cleanup, OutMessage
from shizu.persona.run import base_weights, learnt_with_memories, run_weights
from shizu.runs import find_run
from shizu.workspace import Workspace, profile_sha256

# Why a turn ended: the template's end-of-turn token, another speaker's line (or a near miss of a
# name), the [generation] max_new_tokens limit, or the stream ended without any of these.
Stop = Literal["end-of-turn", "other-speaker", "token-limit", "end"]


@dataclass(frozen=True)
class Prompt:
    """The exact prompt of the next turn: the text the model continues, the situation it states,
    and the memories it shows (oldest first; each with its id, for showing and forgetting it)."""

    text: str
    situation: Situation
    memories: tuple[Recalled, ...] = ()


@dataclass(frozen=True)
class Reply:
    """One persona turn, with everything needed to inspect or evaluate it."""

    prompt: str  # exactly what the model continued
    situation: Situation
    generated: str  # the model's text up to where the stream was stopped
    raw: str  # the persona's turn after the guard, before post-processing
    messages: tuple[OutMessage, ...]
    cleanup: Cleanup
    stop: Stop  # why the turn ended: end-of-turn token, another speaker's line, or the stream ended
    memories: tuple[Recalled, ...] = ()  # what the prompt recalled (oldest first)

    @property
    def texts(self) -> list[str]:
        return [m.text for m in self.messages]


@dataclass(frozen=True)
class Draft:
    """The message being written so far (raw model text): for typing indicators only."""

    text: str


@dataclass(frozen=True)
class Said:
    """A finished message, post-processed and ready to send."""

    message: OutMessage


@dataclass(frozen=True)
class Done:
    """The turn is over."""

    reply: Reply


Event = Draft | Said | Done


class Persona:
    """The persona, answering through ``backend`` with the workspace's settings; ``profile``: what
    ``persona.md`` adds to every prompt; ``memory``: what it recalls from (``None``: nothing)."""

    def __init__(
        self,
        name: str,
        backend: Backend,
        *,
        catalogue: MediaCatalogue | None = None,
        generation: GenerationConfig | None = None,
        build: BuildConfig | None = None,
        emoji: Mapping[str, str] | None = None,
        profile: str = "",
        memory: PersonaMemory | None = None,
    ) -> None:
        self.name = name
        self.backend = backend
        self.catalogue = catalogue or MediaCatalogue()
        self.generation = generation or GenerationConfig()
        self.build = build or BuildConfig()
        self.cleaner = Cleaner(name, self.catalogue, emoji)
        self.profile = profile
        self.memory = memory
        self._eot: str | None = None

    @classmethod
    def load(
        cls,
        ws: Workspace,
        *,
        run: str | None = None,
        base_only: bool = False,
        server: str | None = None,
        say: Callable[[str], None] = lambda _: None,
        memory: bool = True,
    ) -> Persona:
        """The persona of workspace ``ws``: the latest run (or ``run``), or the base model alone.

        ``server`` (default: ``[generation] server``) sends prompts to an OpenAI-compatible server
        instead of running the model here. ``say`` receives one line per decision (and a warning
        when ``persona.md`` changed since the dataset was built). ``memory``: recall and remember
        with the workspace's memory (as ``[memory] enabled`` says); ``False``: never.
        """
        quiet_libraries()
        config = ws.config
        gen = config.generation
        path = find_run(ws.runs_dir, run)
        if path is not None:
            weights = run_weights(path, base_only=base_only, say=say)
        elif base_only:
            weights = base_weights(config.train.base, say=say)
        else:
            raise PersonaError(
                f"No trained run in {ws.runs_dir}",
                hint="Train one with `shizu train`, or chat with the untrained base model: `shizu chat --base-only`.",
            )
        server = gen.server if server is None else server
        backend: Backend
        if server:
            from shizu.persona.backends.remote import RemoteBackend

            backend = RemoteBackend(server, weights.tokenizer_dir, gen.server_model, os.environ.get(gen.api_key_env) or None)
            where = "a server on this machine" if _is_loopback(backend.url) else "a server elsewhere: your conversations leave this machine"
            say(f"prompts go to {backend.url} ({where})")
        elif gen.backend == "llama.cpp":
            from shizu.persona.backends.llamacpp import LlamaCppBackend

            backend = LlamaCppBackend(weights, merged=gen.merge_adapter, say=say)
            verdict = backend.usable()
            if not verdict.ok:
                say(verdict.fallback_line())
                backend = LocalBackend(weights.base, weights.adapter, weights.tokenizer_dir, gen.device)
        else:
            backend = LocalBackend(weights.base, weights.adapter, weights.tokenizer_dir, gen.device)
        say(f"model: {weights.base_name}" + (f" + run {weights.run!r}" if weights.adapter else " (base model, no adapter)"))
        catalogue = MediaCatalogue.load(ws.dataset_dir / "media.json")
        name = persona_name(ws)
        profile = ws.profile()
        if (warning := profile_warning(ws, profile)) is not None:
            say(warning)
        if memory and config.memory.enabled and not learnt_with_memories(weights):
            say(f"memory: off for run {weights.run!r}, which was trained without memories (shizu train --no-memory)")
            memory = False
        remembers = PersonaMemory.open(ws, name, say) if memory else None
        return cls(name, backend, catalogue=catalogue, generation=gen, build=config.build, profile=profile, memory=remembers)

    @property
    def eot(self) -> str:
        """The chat template's end-of-turn token (found from the template itself)."""
        if self._eot is None:
            self._eot = end_of_turn(self.backend.tokenizer)
        return self._eot

    def prepare(self) -> None:
        """Load the model (or reach the server) now rather than at the first reply."""
        self.backend.prepare()
        self.eot

    def prompt(
        self,
        history: Sequence[LiveMessage],
        place: Place,
        *,
        participants: Sequence[str] = (),
        now: datetime | None = None,
        where: Where | None = None,
        memory: bool = True,
        memories: Sequence[str] | None = None,
    ) -> Prompt:
        """The exact prompt for the next turn, the situation it states and the memories it shows.

        Memories are recalled when the frontend says ``where`` the conversation is (the platform's
        ids: what the ``[memory] scope`` compares) and ``memory`` is true (``False``: not for this
        reply). Either way, a persona with a memory keeps the memories' room out of the context, as
        its training examples did. ``memories``: the keys of the memories to show instead of recalling
        (``shizu eval`` replays a held-out row with the ones its build recalled).
        """
        recall: Recall | None = None
        if memory and self.memory is not None and memories is not None:
            recall = partial(_shown, self.memory, memories)
        elif memory and self.memory is not None and where is not None:
            recall = partial(self.memory.recall, where)
        live = render_live(
            self.name, place, history, now or datetime.now(UTC), self.build, self.catalogue, participants,
            profile=self.profile, memory_room=self.memory.room if self.memory is not None else 0, recall=recall,
        )
        return Prompt(render_prompt(self.backend.tokenizer, live.messages), live.situation, live.memories)

    def stream(
        self,
        history: Sequence[LiveMessage],
        place: Place,
        *,
        participants: Sequence[str] = (),
        now: datetime | None = None,
        where: Where | None = None,
        memory: bool = True,
        memories: Sequence[str] | None = None,
    ) -> Iterator[Event]:
        """The persona's next turn as events: drafts, each finished message, then :class:`Done`.

        ``history`` holds the recent messages, oldest first (the persona's own included);
        ``participants`` adds people who are present but did not speak in it; ``where``,
        ``memory`` and ``memories`` as in :meth:`prompt`.
        """
        prepared = self.prompt(history, place, participants=participants, now=now, where=where, memory=memory, memories=memories)
        prompt, situation = prepared.text, prepared.situation
        stops = stop_strings(self.backend.tokenizer, self.eot, situation.participants)
        guard = Guard(stops, situation.participants)
        cleanup = Cleanup()
        messages: list[OutMessage] = []
        pending = ""
        draft = ""
        chunks = self.backend.stream(prompt, stops, self.generation)
        try:
            for chunk in chunks:
                pending += guard.feed(chunk)
                *lines, pending = pending.split("\n")
                for line in lines:
                    message = self.cleaner.line(line, cleanup)
                    if message is not None:
                        messages.append(message)
                        yield Said(message)
                if pending.strip() and pending != draft:
                    draft = pending
                    yield Draft(pending)
                if guard.stopped:
                    break
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        pending += guard.finish()
        for line in pending.split("\n"):
            message = self.cleaner.line(line, cleanup)
            if message is not None:
                messages.append(message)
                yield Said(message)
        reply = Reply(
            prompt=prompt,
            situation=situation,
            generated=guard.text,
            raw=guard.text[:guard.released].rstrip(),
            messages=tuple(messages),
            cleanup=cleanup,
            stop=guard.stopped or self._unguarded_stop(guard.text),
            memories=prepared.memories,
        )
        yield Done(reply)

    def _unguarded_stop(self, text: str) -> Stop:
        """``token-limit`` when the model wrote ``max_new_tokens`` tokens (it was cut, not done), else ``end``."""
        tokens = len(self.backend.tokenizer(text, add_special_tokens=False)["input_ids"]) if text else 0
        return "token-limit" if tokens >= self.generation.max_new_tokens else "end"

    def reply(
        self,
        history: Sequence[LiveMessage],
        place: Place,
        *,
        participants: Sequence[str] = (),
        now: datetime | None = None,
        where: Where | None = None,
        memory: bool = True,
        memories: Sequence[str] | None = None,
    ) -> Reply:
        """The whole next turn at once (drains :meth:`stream`)."""
        *_, done = self.stream(history, place, participants=participants, now=now, where=where, memory=memory, memories=memories)
        assert isinstance(done, Done)
        return done.reply

    def remember(
        self, history: Sequence[LiveMessage], where: Where, place: Place, *, reply: Sequence[str] = (), now: datetime | None = None,
    ) -> int:
        """Make memories of a live conversation at ``where``: each turn the person wrote themselves
        (a message whose ``author_id`` is one of ``[persona] me``) with what it answered, and, with
        ``[memory] remember_own_replies``, the bot's turns, ``reply`` included (the texts it just
        sent, at ``now``). What is stored already is not stored again. Returns how many were new
        (0 without memory)."""
        if self.memory is None:
            return 0
        sent = [LiveMessage(self.name, text, now or datetime.now(UTC), is_persona=True) for text in reply]
        said = [replace(m, text=incoming_text(m.text, self.catalogue)) for m in [*history, *sent]]
        return self.memory.remember(said, where, place)


def persona_name(ws: Workspace) -> str:
    """``[persona] name``, else the name ``shizu build`` resolved (dataset/meta.json), else "me"."""
    if ws.config.persona.name:
        return ws.config.persona.name
    try:
        meta = json.loads((ws.dataset_dir / "meta.json").read_text(encoding="utf-8"))
        return str(meta["persona"]["name"]) or "me"
    except (OSError, ValueError, KeyError, TypeError):
        return "me"


def profile_warning(ws: Workspace, profile: str) -> str | None:
    """A line when ``persona.md`` (its text as prompts show it: ``profile``) is not the one the
    dataset was built with (``dataset/meta.json``), so not the one the model learned with."""
    try:
        meta = json.loads((ws.dataset_dir / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # no dataset: nothing was learned with any profile yet
    if not isinstance(meta, dict) or meta.get("profile_sha256") == profile_sha256(profile):
        return None
    return (
        f"{ws.profile_path.name} changed since the dataset was built: the model learned with the old one."
        " Run `shizu build` and `shizu train` again for it to learn with this one."
    )


def _is_loopback(url: str) -> bool:
    """True for localhost / 127.x / ::1 URLs (prompts stay on this machine)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _shown(memory: PersonaMemory, keys: Sequence[str], query: str, start: datetime) -> Recollection:
    """A recall that shows the memories ``keys``, whatever the conversation (see :meth:`Persona.prompt`)."""
    return memory.recalled_before(keys)
