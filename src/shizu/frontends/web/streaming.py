"""Turning a model's event stream into HTTP answers: errors first, then server-sent events.

A reply's first event is awaited before the response starts, so a full queue or an unreachable
model server is a proper HTTP error (503 / 502) rather than a broken stream; a failure after
that is sent as a last ``error`` event.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, AsyncIterator
from typing import TypeVar

from fastapi.sse import format_sse_event

from shizu.errors import ShizuError
from shizu.frontends.web.generation import Busy
from shizu.frontends.web.http_errors import ApiError

T = TypeVar("T")
log = logging.getLogger("shizu.serve")

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def failure(exc: Exception) -> ApiError:
    """The HTTP error for an exception raised while a reply was being written."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, Busy):
        return ApiError(
            503, f"The persona is busy ({exc}, [serve] max_queue); try again in a moment", kind="server_error", code="queue_full"
        )
    if isinstance(exc, ShizuError):
        return ApiError(502, str(exc), kind="server_error", code="generation_failed")
    log.error("the persona failed to reply", exc_info=exc)
    return ApiError(500, f"The persona failed to reply ({type(exc).__name__}: {exc}); the server log has the details", kind="server_error")


async def opened(events: AsyncIterator[T]) -> AsyncGenerator[T, None]:
    """``events`` once its first item is there; raises the :func:`failure` error if it cannot start."""
    try:
        first = await anext(events)
    except Exception as exc:
        raise failure(exc) from None
    return _chain(first, events)


async def _chain(first: T, rest: AsyncIterator[T]) -> AsyncGenerator[T, None]:
    yield first
    async for item in rest:
        yield item


def sse(data: str, event: str | None = None) -> bytes:
    """One server-sent event (``data`` already serialised)."""
    return format_sse_event(data_str=data, event=event)
