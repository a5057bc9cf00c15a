"""A fake Discord (gateway + REST on 127.0.0.1) and helpers to run the real bot against it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

from fake_discord.server import Call, FakeDiscord, point_discord_py_at
from shizu.config import Config, parse_config

__all__ = ["Call", "FakeDiscord", "bot_config", "point_discord_py_at", "running"]


def bot_config(tables: dict[str, Any] | None = None, **discord: Any) -> Config:
    """Workspace settings for a test bot: no cooldowns or pauses unless the test sets them;
    ``tables``: other sections of shizu.toml."""
    settings = {"channel_cooldown_seconds": 0, "user_cooldown_seconds": 0, "pause_seconds_per_char": 0, **discord}
    return parse_config({**(tables or {}), "discord": settings})


@asynccontextmanager
async def running(fake: FakeDiscord, bot: Any, token: str | None = None) -> AsyncIterator[asyncio.Task[None]]:
    """Start ``fake`` and ``bot.run(token)`` against it; yields once every shard is connected.

    A bot that stops before connecting raises its error here. On exit the bot is closed first.
    """
    await fake.start()
    try:
        with point_discord_py_at(fake):
            task = asyncio.create_task(bot.run(fake.token if token is None else token))
            await fake.wait_until(lambda: fake.connected() or task.done())
            if task.done():
                task.result()
            try:
                yield task
            finally:
                await bot.close()
                with suppress(asyncio.CancelledError):
                    await asyncio.wait_for(task, timeout=10)
    finally:
        await fake.stop()
