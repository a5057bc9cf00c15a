"""Pairs and ratings from feedback on the live bot (:mod:`shizu.store.feedback`).

* The owner's "another take" is a pair by itself: in the conversation the bot answered, the take
  that replaced the discarded reply wins and the discarded reply loses.
* A thumb (a 👍 or 👎 reaction on Discord, a thumb on the web page) judges one reply alone: a
  rating, good or bad, which KTO trains on (``--objective kto``; DPO keeps it but cannot use it).
* A blind-test answer judges the model's reply to a held-out turn against the person's real one.
  When people took the model's reply for the real one, it is a good rating; when they spotted it,
  the real reply wins over it: a pair (a bad rating if the turn is no longer in ``val.jsonl``).
  Their keys name the held-out turn (:data:`shizu.train.pair.HELDOUT`): the run records them and
  ``shizu eval`` leaves those turns out of its comparison.

The conversation is rendered as the runtime rendered it (:func:`shizu.persona.live.render_live`,
from the context the exchange log kept; the memories it showed were not kept, so none are shown),
and the replies are turned back into the text the model writes (media links as tags).

Safety: :class:`~shizu.store.feedback.FeedbackTable` never returns what people on the opt-out
list gave, and no giver contributes more than :data:`MAX_PER_GIVER` items to a stage (their
latest), so no single person steers it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from shizu.eval.heldout import HeldOutTurn
from shizu.persona import Persona
from shizu.persona.live import LiveMessage, incoming_text, render_live
from shizu.store.exchanges import Exchange, ReplyContext
from shizu.store.feedback import FeedbackItem
from shizu.train.pair import HELDOUT, Pair, Rating

MAX_PER_GIVER = 50  # feedback items one person may contribute to a preference stage
REROLLED = "rerolled"
SPOTTED = "spotted in the blind test"
FOOLED = "taken for the real reply in the blind test"
WHY = {("discord-reaction", "up"): "👍 on Discord", ("discord-reaction", "down"): "👎 on Discord",
       ("web", "up"): "thumb up on the web page", ("web", "down"): "thumb down on the web page",
       ("blind-test", "up"): FOOLED, ("blind-test", "down"): SPOTTED}
OVER_CAP = f"over the cap of {MAX_PER_GIVER} per person"
NO_CONTEXT = "logged before conversations were kept"
NO_RETAKE = "rerolls whose new take was never sent"


@dataclass(frozen=True)
class FeedbackSignals:
    """What the feedback gives a preference stage, and why some of it gave nothing."""

    pairs: list[Pair] = field(default_factory=list)
    ratings: list[Rating] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)

    def describe(self) -> str:
        why = "; ".join(f"{count} {reason}" for reason, count in self.skipped.most_common())
        return (f"feedback on the live bot: {len(self.pairs)} pairs (rerolls, replies spotted in the blind test),"
                f" {len(self.ratings)} replies judged alone (thumbs, the blind test)" + (f"; not used: {why}" if why else ""))


def feedback_signals(items: Sequence[FeedbackItem], persona: Persona, heldout: Mapping[str, HeldOutTurn]) -> FeedbackSignals:
    """The pairs and ratings of ``items`` (the latest first, capped per giver); ``heldout``: the
    turns of ``val.jsonl`` by key, where a blind-test answer finds the real reply."""
    signals = FeedbackSignals()
    given: Counter[str] = Counter()
    for item in sorted(items, key=lambda i: (i.created, i.id), reverse=True):
        context = item.exchange.context
        if item.verdict == "rejected" and item.retake is None:
            signals.skipped[NO_RETAKE] += 1
        elif context is None:
            signals.skipped[NO_CONTEXT] += 1
        elif given[item.giver] >= MAX_PER_GIVER:
            signals.skipped[OVER_CAP] += 1
        else:
            given[item.giver] += 1
            _add(signals, item, tuple(_rendered(persona, context)), persona, heldout)
    return signals


def _add(signals: FeedbackSignals, item: FeedbackItem, context: tuple[dict[str, str], ...], persona: Persona, heldout: Mapping[str, HeldOutTurn]) -> None:
    """``item``'s pair or rating."""
    reply = _as_trained(persona, item.exchange)
    blind = item.source == "blind-test"  # its exchange is kept under its held-out turn's key
    key = HELDOUT + item.exchange.channel_id if blind else f"feedback:{item.id}"
    turn = heldout.get(item.exchange.channel_id) if blind else None
    if item.retake is not None:
        signals.pairs.append(Pair(key=key, context=context, chosen=_as_trained(persona, item.retake), rejected=reply, source="feedback", why=REROLLED))
    elif item.verdict == "down" and turn is not None:
        signals.pairs.append(Pair(key=key, context=context, chosen=turn.reply, rejected=reply, source="blind-test", why=SPOTTED))
    else:
        signals.ratings.append(Rating(key=key, context=context, reply=reply, good=item.verdict == "up", source=item.source,
                                      why=WHY.get((item.source, item.verdict), f"{item.verdict} ({item.source})")))


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
