"""Load: 500 messages over 20 channels in 10 seconds, against the real client and the fake Discord.

The persona is a script that takes 20 ms per reply (a fast model), the queue holds 8 requests and
server channels have short cooldowns. The bot must stay up, keep its queue within bounds, answer
every direct message (each DM message is in the context of a reply in its channel) and keep no
memory for the messages it has seen: the second half of the load leaves less than 256 KiB behind.
"""

from __future__ import annotations

import asyncio
import json
import time
import tracemalloc
from pathlib import Path

import pytest

from fake_discord import FakeDiscord, bot_config, running
from fake_discord.load import busy_world, caught_up, collect, plan, retained_bytes, send
from fake_discord.persona import scripted_persona
from shizu.frontends.discord.bot import DiscordBot
from shizu.store import MessageStore
from shizu.store.exchanges import ExchangeLog

QUEUE = 8
MAX_RETAINED = 256 * 1024


def slow_reply(prompt: str) -> str:
    time.sleep(0.02)
    return "ok"


@pytest.mark.slow
def test_500_messages_in_10_seconds_keep_the_bot_up_bounded_and_flat(tmp_path: Path) -> None:
    fake = FakeDiscord()
    world = busy_world(fake)
    lines = plan(world, fake, 500, seed=7)
    first, second = lines[:250], lines[250:]

    async def main() -> None:
        with MessageStore(tmp_path / "shizu.db") as store:
            config = bot_config(queue_size=QUEUE, channel_cooldown_seconds=2, user_cooldown_seconds=1)
            bot = DiscordBot(scripted_persona(slow_reply), config, ExchangeLog(store))
            async with running(fake, bot) as task:
                idle = lambda: caught_up(fake, bot.client) and len(bot.queue) == 0 and bot.writing_in is None  # noqa: E731
                took = await send(fake, first, 5.0)
                await fake.wait_until(idle, timeout=30)
                await fake.settle()
                collect()
                tracemalloc.start(25)
                try:
                    took += await send(fake, second, 5.0)
                    await fake.wait_until(idle, timeout=30)
                    await fake.settle()
                    collect()
                    retained = retained_bytes(tracemalloc.take_snapshot())
                finally:
                    tracemalloc.stop()
                assert not task.done()
                assert took < 12.0
                assert bot.queue.peak <= QUEUE
                assert retained < MAX_RETAINED, f"{retained} bytes kept after the second half"
                contexts: dict[str, set[str]] = {}
                for channel_id, context_ids in store.db.execute("SELECT channel_id, context_ids FROM exchanges"):
                    contexts.setdefault(channel_id, set()).update(json.loads(context_ids))
                for channel, person in world.dms.items():
                    said = [m["id"] for m in fake.history[channel] if m["author"]["id"] == person["id"]]
                    assert said and set(said) <= contexts[str(channel)], f"unanswered DM messages in {channel}"
                assert bot.errors == 0
                assert bot.answered == store.db.execute("SELECT count(*) FROM exchanges").fetchone()[0]

    asyncio.run(asyncio.wait_for(main(), timeout=120))
