"""Load-test ``shizu discord`` against the fake Discord: 500 messages over 20 channels in 10 s.

The real discord.py client connects to the fake Discord of the test suite (gateway + REST on
127.0.0.1, ``tests/fake_discord``). 20 channels (15 server channels in two servers, 5 DMs) and 30
people; in servers 30% of the messages mention the bot, every DM is addressed to it. The persona
is the real runtime around a scripted model that takes 20 ms per reply; the queue holds 8
requests; server cooldowns are 2 s per channel and 1 s per person; no pauses between messages.

Two variants get the same messages:

* baseline: a bare discord.py ``Client`` with the same intents and an empty ``on_message``
  (what receiving the load costs at all);
* shizu: the bot, answering.

Each variant plays a warm-up fifth of the load, the measured load, then the same amount again
under tracemalloc for the memory figure. Printed: how long sending took, replies, requests
dropped, the queue's peak, how many DM messages ended up in the context of a reply (target: all),
answer latency (waiting + writing) percentiles, CPU seconds of the whole process (the fake
included) and the ratio against the baseline, and the memory the traced part left behind (the
fake's own storage left out; target: flat, under 256 KiB).

    python bench/discord_load.py               # full scale: 500 messages in 10 s
    python bench/discord_load.py --scale 0.2   # quick check: 100 messages in 2 s
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

FULL_MESSAGES, FULL_SECONDS = 500, 10.0
QUEUE, GENERATION_S = 8, 0.02
MAX_RETAINED = 256 * 1024


class BareClient:
    """The baseline: discord.py receiving everything, doing nothing."""

    def __init__(self) -> None:
        import discord

        from shizu.frontends.discord.bot import intents

        self.client = discord.Client(intents=intents(), max_messages=None, member_cache_flags=discord.MemberCacheFlags.none())

        async def on_message(message: Any) -> None:
            return None

        self.client.event(on_message)

    async def run(self, token: str) -> None:
        async with self.client:
            await self.client.start(token)

    async def close(self) -> None:
        await self.client.close()


def slow_reply(prompt: str) -> str:
    time.sleep(GENERATION_S)
    return "ok"


async def variant(name: str, messages: int, seconds: float, folder: Path) -> dict[str, Any]:
    """Warm up, play the measured load (time, CPU, replies), then the same again under tracemalloc."""
    from fake_discord import FakeDiscord, bot_config, running
    from fake_discord.load import busy_world, caught_up, collect, plan, retained_bytes, send
    from fake_discord.persona import scripted_persona
    from shizu.frontends.discord.bot import DiscordBot
    from shizu.store import MessageStore
    from shizu.store.exchanges import ExchangeLog

    fake = FakeDiscord()
    world = busy_world(fake)
    warmup = max(1, messages // 5)
    lines = plan(world, fake, warmup + 2 * messages, seed=7)
    warm, measured, traced = lines[:warmup], lines[warmup:warmup + messages], lines[warmup + messages:]
    with MessageStore(folder / f"{name}.db") as store:
        if name == "shizu":
            config = bot_config(queue_size=QUEUE, channel_cooldown_seconds=2, user_cooldown_seconds=1)
            bot: Any = DiscordBot(scripted_persona(slow_reply), config, ExchangeLog(store))
            busy = lambda: len(bot.queue) > 0 or bot.writing_in is not None  # noqa: E731
        else:
            bot = BareClient()
            busy = lambda: False  # noqa: E731
        idle = lambda: caught_up(fake, bot.client) and not busy()  # noqa: E731

        async def play(part: list[Any], duration: float) -> float:
            took = await send(fake, part, duration)
            await fake.wait_until(idle, timeout=120)
            await fake.settle()
            return took

        async with running(fake, bot) as task:
            await play(warm, seconds * warmup / messages)
            first = store.db.execute("SELECT coalesce(max(id), 0) FROM exchanges").fetchone()[0]
            before = (getattr(bot, "answered", 0), getattr(bot, "dropped", 0))
            cpu = time.process_time()
            took = await play(measured, seconds)
            cpu = time.process_time() - cpu
            result: dict[str, Any] = {"took": took, "cpu": cpu}
            if name == "shizu":
                result.update(_replies(store, fake, world, first, measured), replies=bot.answered - before[0],
                              dropped=bot.dropped - before[1], errors=bot.errors, peak=bot.queue.peak)
            collect()
            tracemalloc.start(25)
            await play(traced, seconds)
            collect()
            result["retained"] = retained_bytes(tracemalloc.take_snapshot())
            tracemalloc.stop()
            result["up"] = not task.done()
    return result


def _replies(store: Any, fake: Any, world: Any, first: int, measured: list[Any]) -> dict[str, Any]:
    """DM messages of the measured part that made it into a reply's context, and answer latencies."""
    rows = store.db.execute("SELECT channel_id, context_ids, queued_ms + latency_ms FROM exchanges WHERE id > ?", (first,)).fetchall()
    contexts: dict[str, set[str]] = {}
    for channel_id, ids, _ in rows:
        contexts.setdefault(channel_id, set()).update(json.loads(ids))
    sent = {(line.channel, line.content) for line in measured if line.channel in world.dms}
    dm_ids = [(str(c), m["id"]) for c in world.dms for m in fake.history[c] if (c, m["content"]) in sent]
    answer_ms = sorted(ms for _, _, ms in rows)
    return {
        "dms": len(dm_ids), "dms_answered": sum(1 for c, m in dm_ids if m in contexts.get(c, ())),
        "p50": statistics.median(answer_ms), "p95": answer_ms[int(0.95 * (len(answer_ms) - 1))],
    }


def main() -> None:
    logging.getLogger("shizu.discord").setLevel(logging.ERROR)  # dropped requests are counted, not logged
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="share of the full load (messages and seconds)")
    args = parser.parse_args()
    messages = max(20, round(FULL_MESSAGES * args.scale))
    seconds = FULL_SECONDS * messages / FULL_MESSAGES
    print(
        f"{messages} messages over 20 channels in {seconds:.1f} s per variant (after a {messages // 5}-message warm-up; "
        "memory: the same load again under tracemalloc)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        base = asyncio.run(variant("baseline", messages, seconds, Path(tmp)))
        bot = asyncio.run(variant("shizu", messages, seconds, Path(tmp)))
    for name, r in (("baseline (bare discord.py client)", base), ("shizu discord", bot)):
        print(
            f"{name}: sent in {r['took']:.2f} s, {r['cpu']:.2f} CPU s, retained {r['retained'] / 1024:.0f} KiB, "
            f"{'still up' if r['up'] else 'STOPPED'}"
        )
    print(
        f"shizu: {bot['replies']} replies, {bot['dropped']} requests dropped, {bot['errors']} errors, queue peak "
        f"{bot['peak']}/{QUEUE}, DM messages answered {bot['dms_answered']}/{bot['dms']}, "
        f"answer latency p50 {bot['p50']:.0f} ms, p95 {bot['p95']:.0f} ms"
    )
    print(f"CPU ratio shizu / baseline: {bot['cpu'] / base['cpu']:.2f}x")
    ok = bot["up"] and bot["peak"] <= QUEUE and bot["dms_answered"] == bot["dms"] and bot["retained"] < MAX_RETAINED
    print("targets (up, queue bounded, every DM answered, memory flat):", "met" if ok else "NOT met")


if __name__ == "__main__":
    main()
