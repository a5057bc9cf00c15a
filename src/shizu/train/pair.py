"""What the preference stage trains on: pairs (one reply should win over another) and ratings
(one reply judged alone, good or bad).

The preference stage (:mod:`shizu.train.dpo`) trains on these; :mod:`shizu.preference` makes
them (the persona's real reply against the model's own, feedback on the bot). The context is the
chat messages before the reply exactly as the training set renders them (system prompt first), so
the prompt a pair is trained with is the one the runtime sends; replies are persona turns as the
model writes them (one chat message per line, media as tags). DPO trains on pairs; KTO on
ratings, and on pairs taken apart into two ratings (:func:`unpaired`).

A run's pairs and ratings are written to ``pairs.jsonl`` and ``ratings.jsonl`` in its folder:
``--resume`` trains on the same ones (making them again would sample other replies), and they
show what the run learnt from. A key starting with :data:`HELDOUT` names a held-out turn of
``val.jsonl`` (a blind-test answer): the run's meta lists them, and ``shizu eval`` leaves them out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import msgspec

from shizu.errors import TrainError

PAIRS_FILE = "pairs.jsonl"
RATINGS_FILE = "ratings.jsonl"
HELDOUT = "heldout:"  # the key of a pair or rating on a held-out turn: "heldout:<example id>#<turn>"


@dataclass(frozen=True)
class Pair:
    """One preference: in ``context``, ``chosen`` over ``rejected``.

    ``weight`` is how many times the pair is in the training set (a reply that drew reactions
    counts more); ``source`` says where the preference comes from (``self-play``, ``feedback``)
    and ``why`` what made the loser lose (``sampled``, ``self-talk``, ``invented link``...).
    """

    key: str  # where it comes from: "<example id>#<turn>" for a training turn
    context: tuple[dict[str, str], ...]
    chosen: str
    rejected: str
    weight: int = 1
    source: str = "self-play"
    why: str = "sampled"


@dataclass(frozen=True)
class Rating:
    """One reply judged alone: in ``context``, ``reply`` sounds like the person (``good``) or not.

    ``weight``, ``source`` and ``why`` as for :class:`Pair` (``why``: what the judgement was,
    for example ``thumb up`` or ``spotted in the blind test``).
    """

    key: str
    context: tuple[dict[str, str], ...]
    reply: str
    good: bool
    weight: int = 1
    source: str = "feedback"
    why: str = "thumb up"


Item = TypeVar("Item", Pair, Rating)


def unpaired(pairs: Iterable[Pair]) -> list[Rating]:
    """Each pair as two ratings (its winner good, its loser bad): how KTO learns from pairs."""
    return [
        Rating(key=pair.key, context=pair.context, reply=reply, good=good, weight=pair.weight, source=pair.source, why=pair.why)
        for pair in pairs for reply, good in ((pair.chosen, True), (pair.rejected, False))
    ]


def heldout_keys(items: Iterable[Pair | Rating]) -> set[str]:
    """The held-out turns (``<example id>#<turn>``) that ``items`` train on."""
    return {item.key.removeprefix(HELDOUT) for item in items if item.key.startswith(HELDOUT)}


def write_items(path: Path, items: Sequence[Pair] | Sequence[Rating]) -> None:
    """One JSON object per line (written to a temporary file, then renamed into place)."""
    encoder = msgspec.json.Encoder()
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(b"".join(encoder.encode(item) + b"\n" for item in items))
    partial.replace(path)


def read_items(path: Path, kind: type[Item]) -> list[Item]:
    """The pairs or ratings :func:`write_items` wrote."""
    decoder = msgspec.json.Decoder(kind)
    try:
        lines = path.read_bytes().splitlines()
    except FileNotFoundError:
        raise TrainError(f"{path} is missing: the run's preference data is gone", hint="Start a new preference run (without --resume).") from None
    items = []
    for number, line in enumerate(lines, 1):
        try:
            items.append(decoder.decode(line))
        except msgspec.DecodeError as exc:
            raise TrainError(f"{path}:{number}: {exc}", hint="Start a new preference run (without --resume).") from None
    return items


def read_ratings(run: Path) -> list[Rating]:
    """The ratings of the preference run (or interrupted run) folder ``run``; none for a run made
    before ratings were kept."""
    path = run / RATINGS_FILE
    return read_items(path, Rating) if path.is_file() else []
