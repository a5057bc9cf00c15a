"""Group one channel's kept messages into conversations of turns (bursts).

A silence longer than ``session_gap_minutes`` starts a new conversation; consecutive messages of one
author, each within ``burst_window_seconds`` of the previous one, form one turn. Reply references
are not used to split or merge conversations: a reply keeps its place in time, and the message it
answers is pulled into the example as context when it lies before the example's window (see
:func:`reply_context`), even when it is in an earlier conversation.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(slots=True)
class Line:
    """One kept chat message, ready for rendering: ``text`` has media tags and final names."""

    id: str
    author_id: str
    speaker: str
    is_persona: bool
    ts: float  # unix seconds
    text: str
    reply_to: str | None = None


@dataclass(slots=True)
class Conversation:
    """One conversation of one channel: its turns in time order, each a burst of lines."""

    index: int  # position in the channel
    turns: list[list[Line]] = field(default_factory=list)

    @property
    def start(self) -> float:
        return self.turns[0][0].ts


@dataclass(frozen=True, slots=True)
class Located:
    """Where a kept message sits in its channel: conversation, turn, and the line itself."""

    conversation: int
    turn: int
    line: Line


def segment(lines: Iterable[Line], gap_s: float, burst_s: float) -> list[Conversation]:
    """Split time-ordered ``lines`` into conversations of bursts."""
    conversations: list[Conversation] = []
    prev: Line | None = None
    for line in lines:
        if prev is None or line.ts - prev.ts > gap_s:
            conversations.append(Conversation(index=len(conversations)))
            conversations[-1].turns.append([line])
        elif line.author_id == prev.author_id and line.ts - prev.ts <= burst_s:
            conversations[-1].turns[-1].append(line)
        else:
            conversations[-1].turns.append([line])
        prev = line
    return conversations


def locate(conversations: Iterable[Conversation], ids: Container[str]) -> dict[str, Located]:
    """Where each message of ``ids`` sits (those in the conversations), for following replies."""
    return {
        line.id: Located(conv.index, t, line)
        for conv in conversations
        for t, turn in enumerate(conv.turns)
        for line in turn
        if line.id in ids
    }


def line_chars(line: Line) -> int:
    """Characters ``line`` takes once rendered (``Name: text`` and its line break)."""
    return len(line.speaker) + len(line.text) + 3


def reply_context(
    conv: Conversation, start: int, end: int, where: Mapping[str, Located], budget_chars: int
) -> list[Line]:
    """Messages answered by turns ``start..end`` of ``conv`` that lie before that window.

    The most recent ones are kept first while their characters fit ``budget_chars``; the result is
    in time order, so it can open the window without breaking chronology.
    """
    window_start = conv.turns[start][0].ts
    targets: dict[str, Line] = {}
    for turn in conv.turns[start:end + 1]:
        for line in turn:
            if line.reply_to is None or line.reply_to in targets:
                continue
            found = where.get(line.reply_to)
            if found is None:
                continue
            inside = found.conversation == conv.index and found.turn >= start
            if not inside and found.line.ts <= window_start:
                targets[line.reply_to] = found.line
    picked: list[Line] = []
    for target in sorted(targets.values(), key=lambda t: t.ts, reverse=True):
        cost = line_chars(target)
        if cost <= budget_chars:
            picked.append(target)
            budget_chars -= cost
    picked.reverse()
    return picked
