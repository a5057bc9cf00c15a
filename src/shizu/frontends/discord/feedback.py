"""Reactions on the bot's replies as feedback (docs/feedback.md), stored without ever stopping the bot.

⭐ 👍 ❤️ say ``up`` (⭐ also puts the exchange in the collection), 👎 ❌ say ``down``, whoever reacts
(but bots and ignored people). 🔁 from an owner asks for another take: the bot answers the same
message again and the reply it replaces is stored as ``rejected``. Skin tones and the emoji
presentation selector do not matter (👍🏽 is 👍, ❤️ is ❤).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from shizu.store.feedback import FeedbackTable, Source, Verdict

log = logging.getLogger("shizu.discord")

STAR = "\N{WHITE MEDIUM STAR}"
UP = frozenset({STAR, "\N{THUMBS UP SIGN}", "\N{HEAVY BLACK HEART}"})
DOWN = frozenset({"\N{THUMBS DOWN SIGN}", "\N{CROSS MARK}"})
RETAKE = "\N{CLOCKWISE RIGHTWARDS AND LEFTWARDS OPEN CIRCLE ARROWS}"
_IGNORED = {0xFE0F: None, **{code: None for code in range(0x1F3FB, 0x1F400)}}  # the emoji selector, skin tones


def base_emoji(emoji: str) -> str:
    """``emoji`` without a skin tone or presentation selector."""
    return emoji.translate(_IGNORED)


def verdict_of(emoji: str) -> Verdict | None:
    """What a reaction (as :func:`base_emoji` gives it) says about a reply, if anything."""
    return "up" if emoji in UP else "down" if emoji in DOWN else None


def store(
    table: FeedbackTable, exchange_id: int, verdict: Verdict, source: Source, by: tuple[str, str],
    *, emoji: str = "", retake_id: int | None = None,
) -> None:
    """Add one verdict of ``by`` (user id, name), now; a failure is one warning line, never an error."""
    try:
        added = table.add(
            exchange_id, verdict, source=source, giver=by[0], giver_name=by[1], at=datetime.now(UTC), emoji=emoji, retake_id=retake_id,
        )
    except Exception as exc:  # the feedback is a side note: the bot goes on without it
        log.warning("could not store %s's feedback on exchange %d: %s", by[1], exchange_id, exc)
        return
    if added:
        log.info("%s: %s on exchange %d (%s)", by[1], verdict, exchange_id, source)

