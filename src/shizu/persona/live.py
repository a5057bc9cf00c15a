"""The live situation, rendered exactly like a training example.

A frontend hands over the recent messages (speaker, text, time), the place and, optionally, who
else is there. The same rules as ``shizu build`` decide what the model sees: only the current
conversation (a silence longer than ``session_gap_minutes`` starts a new one), at most
``max_context_turns`` turns and about ``max_context_tokens`` tokens (characters / 4) before the
reply, the time in the ``[build] timezone``, the others listed in order of appearance, the
profile (``persona.md``) and, given a way to recall, the memories recalled for these turns
(searched as ``shizu build`` searched for each example: with the text the reply answers, the
turns since the persona's last one, only memories from before the conversation started; their
room kept from the budget as the build kept it); then
:func:`shizu.chat.layout.render` writes the chat messages, the very function that wrote the
training set.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from shizu.chat.discord_markup import CUSTOM_EMOJI_RE
from shizu.chat.layout import CHARS_PER_TOKEN, Place, Situation, Turn, render, system_prompt
from shizu.chat.media import make_tag, split_text
from shizu.config import BuildConfig
from shizu.memory import NOTHING, Recalled, Recollection, query_text
from shizu.persona.media import MediaCatalogue


@dataclass(frozen=True, slots=True)
class LiveMessage:
    """One message of the live conversation, as the frontend saw it (raw URLs and emoji are fine).

    ``is_persona``: the bot wrote it. ``author_id`` and ``id``, when the frontend knows them (the
    platform's user and message ids), let the persona remember the exchanges of the person
    themselves (an id of ``[persona] me``) under the message's own id.
    """

    speaker: str
    text: str
    time: datetime  # aware
    is_persona: bool = False
    author_id: str = ""
    id: str = ""


Recall = Callable[[str, datetime], Recollection]  # the live turns' query text and their conversation's start -> what is recalled


@dataclass(frozen=True, slots=True)
class LivePrompt:
    """The chat messages for the persona's next turn, the situation they state, and the memories shown (oldest first)."""

    messages: list[dict[str, str]]
    situation: Situation
    memories: tuple[Recalled, ...] = ()


def incoming_text(text: str, catalogue: MediaCatalogue) -> str:
    """A live message written the way training text is: links as media tags, emoji as ``:name:``.

    A link to one of the persona's own catalogue items gets that item's tag, so the model sees
    exactly the tag it learned.
    """
    text = CUSTOM_EMOJI_RE.sub(lambda m: f":{m.group(2)}:", text)
    out = []
    for piece in split_text(text):
        if isinstance(piece, str):
            out.append(piece)
            continue
        item = catalogue.by_url(piece.url)
        out.append(item.tag if item is not None else make_tag(piece.kind, piece.label))
    return "".join(out)


def context_turns(history: Sequence[LiveMessage], build: BuildConfig, catalogue: MediaCatalogue) -> list[Turn]:
    """The current conversation as turns (one speaker's consecutive messages), the last
    ``max_context_turns`` of them; messages with no text are skipped."""
    turns: list[Turn] = []
    for msg in _current_conversation(history, build.session_gap_minutes * 60):
        text = incoming_text(msg.text, catalogue)
        if not text.strip():
            continue
        last = turns[-1] if turns else None
        if last is not None and last.speaker == msg.speaker and last.is_persona == msg.is_persona:
            turns[-1] = Turn(last.speaker, last.is_persona, (*last.texts, text))
        else:
            turns.append(Turn(msg.speaker, msg.is_persona, (text,)))
    return turns[-build.max_context_turns:]


def trim_to_budget(turns: Sequence[Turn], budget_chars: int) -> list[Turn]:
    """The latest turns whose ``Name: text`` lines fit ``budget_chars`` (the build's line cost).

    The newest turn is always kept, from its latest messages back if it alone is too long.
    """
    kept: list[Turn] = []
    used = 0
    for turn in reversed(turns):
        texts: list[str] = []
        for text in reversed(turn.texts):
            cost = len(turn.speaker) + len(text) + 3
            if (kept or texts) and used + cost > budget_chars:
                break
            used += cost
            texts.insert(0, text)
        if not texts:
            break
        kept.insert(0, Turn(turn.speaker, turn.is_persona, tuple(texts)))
        if len(texts) < len(turn.texts):
            break
    return kept


def live_situation(
    persona: str, place: Place, turns: Sequence[Turn], now: datetime, timezone: str, extra: Sequence[str] = (), profile: str = "", memories: str = "",
) -> Situation:
    """Who, where, with whom (the others in order of appearance, then ``extra``) and when; the profile and the memories' text."""
    others = dict.fromkeys(turn.speaker for turn in turns if not turn.is_persona)
    others.update(dict.fromkeys(name for name in extra if name != persona))
    return Situation(persona, place, now.astimezone(ZoneInfo(timezone)), tuple(others), profile, memories)


def render_live(
    persona: str,
    place: Place,
    history: Sequence[LiveMessage],
    now: datetime,
    build: BuildConfig,
    catalogue: MediaCatalogue,
    participants: Sequence[str] = (),
    *,
    profile: str = "",
    memory_room: int = 0,
    recall: Recall | None = None,
) -> LivePrompt:
    """The chat messages for the persona's next turn, the situation they describe, and what ``recall`` recalled.

    As in ``shizu build``, the system prompt and ``memory_room`` (the most the memories may add to
    it: :func:`shizu.chat.layout.memory_room`, when the persona has a memory) count against
    ``max_context_tokens``.
    """
    turns = context_turns(history, build, catalogue)
    widest = live_situation(persona, place, turns, now, build.timezone, participants, profile)
    turns = trim_to_budget(turns, build.max_context_tokens * CHARS_PER_TOKEN - len(system_prompt(widest)) - memory_room)
    recollection = NOTHING
    if recall is not None:
        current = _current_conversation(history, build.session_gap_minutes * 60)
        recollection = recall(query_text(_answered(turns)), current[0].time if current else now)
    situation = live_situation(persona, place, turns, now, build.timezone, participants, profile, recollection.text)
    return LivePrompt(render(situation, turns), situation, recollection.recalled)


def _answered(turns: Sequence[Turn]) -> Sequence[Turn]:
    """What the next reply answers: the turns since the persona's last one (all, when it has not
    spoken yet; the build searches with the turns before an example's first persona turn)."""
    last = max((i for i, turn in enumerate(turns) if turn.is_persona), default=-1)
    return turns[last + 1:] or turns


def _current_conversation(history: Sequence[LiveMessage], gap_seconds: float) -> Sequence[LiveMessage]:
    """The messages after the last silence longer than the session gap."""
    start = 0
    for i in range(1, len(history)):
        if (history[i].time - history[i - 1].time).total_seconds() > gap_seconds:
            start = i
    return history[start:]
