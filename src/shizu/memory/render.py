"""Recalled memories as prompt text, within ``[memory] max_tokens``.

Memories are taken best first while they fit the budget (one that does not fit is skipped, a
smaller one after it may still fit), then written oldest first, each as a heading (when, where)
and its lines in the chat layout's ``Name: text`` form, the persona's lines under its name.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, tzinfo

from shizu.chat.layout import CHARS_PER_TOKEN, clean_name, format_text, format_time
from shizu.memory.record import Memory

SEPARATOR = "\n\n"


def render(memories: Sequence[Memory], persona: str, max_tokens: int, tz: tzinfo = UTC) -> str:
    """``memories`` (best first) as one text of at most ``max_tokens`` (characters / 4); "" when none fits."""
    return SEPARATOR.join(block(memories[i], persona, tz) for i in fitting(memories, persona, max_tokens, tz))


def fitting(memories: Sequence[Memory], persona: str, max_tokens: int, tz: tzinfo = UTC) -> list[int]:
    """The positions in ``memories`` (best first) of those :func:`render` writes, oldest first."""
    budget = max_tokens * CHARS_PER_TOKEN
    kept: list[int] = []
    used = -len(SEPARATOR)
    for i, memory in enumerate(memories):
        cost = len(SEPARATOR) + len(block(memory, persona, tz))
        if used + cost <= budget:
            kept.append(i)
            used += cost
    return sorted(kept, key=lambda i: memories[i].time)


def block(memory: Memory, persona: str, tz: tzinfo = UTC) -> str:
    """One memory: ``Saturday 2 March 2024, 21:14 UTC, a direct message with Ana:`` then its lines."""
    heading = f"{format_time(memory.time.astimezone(tz))}, {place_label(memory)}:"
    return "\n".join([heading, *(f"{clean_name(speaker)}: {format_text(text)}" for speaker, text in lines(memory, persona))])


def place_label(memory: Memory) -> str:
    """Where the memory was made, for people: ``#general on Cozy``, ``a direct message with Ana``."""
    return memory.place.label(" and ".join(dict.fromkeys(turn.speaker for turn in memory.context)))


def lines(memory: Memory, persona: str) -> list[tuple[str, str]]:
    """The memory's messages as ``(speaker, text)``, oldest first: the lines it answered, then the persona's."""
    return [(turn.speaker, text) for turn in memory.context for text in turn.texts] + [(persona, text) for text in memory.reply]


def describe(memory_id: int, memory: Memory, persona: str) -> dict[str, object]:
    """A memory as JSON: ``id``, ``time`` (ISO 8601), ``place`` (in words), ``origin`` (``history``,
    ``live`` or ``bot``) and ``lines`` (``speaker``, ``text``; the persona's under ``persona``)."""
    return {
        "id": memory_id, "time": memory.time.isoformat(), "place": place_label(memory), "origin": memory.origin,
        "lines": [{"speaker": speaker, "text": text} for speaker, text in lines(memory, persona)],
    }
