"""What the history says about each training turn: the reactions it drew, and who wrote its context.

Every row of ``train.jsonl`` names the store ids behind each of its messages (``message_ids``,
docs/dataset-format.md). A persona turn whose messages drew reactions from others landed: it
counts more as the winner of its pair (:func:`reaction_weight`). A context with a message by
someone on the ``[privacy] opt_out`` list (added after the dataset was built: the build leaves
such people out) is never used.

Reactions in exports are counts per emoji, not who reacted, so they cannot be checked against the
opt-out list or counted per person; instead one turn's weight is capped (:data:`MAX_REACTION_BONUS`),
so a single popular message, or one friend reacting to everything, cannot outweigh the rest much.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from shizu.dataset.reader import Example
from shizu.message import Reaction
from shizu.store.database import MessageStore
from shizu.store.lookup import authors_of, reactions_on

MAX_REACTION_BONUS = 2  # a reacted turn is in the training set at most 1 + 2 times
NOT_APPROVING = frozenset({"👎", "👎🏻", "👎🏼", "👎🏽", "👎🏾", "👎🏿", "❌", "✖️", "🙄", "😒", "😡", "😠", "🤮"})  # reactions that do not say "this landed"


def reaction_weight(reactions: Iterable[Reaction]) -> int:
    """How many times a persona turn is in the training set: 1, plus one per approving reaction,
    up to :data:`MAX_REACTION_BONUS` more."""
    approving = sum(r.count for r in reactions if r.emoji not in NOT_APPROVING)
    return 1 + min(max(approving, 0), MAX_REACTION_BONUS)


@dataclass(frozen=True)
class TurnSignals:
    """One persona turn's reactions, and whether an opted-out person wrote part of its context."""

    weight: int
    opted_out: bool


class History:
    """The store's facts about the turns of one dataset file, looked up once."""

    def __init__(self, ids: Mapping[str, Sequence[Sequence[str]]], authors: Mapping[str, str], reactions: Mapping[str, tuple[Reaction, ...]], opt_out: Collection[str]) -> None:
        self.ids = ids
        self.authors = authors
        self.reactions = reactions
        self.opt_out = frozenset(opt_out)

    @classmethod
    def read(cls, examples: Iterable[Example], store: MessageStore, opt_out: Collection[str]) -> History:
        """The message ids of every example (of ``train.jsonl``) and what the store knows of them."""
        ids = {example.id: example.message_ids for example in examples}
        every = [message_id for rows in ids.values() for turn in rows for message_id in turn]
        return cls(ids, authors_of(store, every), reactions_on(store, every), opt_out)

    def signals(self, example_id: str, index: int) -> TurnSignals:
        """The turn ``messages[index]`` of the example ``example_id`` (its context: the messages before it)."""
        rows = self.ids.get(example_id, [])
        own = rows[index] if index < len(rows) else []
        context = [message_id for turn in rows[:index] for message_id in turn]
        return TurnSignals(
            weight=reaction_weight(r for message_id in own for r in self.reactions.get(message_id, ())),
            opted_out=any(self.authors.get(message_id) in self.opt_out for message_id in context),
        )
