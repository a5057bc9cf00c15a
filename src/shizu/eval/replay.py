"""Ask a system for the persona's reply to every held-out context, through the persona runtime.

Each context goes through :meth:`Persona.reply` exactly as a live conversation would (the same
prompt rendering, guards and post-processing as ``shizu chat`` or the Discord bot), and the
prompt the runtime rendered is compared with the training render of that context
(:func:`shizu.chat.template.render_prompt` of the messages in ``val.jsonl``): a difference
means the runtime shows the model something training never did, and is reported.

Local systems are seeded before each reply (``seed`` + the turn's position), so a rerun gives the
same replies and every system samples its reply to one context from the same random state.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from shizu.chat.template import render_prompt
from shizu.eval.heldout import HeldOutTurn
from shizu.persona import Persona, Reply
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
    local = isinstance(persona.backend, LocalBackend)
    out = []
    for i, turn in enumerate(turns):
        if seed is not None and local:
            import torch

            torch.manual_seed(seed + i)
        started = time.perf_counter()
        reply = persona.reply(turn.history, turn.place, participants=turn.participants, now=turn.time)
        seconds = time.perf_counter() - started
        expected = render_prompt(persona.backend.tokenizer, turn.context)
        out.append(Generated(reply=reply, matches_training=reply.prompt == expected, seconds=seconds))
        advance()
    return out
