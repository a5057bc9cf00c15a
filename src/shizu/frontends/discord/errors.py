"""The Discord bot's user errors (part of the :class:`shizu.errors.ShizuError` hierarchy)."""

from __future__ import annotations

from shizu.errors import ShizuError


class DiscordError(ShizuError):
    """The bot cannot start: no token, a token Discord rejects, the Message Content intent off."""
