"""``shizu memory list`` and ``shizu memory forget``: the workspace's memories, chosen and shown.

Over :class:`shizu.memory.MemoryIndex` (``select``, ``entries``, ``forget``, ``forget_all``); the
texts are shown as plain text (never as rich markup), as the prompt shows them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from rich.console import Console

from shizu.errors import MemoryStoreError
from shizu.memory import Memory, MemoryIndex, describe
from shizu.memory.render import block
from shizu.persona.runtime import persona_name
from shizu.workspace import Workspace

TURN_ON = "Set enabled = true in the [memory] section of shizu.toml and run `shizu build`."


@dataclass(frozen=True)
class OpenMemory:
    """The workspace's memory index, with what showing its memories needs."""

    index: MemoryIndex
    persona: str
    tz: ZoneInfo

    def chosen(self, *, place: str | None = None, person: str | None = None, ids: Sequence[int] = ()) -> list[int]:
        """The ids of the memories made at ``place`` (an id or a name), that answered ``person``,
        among ``ids`` when given (each filter only when given); in id order."""
        where = self.index.place(place)[0] if place is not None else None
        found = self.index.select(where=where, person=person)
        if ids:
            wanted = set(ids)
            found = [i for i in found if i in wanted]
        return found

    def entries(self, ids: Sequence[int]) -> list[tuple[int, Memory]]:
        """The memories ``ids``, oldest first."""
        return sorted(self.index.entries(ids), key=lambda entry: (entry[1].time, entry[0]))

    def json(self, memory_id: int, memory: Memory) -> dict[str, object]:
        """One memory as ``--json`` prints it: :func:`shizu.memory.describe` and the user ids it answered."""
        return {**describe(memory_id, memory, self.persona), "people": list(memory.people)}


@contextmanager
def open_memory(ws: Workspace) -> Iterator[OpenMemory]:
    """The memory of ``ws``; a :class:`~shizu.errors.MemoryStoreError` saying what to do when there is none."""
    config = ws.config
    if not ws.db_path.is_file():
        raise MemoryStoreError(f"No message store in {ws.root}", hint="Import your exports with `shizu ingest` first, then: " + TURN_ON)
    with ws.open_store() as store:
        index = MemoryIndex(store, config.memory)
        if not index.tables.count():
            if not config.memory.enabled:
                raise MemoryStoreError("The persona has no memories: the memory is off", hint=TURN_ON)
            raise MemoryStoreError("The persona has no memories yet", hint="Run `shizu build` to make them from the history.")
        yield OpenMemory(index, persona_name(ws), ZoneInfo(config.build.timezone))


def print_memories(console: Console, entries: Sequence[tuple[int, Memory]], persona: str, tz: ZoneInfo) -> None:
    """Each memory as the prompt shows it, under its id and origin, then how many."""
    for memory_id, memory in entries:
        console.print(f"[{memory_id}] ({memory.origin}) {block(memory, persona, tz)}\n", markup=False, highlight=False, soft_wrap=True)
    console.print(f"{len(entries)} memor{'y' if len(entries) == 1 else 'ies'}", markup=False, highlight=False)
