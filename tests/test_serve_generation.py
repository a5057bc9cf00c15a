"""The per-model generation queue: one reply at a time, a bounded line, clients that leave."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

from shizu.frontends.web.generation import Busy, GenerationQueue


class Job:
    """A generation that records when it runs and can be held at its start and after its first item."""

    def __init__(self, name: str, log: list[str], gate: threading.Event | None = None, pause: threading.Event | None = None) -> None:
        self.name, self.log, self.gate, self.pause = name, log, gate, pause
        self.closed = threading.Event()

    def __call__(self) -> Iterator[str]:
        self.log.append(f"{self.name} starts")
        try:
            if self.gate is not None:
                self.gate.wait(10)
            for i in range(3):
                if i == 1 and self.pause is not None:
                    self.pause.wait(10)
                self.log.append(f"{self.name}{i}")
                yield f"{self.name}{i}"
        finally:
            self.closed.set()


async def drain(queue: GenerationQueue, job: Job) -> list[str]:
    return [item async for item in queue.events(job)]


def test_requests_run_one_at_a_time_in_arrival_order() -> None:
    async def main() -> list[list[str]]:
        queue = GenerationQueue("t", limit=8)
        log: list[str] = []
        gate = threading.Event()
        first = asyncio.ensure_future(drain(queue, Job("a", log, gate)))
        await asyncio.sleep(0.05)
        rest = [asyncio.ensure_future(drain(queue, Job(name, log))) for name in "bc"]
        await asyncio.sleep(0.05)
        assert log == ["a starts"] and queue.waiting == 2
        gate.set()
        results = await asyncio.gather(first, *rest)
        assert [line for line in log if line.endswith("starts")] == ["a starts", "b starts", "c starts"]
        queue.close()
        return results

    assert asyncio.run(main()) == [["a0", "a1", "a2"], ["b0", "b1", "b2"], ["c0", "c1", "c2"]]


def test_a_full_line_is_refused() -> None:
    async def main() -> str:
        queue = GenerationQueue("t", limit=1)
        gate = threading.Event()
        log: list[str] = []
        running = asyncio.ensure_future(drain(queue, Job("a", log, gate)))
        await asyncio.sleep(0.05)
        waiting = asyncio.ensure_future(drain(queue, Job("b", log)))
        await asyncio.sleep(0.05)
        with pytest.raises(Busy) as caught:
            await drain(queue, Job("c", log))
        gate.set()
        await asyncio.gather(running, waiting)
        queue.close()
        assert [line for line in log if line.endswith("starts")] == ["a starts", "b starts"]
        return str(caught.value)

    assert asyncio.run(main()) == "its queue is full: 1 waiting"


def test_a_client_that_leaves_stops_its_generation_and_is_skipped_if_waiting() -> None:
    async def main() -> None:
        queue = GenerationQueue("t", limit=8)
        log: list[str] = []
        pause = threading.Event()
        running = Job("a", log, pause=pause)
        left = Job("b", log)
        stream = queue.events(running)
        assert await anext(stream) == "a0"
        waiting = asyncio.ensure_future(drain(queue, left))
        await asyncio.sleep(0.05)
        waiting.cancel()  # b's client leaves while waiting
        await asyncio.gather(waiting, return_exceptions=True)
        await stream.aclose()  # a's client leaves after the first item
        pause.set()
        assert await asyncio.to_thread(running.closed.wait, 5)
        assert await drain(queue, Job("c", log)) == ["c0", "c1", "c2"]
        assert log == ["a starts", "a0", "a1", "c starts", "c0", "c1", "c2"]  # a stopped at its next item
        assert not left.closed.is_set()
        queue.close()

    asyncio.run(main())


def test_errors_reach_the_client() -> None:
    def failing() -> Iterator[str]:
        yield "partial"
        raise ValueError("model exploded")

    async def main() -> list[str]:
        queue = GenerationQueue("t", limit=8)
        got: list[str] = []
        with pytest.raises(ValueError, match="model exploded"):
            async for item in queue.events(failing):
                got.append(item)
        queue.close()
        return got

    assert asyncio.run(main()) == ["partial"]
