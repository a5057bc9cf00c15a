"""A preference pair: one context, the reply that should win and the one that should lose.

The preference stage (:mod:`shizu.train.dpo`) trains on these; :mod:`shizu.preference` makes
them (the persona's real reply against the model's own, feedback on the bot). The context is the
chat messages before the reply exactly as the training set renders them (system prompt first), so
the prompt a pair is trained with is the one the runtime sends; ``chosen`` and ``rejected`` are
persona turns as the model writes them (one chat message per line, media as tags).

A run's pairs are written to ``pairs.jsonl`` in its folder: ``--resume`` trains on the same
pairs (making them again would sample other replies), and they show what the run learnt from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import msgspec

from shizu.errors import TrainError

PAIRS_FILE = "pairs.jsonl"


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


def write_pairs(path: Path, pairs: Sequence[Pair]) -> None:
    """One JSON object per line (written to a temporary file, then renamed into place)."""
    encoder = msgspec.json.Encoder()
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(b"".join(encoder.encode(pair) + b"\n" for pair in pairs))
    partial.replace(path)


def read_pairs(path: Path) -> list[Pair]:
    """The pairs :func:`write_pairs` wrote."""
    decoder = msgspec.json.Decoder(Pair)
    try:
        lines = path.read_bytes().splitlines()
    except FileNotFoundError:
        raise TrainError(f"{path} is missing: the run's preference pairs are gone", hint="Start a new preference run (without --resume).") from None
    pairs = []
    for number, line in enumerate(lines, 1):
        try:
            pairs.append(decoder.decode(line))
        except msgspec.DecodeError as exc:
            raise TrainError(f"{path}:{number}: {exc}", hint="Start a new preference run (without --resume).") from None
    return pairs
