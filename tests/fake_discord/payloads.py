"""Discord API objects as JSON payloads (API v10), with snowflake ids that encode their time."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1420070400000
MESSAGE_CONTENT = 1 << 15  # the privileged intent bit in IDENTIFY

_counter = itertools.count()


def snowflake(at: datetime | None = None) -> int:
    """A fresh id whose timestamp is ``at`` (default: now), unique within the process."""
    ms = int((at or datetime.now(UTC)).timestamp() * 1000)
    return ((ms - DISCORD_EPOCH_MS) << 22) | (next(_counter) % (1 << 22))


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds")


def user(user_id: int, name: str, *, bot: bool = False, global_name: str | None = None) -> dict[str, Any]:
    return {
        "id": str(user_id), "username": name.lower(), "global_name": global_name or name, "discriminator": "0",
        "avatar": None, "bot": bot, "public_flags": 0,
    }


def member(nick: str | None = None) -> dict[str, Any]:
    return {"nick": nick, "roles": [], "joined_at": "2024-01-01T00:00:00.000+00:00", "deaf": False, "mute": False, "flags": 0}


def text_channel(channel_id: int, guild_id: int, name: str) -> dict[str, Any]:
    return {
        "id": str(channel_id), "type": 0, "guild_id": str(guild_id), "name": name, "position": 0,
        "permission_overwrites": [], "nsfw": False, "parent_id": None, "topic": None, "last_message_id": None,
        "rate_limit_per_user": 0,
    }


def dm_channel(channel_id: int, recipient: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(channel_id), "type": 1, "recipients": [recipient], "last_message_id": None}


def emoji(emoji_id: int, name: str, *, animated: bool = False) -> dict[str, Any]:
    return {"id": str(emoji_id), "name": name, "animated": animated, "available": True, "require_colons": True,
            "managed": False, "roles": []}


def guild(guild_id: int, name: str, channels: list[dict[str, Any]], members: list[dict[str, Any]],
          emojis: list[dict[str, Any]]) -> dict[str, Any]:
    everyone = {"id": str(guild_id), "name": "@everyone", "permissions": "1071698660929", "position": 0, "color": 0,
                "hoist": False, "managed": False, "mentionable": False, "flags": 0}
    return {
        "id": str(guild_id), "name": name, "owner_id": members[0]["user"]["id"] if members else "1", "channels": channels,
        "members": members, "roles": [everyone], "emojis": emojis, "stickers": [], "features": [], "unavailable": False,
        "member_count": len(members), "premium_tier": 0, "threads": [], "voice_states": [], "presences": [],
        "stage_instances": [], "guild_scheduled_events": [], "large": False, "joined_at": "2024-01-01T00:00:00.000+00:00",
    }


def message(
    message_id: int, channel_id: int, author: dict[str, Any], content: str, at: datetime, *,
    guild_id: int | None = None, mentions: Sequence[dict[str, Any]] = (), referenced: dict[str, Any] | None = None,
    webhook_id: int | None = None, attachments: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(message_id), "channel_id": str(channel_id), "author": author, "content": content,
        "timestamp": iso(at), "edited_timestamp": None, "tts": False, "mention_everyone": "@everyone" in content,
        "mentions": list(mentions), "mention_roles": [], "attachments": list(attachments), "embeds": [], "pinned": False,
        "type": 19 if referenced else 0, "flags": 0,
    }
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
        data["member"] = member()
    if referenced is not None:
        data["message_reference"] = {
            "type": 0, "message_id": referenced["id"], "channel_id": str(channel_id),
            **({"guild_id": str(guild_id)} if guild_id is not None else {}),
        }
        data["referenced_message"] = referenced
    if webhook_id is not None:
        data["webhook_id"] = str(webhook_id)
    return data
