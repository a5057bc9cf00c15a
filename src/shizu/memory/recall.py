"""Recalling for one prompt: search with the conversation so far, keep what fits, render it.

``shizu build`` (for each training example) and the runtime (for each live prompt) both call
:func:`recollect`, so a training example shows the memories the bot would have recalled at that
moment, written the same way.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

import numpy as np

from shizu.memory.index import MemoryIndex
from shizu.memory.record import Recalled, Where
from shizu.memory.render import SEPARATOR, block, fitting


@dataclass(frozen=True, slots=True)
class Recollection:
    """The memories one prompt shows (oldest first) and their text for the system part ("" for none)."""

    recalled: tuple[Recalled, ...] = ()
    text: str = ""

    @property
    def keys(self) -> list[str]:
        return [r.memory.key for r in self.recalled]


NOTHING = Recollection()


def recollect(
    index: MemoryIndex,
    query: str,
    here: Where,
    *,
    persona: str,
    tz: tzinfo,
    before: datetime,
    opt_out: Collection[str] = (),
    hidden_names: Iterable[str] = (),
    vector: np.ndarray | None = None,
) -> Recollection:
    """What the persona recalls at ``here`` for the conversation so far (``query``: its
    :func:`~shizu.memory.record.query_text`; it started at ``before``, and only older memories come
    back), within ``[memory] max_tokens``; nothing when the conversation has no text yet.
    ``vector``: the query's embedding, when the caller embedded many at once."""
    if not query.strip():
        return NOTHING
    found = index.search(query, here, before=before, opt_out=opt_out, hidden_names=hidden_names, vector=vector)
    kept = [found[i] for i in fitting([r.memory for r in found], persona, index.config.max_tokens, tz)]
    return Recollection(tuple(kept), SEPARATOR.join(block(r.memory, persona, tz) for r in kept))


def recollection_of(index: MemoryIndex, keys: Sequence[str], *, persona: str, tz: tzinfo, hidden_names: Iterable[str] = ()) -> Recollection:
    """The memories stored under ``keys``, in that order, rendered as :func:`recollect` renders them:
    what a dataset row recorded it showed, shown again (``shizu eval`` replays held-out rows so).
    Keys no longer stored (forgotten since the build) are left out."""
    ids = index.tables.stored(keys)
    found = dict(index.entries([ids[key][0] for key in keys if key in ids], hidden_names=hidden_names))
    kept = tuple(Recalled(ids[key][0], found[ids[key][0]], 0.0, None, None) for key in keys if key in ids and ids[key][0] in found)
    return Recollection(kept, SEPARATOR.join(block(r.memory, persona, tz) for r in kept))


def hidden_names(known: Mapping[str, Iterable[str]], opt_out: Iterable[str], persona: str) -> tuple[str, ...]:
    """Every name known for the people in ``opt_out`` (but the persona's), which recalled memories write as "someone"."""
    keep = persona.casefold()
    return tuple(sorted({name for person in opt_out for name in known.get(person, ()) if name and name.casefold() != keep}))
