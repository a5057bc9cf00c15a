"""Pairs from feedback on the live bot (:mod:`shizu.store.feedback`): the owner's "another take".

A reroll is a pair by itself: in the conversation the bot answered, the take that replaced the
discarded reply wins and the discarded reply loses. The conversation is rendered as the runtime
rendered it (:func:`shizu.persona.live.render_live`, from the context the exchange log kept; the
memories it showed were not kept, so none are shown), and the replies are turned back into the
text the model writes (media links as tags).

Thumbs up and down judge one reply alone, with nothing to compare it to: they are counted, and
left for an unpaired objective (KTO), which this stage does not train yet.

Safety: :class:`~shizu.store.feedback.FeedbackTable` never returns what people on the opt-out
list gave, and no giver contributes more than :data:`MAX_PER_GIVER` pairs to a stage (their
latest), so no single person steers it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from shizu.persona import Persona
from shizu.persona.live import LiveMessage, incoming_text, render_live
from shizu.store.exchanges import Exchange, ReplyContext
from shizu.store.feedback import FeedbackItem
from shizu.train.pair import Pair

MAX_PER_GIVER = 50  # feedback pairs one person may contribute to a preference stage
REROLLED = "rerolled"
UNPAIRED = "thumbs up/down on one reply (needs KTO, not trained yet)"
OVER_CAP = f"over the cap of {MAX_PER_GIVER} per person"
NO_CONTEXT = "logged before conversations were kept"
NO_RETAKE = "rerolls whose new take was never sent"


def feedback_pairs(items: Sequence[FeedbackItem], persona: Persona) -> tuple[list[Pair], Counter[str]]:
    """The pairs of the rerolls among ``items`` (the latest first, capped per giver), and why the others gave none."""
    pairs: list[Pair] = []
    skipped: Counter[str] = Counter()
    given: Counter[str] = Counter()
    for item in sorted(items, key=lambda i: (i.created, i.id), reverse=True):
        if item.verdict != "rejected":
            skipped[UNPAIRED] += 1
        elif item.retake is None:
            skipped[NO_RETAKE] += 1
        elif item.exchange.context is None:
            skipped[NO_CONTEXT] += 1
        elif given[item.giver] >= MAX_PER_GIVER:
            skipped[OVER_CAP] += 1
        else:
            given[item.giver] += 1
            context = _rendered(persona, item.exchange.context)
            pairs.append(Pair(
                key=f"feedback:{item.id}", context=tuple(context), chosen=_as_trained(persona, item.retake),
                rejected=_as_trained(persona, item.exchange), source="feedback", why=REROLLED,
            ))
    return pairs, skipped


def _rendered(persona: Persona, context: ReplyContext) -> list[dict[str, str]]:
    """The chat messages the runtime rendered for ``context`` (without memories: they were not logged)."""
    history = [LiveMessage(m.speaker, m.text, m.time, is_persona=m.is_persona) for m in context.messages]
    room = persona.memory.room if persona.memory is not None else 0
    live = render_live(
        persona.name, context.place, history, context.time, persona.build, persona.catalogue, context.participants,
        profile=persona.profile, memory_room=room,
    )
    return live.messages


def _as_trained(persona: Persona, exchange: Exchange) -> str:
    """A reply as the model writes it: one message per line, media as tags."""
    return "\n".join(incoming_text(text, persona.catalogue) for text in exchange.texts)
