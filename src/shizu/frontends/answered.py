"""What a frontend records with each exchange: the conversation the persona answered.

The exchange log keeps it (:class:`shizu.store.exchanges.ReplyContext`) so that feedback on a
reply can later be paired with the very conversation it answered (docs/feedback.md).
"""

from __future__ import annotations

from collections.abc import Sequence

from shizu.chat.layout import Situation
from shizu.persona import LiveMessage
from shizu.store.exchanges import ContextMessage, ReplyContext


def reply_context(history: Sequence[LiveMessage], situation: Situation) -> ReplyContext:
    """The messages handed to the persona (oldest first) in the situation its prompt stated."""
    return ReplyContext(
        place=situation.place, time=situation.time, participants=situation.participants,
        messages=tuple(ContextMessage(m.speaker, m.text, m.time, m.is_persona) for m in history),
    )
