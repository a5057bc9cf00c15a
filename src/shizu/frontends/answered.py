"""What a frontend records with each exchange: the conversation the persona answered, and what it sent.

The exchange log keeps the conversation (:class:`shizu.store.exchanges.ReplyContext`) so that
feedback on a reply can later be paired with the very conversation it answered (docs/feedback.md).
"""

from __future__ import annotations

from collections.abc import Sequence

from shizu.chat.layout import Situation
from shizu.persona import LiveMessage, OutMessage
from shizu.store.exchanges import ContextMessage, ReplyContext, SentMessage


def reply_context(history: Sequence[LiveMessage], situation: Situation) -> ReplyContext:
    """The messages handed to the persona (oldest first) in the situation its prompt stated."""
    return ReplyContext(
        place=situation.place, time=situation.time, participants=situation.participants,
        messages=tuple(ContextMessage(m.speaker, m.text, m.time, m.is_persona) for m in history),
    )


def sent_messages(prefix: str, messages: Sequence[OutMessage]) -> tuple[SentMessage, ...]:
    """The persona's messages as logged by a frontend without platform ids (the web page, the blind
    test): message ``i`` gets the id ``<prefix>-<i>``."""
    return tuple(SentMessage(ids=(f"{prefix}-{i}",), text=m.text, body=m.body, media=m.media) for i, m in enumerate(messages))
