"""Why a message, conversation or example is left out: stable reason codes, and the message filter.

The codes are part of the interface: they are counted in the build summary and the report, and
written with each dropped item by ``shizu build --write-dropped FILE``. Each dropped item gets the
first reason that applies, in the order of :data:`MESSAGE_REASONS`.
"""

from __future__ import annotations

from collections.abc import Iterable

from shizu.message import Message

# Message-level reasons, in the order they are checked.
OPTED_OUT = "opted-out"  # the author is in [privacy] opt_out: never appears, not even as context
BOT = "bot"  # written by a bot account
SYSTEM = "system"  # join / pin / call notices and other system messages
COMMAND = "command"  # a bot command: a configured prefix followed by a letter ("!play", "/roll")
EMPTY = "empty"  # no text and no media
TOO_LONG = "too-long"  # longer than [build] max_message_chars (pastes, logs)
DUPLICATE = "duplicate"  # same author and same content again within duplicate_window_seconds
MESSAGE_REASONS = (OPTED_OUT, BOT, SYSTEM, COMMAND, EMPTY, TOO_LONG, DUPLICATE)

# Conversation-level reasons.
NO_PERSONA_TURN = "no-persona-turn"  # the persona never speaks: nothing to learn
NO_CONTEXT = "no-context"  # only the persona speaks and answers nobody (e.g. data-package-only history)
CONVERSATION_REASONS = (NO_PERSONA_TURN, NO_CONTEXT)

# Example-level reasons.
OVER_BUDGET = "over-budget"  # one persona turn alone exceeds [build] max_context_tokens
EXAMPLE_REASONS = (OVER_BUDGET,)

STAGES = {"message": MESSAGE_REASONS, "conversation": CONVERSATION_REASONS, "example": EXAMPLE_REASONS}


class MessageFilter:
    """Decides, message by message in time order within one channel, what to drop and why."""

    def __init__(
        self,
        *,
        opted_out: Iterable[str],
        command_prefixes: Iterable[str],
        max_chars: int,
        duplicate_window_s: float,
    ) -> None:
        self._opted_out = frozenset(opted_out)
        self._prefixes = tuple(p for p in command_prefixes if p)
        self._prefix_starts = frozenset(p[0] for p in self._prefixes)
        self._max_chars = max_chars
        self._dup_window = duplicate_window_s
        self._last: dict[str, tuple[object, float]] = {}  # author id -> (content key, time)

    def new_channel(self) -> None:
        """Forget the previous channel's state (duplicates are detected within one channel)."""
        self._last.clear()

    def reason(self, msg: Message, text: str, ts: float) -> str | None:
        """Why to drop ``msg`` (``text``: its content stripped; ``ts``: unix time), or None to keep it."""
        author = msg.author
        if author.id in self._opted_out:
            return OPTED_OUT
        if author.is_bot:
            return BOT
        if msg.is_system:
            return SYSTEM
        if text and text[0] in self._prefix_starts and self._is_command(text):
            return COMMAND
        media = msg.attachments or msg.stickers
        if not text and not media and not any(e.url or e.kind != "link" for e in msg.embeds):
            return EMPTY
        if len(text) > self._max_chars:
            return TOO_LONG
        key = (text, tuple(a.url for a in msg.attachments), tuple(s.id for s in msg.stickers)) if media else text
        last = self._last.get(author.id)
        self._last[author.id] = (key, ts)
        if last is not None and last[0] == key and ts - last[1] <= self._dup_window:
            return DUPLICATE
        return None

    def _is_command(self, text: str) -> bool:
        for prefix in self._prefixes:
            if text.startswith(prefix) and text[len(prefix):len(prefix) + 1].isalpha():
                return True
        return False
