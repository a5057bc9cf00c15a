"""Ask a system for the persona's reply to every held-out context, through the persona runtime.

Each context goes through :meth:`Persona.reply` exactly as a live conversation would (the same
prompt rendering, guards and post-processing as ``shizu chat`` or the Discord bot), and the
prompt the runtime rendered is compared with the training render of that context
(:func:`shizu.chat.template.render_prompt` of the messages in ``val.jsonl``): a difference
means the runtime shows the model something training never did, and is reported. A persona with
a memory is shown the memories the build recalled for the turn's example (the row's ``memories``
keys), as training showed them; one without sees the row's system prompt without them.

Local systems (transformers or llama.cpp) are seeded before each reply (``seed`` + the turn's
position), so a rerun on the same machine gives the same replies and every system samples its
reply to one context from the same seed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from shizu.chat.layout import forgetting
from shizu.chat.template import render_prompt
from shizu.eval.heldout import HeldOutTurn
from shizu.persona import Persona, Reply
from shizu.persona.backends import Backend
from shizu.persona.backends.llamacpp import LlamaCppBackend
from shizu.persona.backends.local import LocalBackend


@dataclass(frozen=True)
class Generated:
    """One system's reply to one held-out context."""

    reply: Reply
    matches_training: bool  # the runtime's prompt is the training render of the context
    seconds: float


def replay(
    persona: Persona, turns: Sequence[HeldOutTurn], *, seed: int | None = 0, advance: Callable[[], None] = lambda: None
) -> list[Generated]:
    """The persona's reply to each turn's context, in order."""
    out = []
    for i, turn in enumerate(turns):
        if seed is not None:
            _seed(persona.backend, seed + i)
        started = time.perf_counter()
        reply = persona.reply(turn.history, turn.place, participants=turn.participants, now=turn.time, memories=turn.memories)
        seconds = time.perf_counter() - started
        expected = render_prompt(persona.backend.tokenizer, turn.context if persona.memory is not None else forgetting(turn.context, persona.name))
        out.append(Generated(reply=reply, matches_training=reply.prompt == expected, seconds=seconds))
        advance()
    return out


def _seed(backend: Backend, seed: int) -> None:
    """The next reply of a local ``backend`` samples from ``seed`` (a server's cannot be seeded)."""
    if isinstance(backend, LocalBackend):
        import torch

        torch.manual_seed(seed)
    elif isinstance(backend, LlamaCppBackend):
        backend.seed = seed
