"""One generation at a time per model, with a bounded waiting line.

A model's replies are written by one worker thread that takes the requests in arrival order, so
two requests never compete for the same weights (or the same remote server) and the event loop
stays free to serve pages, other models and the waiting clients. Each request is an async
iterator of the runtime's events; when its client goes away, the generation is stopped at the
next event and a request still waiting is skipped. More than ``limit`` waiting requests are
refused with :class:`Busy` rather than queued without end.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

_END = object()  # the worker's last item for a request


class Busy(Exception):
    """The model's waiting line is full."""


@dataclass
class _Request:
    start: Callable[[], Iterator[Any]]
    loop: asyncio.AbstractEventLoop
    out: asyncio.Queue[object] = field(default_factory=asyncio.Queue)
    cancelled: threading.Event = field(default_factory=threading.Event)

    def emit(self, item: object) -> None:
        """Hand ``item`` to the waiting client (from the worker thread)."""
        try:
            self.loop.call_soon_threadsafe(self.out.put_nowait, item)
        except RuntimeError:  # the event loop is gone (the server is shutting down)
            self.cancelled.set()


class GenerationQueue:
    """The one worker that writes a model's replies, and the line of requests waiting for it."""

    def __init__(self, name: str, limit: int) -> None:
        self.limit = limit
        self._requests: queue.Queue[_Request | None] = queue.Queue()  # only the event loop's thread adds
        self._thread = threading.Thread(target=self._work, name=f"shizu-serve-{name}", daemon=True)
        self._thread.start()

    @property
    def waiting(self) -> int:
        """Requests waiting for the worker (the one being answered not included)."""
        return self._requests.qsize()

    async def events(self, start: Callable[[], Iterator[T]]) -> AsyncIterator[T]:
        """The events of ``start()`` (run by the worker when this request's turn comes).

        Raises :class:`Busy` at once when ``limit`` requests are already waiting; exceptions of the
        generation are raised here, in the client's task.
        """
        if self._requests.qsize() >= self.limit:
            raise Busy(f"its queue is full: {self.limit} waiting")
        request = _Request(start, asyncio.get_running_loop())
        self._requests.put_nowait(request)
        try:
            while (item := await request.out.get()) is not _END:
                if isinstance(item, BaseException):
                    raise item
                yield item  # type: ignore[misc]  # an item of start()'s stream
        finally:
            request.cancelled.set()

    def close(self) -> None:
        """Let the worker end once the requests already in line are done (their clients are gone
        when a server shuts down, so they are skipped)."""
        self._requests.put_nowait(None)

    def _work(self) -> None:
        while (request := self._requests.get()) is not None:
            if not request.cancelled.is_set():
                _answer(request)


def _answer(request: _Request) -> None:
    """Run one request's generation, passing every event on; closing the stream stops the model."""
    try:
        events = request.start()
        try:
            for event in events:
                if request.cancelled.is_set():
                    break
                request.emit(event)
        finally:
            close = getattr(events, "close", None)
            if close is not None:
                close()
    except Exception as exc:  # raised again in the client's task
        request.emit(exc)
    request.emit(_END)
