"""One training context, the person's real reply and the model's own: a preference pair, or none.

The real reply wins; the model's reply (as the runtime produced it, guards and post-processing
included) loses. What the loser is, is what the model wrote:

* a reply the guard cut because the model went on to write another participant's line
  (self-talk) loses with that line in it: the model must learn not to write it;
* a reply post-processing took an invented link out of loses with the link in it;
* any other reply loses as it was (the persona's turn after the guard).

A reply the guards cut always loses, whatever it says. Any other reply that is the real reply
(the same text, up to spacing) gives no pair: there is nothing to prefer.
"""

from __future__ import annotations

from collections.abc import Sequence

from shizu.persona import Reply
from shizu.persona.guards import SPECIAL_RE
from shizu.train.pair import Pair

SELF_TALK = "self-talk"  # the guard ended the turn at another participant's line
INVENTED_LINK = "invented link"  # post-processing removed a link that is not in the media catalogue
SAMPLED = "sampled"  # an ordinary sampled reply


def guard_cut(reply: Reply) -> str | None:
    """Why the runtime cut ``reply`` (:data:`SELF_TALK`, :data:`INVENTED_LINK`), or ``None``."""
    if reply.stop == "other-speaker":
        return SELF_TALK
    if reply.cleanup.links_removed:
        return INVENTED_LINK
    return None


def self_play_pair(key: str, context: Sequence[dict[str, str]], real: str, reply: Reply, weight: int = 1) -> Pair | None:
    """The pair of the real reply over the model's ``reply`` in ``context``; ``None`` when they are the same."""
    why = guard_cut(reply)
    rejected = _as_written(reply) if why == SELF_TALK else reply.raw
    if _same(rejected, real):
        return None
    return Pair(key=key, context=tuple(context), chosen=real, rejected=rejected, weight=weight, source="self-play", why=why or SAMPLED)


def _as_written(reply: Reply) -> str:
    """What the model wrote, up to the first chat-template token (the guard's cut point is later)."""
    special = SPECIAL_RE.search(reply.generated)
    return (reply.generated[: special.start()] if special else reply.generated).rstrip()


def _same(a: str, b: str) -> bool:
    """The same messages, up to spacing within each."""
    return [" ".join(line.split()) for line in a.strip().split("\n")] == [" ".join(line.split()) for line in b.strip().split("\n")]
