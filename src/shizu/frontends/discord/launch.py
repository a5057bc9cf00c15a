"""``shizu discord``: read the token, prepare the model, run the bot until Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable

from shizu.errors import DiscordError
from shizu.frontends.discord.bot import PORTAL, DiscordBot
from shizu.persona.runtime import Persona
from shizu.store.exchanges import ExchangeLog
from shizu.workspace import Workspace


def token_from_env(env: str) -> str:
    """The bot token in the environment variable ``env`` (it is never printed nor logged)."""
    token = os.environ.get(env, "").strip().removeprefix("Bot ").strip()
    if not token:
        raise DiscordError(
            f"No Discord bot token: the environment variable {env} is not set",
            hint=f"Create a bot at {PORTAL} (your application > Bot > Reset Token), then run "
            f"`export {env}=<the token>` and `shizu discord` again (docs/discord.md walks through it).",
        )
    return token


def run_discord(ws: Workspace, persona: Persona, token: str, say: Callable[[str], None]) -> None:
    """Load the model, then answer on Discord until interrupted; the bot logs to stderr."""
    import discord

    discord.utils.setup_logging(level=logging.INFO)
    say("loading the model...")
    persona.prepare()
    say(f"answering as {persona.name} with {persona.backend.label}; Ctrl-C stops the bot")
    with ws.open_store() as store:
        bot = DiscordBot(persona, ws.config, ExchangeLog(store))
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how the bot is meant to stop
            asyncio.run(bot.run(token))
    say("stopped.")
