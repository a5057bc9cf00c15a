"""Self-play: the parent run answers training contexts, and each answer becomes a pair (or none).

Every context goes through the persona runtime exactly as a live conversation would, by
:func:`shizu.eval.replay.replay` (the prompt rendered from the live situation, sampled with the
``[generation]`` settings, guards and post-processing applied, seeded per reply so a rerun samples
the same replies). A reply whose prompt is not the training render of its context (the runtime
would show the model something the training set never did) gives no pair, and neither does a
context an opted-out person wrote part of. :mod:`shizu.preference.pairs` turns the rest into pairs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from shizu.chat.layout import forgetting
from shizu.eval.heldout import HeldOutTurn
from shizu.eval.replay import replay
from shizu.persona import Persona
from shizu.preference.pairs import self_play_pair
from shizu.preference.signals import History
from shizu.progress import QUIET, Reporter
from shizu.train.pair import Pair

BAR = "self-play"  # the progress bar's key
OPTED_OUT = "an opted-out person wrote part of the context"
PROMPT_DIFFERS = "the runtime's prompt is not the training render"
SAME_REPLY = "the model's reply is the real one"


@dataclass(frozen=True)
class SelfPlay:
    """One round's pairs, and why the other contexts gave none."""

    pairs: list[Pair]
    contexts: int
    skipped: Counter[str] = field(default_factory=Counter)

    def describe(self) -> str:
        why = "; ".join(f"{count} {reason}" for reason, count in self.skipped.most_common())
        weighted = sum(pair.weight > 1 for pair in self.pairs)
        return (f"{len(self.pairs)} pairs from {self.contexts} contexts ({weighted} weighted up by reactions)"
                + (f"; none from {sum(self.skipped.values())}: {why}" if why else ""))


def self_play(persona: Persona, turns: Sequence[HeldOutTurn], history: History, *, seed: int = 0, reporter: Reporter = QUIET) -> SelfPlay:
    """The pairs of ``persona``'s replies to ``turns`` (their real replies win)."""
    skipped: Counter[str] = Counter()
    usable = []
    for turn in turns:
        signals = history.signals(turn.example_id, len(turn.context))
        if signals.opted_out:
            skipped[OPTED_OUT] += 1
        else:
            usable.append((turn, signals.weight))
    reporter.start(BAR, "self-play replies", total=len(usable))
    try:
        generated = replay(persona, [turn for turn, _ in usable], seed=seed, advance=lambda: reporter.advance(BAR))
    finally:
        reporter.stop(BAR)
    pairs = []
    for (turn, weight), answer in zip(usable, generated):
        if not answer.matches_training:
            skipped[PROMPT_DIFFERS] += 1
            continue
        context = list(turn.context) if persona.memory is not None else forgetting(turn.context, persona.name)
        pair = self_play_pair(turn.key, context, turn.reply, answer.reply, weight)
        if pair is None:
            skipped[SAME_REPLY] += 1
        else:
            pairs.append(pair)
    return SelfPlay(pairs, len(turns), skipped)
