"""The bounded request queue in front of the model: one generation at a time, the rest wait here.

Requests are kept per channel: a new trigger in a channel that already has one waiting takes its
place in line (the reply then answers the latest message, with the earlier ones in its context),
so a busy channel or a quick series of direct messages holds one slot, not many. An owner's
request for another take of a reply (:class:`Retake`) holds a slot of its own. When every slot
is taken, the oldest waiting server request is dropped; direct messages are only dropped by a newer
direct message when nothing else is left to drop.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from shizu.frontends.discord.triggers import Reason


@dataclass(frozen=True, slots=True)
class Retake:
    """Another take of the logged exchange ``exchange_id``, asked for by an owner (``by``: user id
    and name); the reply it replaces is then stored as rejected."""

    exchange_id: int
    by: tuple[str, str]


@dataclass(slots=True)
class Request:
    """A message to answer, in the channel it came from."""

    channel_id: str
    is_dm: bool
    reason: Reason
    trigger: Any  # the discord.Message answered
    queued_at: float = field(default_factory=time.monotonic)
    merged: int = 0  # earlier triggers of the same channel this request answers too
    retake: Retake | None = None  # answering again: the exchange whose reply this one replaces

    @property
    def slot(self) -> tuple[str, int | None]:
        """Where it waits: one slot per channel, and one per exchange taken again."""
        return self.channel_id, self.retake.exchange_id if self.retake is not None else None


class RequestQueue:
    """At most ``capacity`` waiting requests, one per channel, first come first served."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.peak = 0  # the most requests ever waiting at once
        self._pending: OrderedDict[tuple[str, int | None], Request] = OrderedDict()
        self._wake = asyncio.Event()

    def __len__(self) -> int:
        return len(self._pending)

    def put(self, request: Request) -> Request | None:
        """Queue ``request``; returns the request dropped to make room (maybe ``request`` itself)."""
        waiting = self._pending.get(request.slot)
        if waiting is not None:
            waiting.trigger, waiting.reason = request.trigger, request.reason
            waiting.merged += 1
            return None
        dropped = None
        if len(self._pending) >= self.capacity:
            dropped = next((r for r in self._pending.values() if not r.is_dm), None)
            if dropped is None:
                if not request.is_dm:
                    return request
                dropped = next(iter(self._pending.values()))
            del self._pending[dropped.slot]
        self._pending[request.slot] = request
        self.peak = max(self.peak, len(self._pending))
        self._wake.set()
        return dropped

    async def get(self) -> Request:
        """The oldest waiting request (waits for one)."""
        while not self._pending:
            self._wake.clear()
            await self._wake.wait()
        _, request = self._pending.popitem(last=False)
        return request

    def clear(self) -> int:
        """Drop every waiting request; returns how many there were."""
        count = len(self._pending)
        self._pending.clear()
        return count
