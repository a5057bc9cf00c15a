"""Discord-specific text helpers shared by the Discord importers.

Timestamps in every spelling the exports use, snowflake times, raw markup (``<@id>``,
``<:name:id>``...) rewritten the way DiscordChatExporter renders it, and GIF hosts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

DISCORD_EPOCH_MS = 1420070400000

_TS_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|[+-]\d{2}:?\d{2})?$"
)


def parse_timestamp(text: str) -> datetime:
    """ISO-8601 with 0-9 fractional digits and any offset (none means UTC), as aware UTC.

    Raises ``ValueError`` for anything else.
    """
    m = _TS_RE.match(text.strip())
    if not m:
        raise ValueError(f"not an ISO-8601 timestamp: {text!r}")
    year, month, day, hour, minute, second, frac, zone = m.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    ts = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro, tzinfo=UTC)
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        ts -= sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return ts


def snowflake_time(snowflake: str | int) -> datetime:
    """The creation time encoded in a Discord id (millisecond precision)."""
    ms = (int(snowflake) >> 22) + DISCORD_EPOCH_MS
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def is_snowflake(value: str) -> bool:
    return value.isdigit() and 15 <= len(value) <= 20


CUSTOM_EMOJI_RE = re.compile(r"<(a?):([A-Za-z0-9_~\-]+):(\d+)>")
_USER_MENTION_RE = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION_RE = re.compile(r"<@&(\d+)>")
_CHANNEL_MENTION_RE = re.compile(r"<#(\d+)>")
_TIMESTAMP_MARKUP_RE = re.compile(r"<t:(-?\d+)(?::[tTdDfFR])?>")


def custom_emoji_in(text: str) -> dict[str, str]:
    """``name -> id`` for every raw ``<:name:id>`` / ``<a:name:id>`` in ``text``."""
    return {m.group(2): m.group(3) for m in CUSTOM_EMOJI_RE.finditer(text)}


def render_raw_markup(
    text: str,
    user_names: Mapping[str, str] | None = None,
    channel_names: Mapping[str, str] | None = None,
) -> str:
    """Rewrite raw Discord markup as DiscordChatExporter does: ``@Name``, ``#channel``, ``:emoji:``.

    Unknown users become ``@Unknown``, unknown channels ``#deleted-channel`` and roles
    ``@deleted-role`` (DCE's own fallbacks); ``<t:unix>`` becomes an ISO UTC date.
    """
    users = user_names or {}
    channels = channel_names or {}
    text = CUSTOM_EMOJI_RE.sub(lambda m: f":{m.group(2)}:", text)
    text = _USER_MENTION_RE.sub(lambda m: "@" + users.get(m.group(1), "Unknown"), text)
    text = _ROLE_MENTION_RE.sub("@deleted-role", text)
    text = _CHANNEL_MENTION_RE.sub(lambda m: "#" + channels.get(m.group(1), "deleted-channel"), text)
    return _TIMESTAMP_MARKUP_RE.sub(_unix_markup, text)


def _unix_markup(m: re.Match) -> str:
    try:
        return datetime.fromtimestamp(int(m.group(1)), tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
    except (OverflowError, OSError, ValueError):
        return "Invalid date"


GIF_HOSTS = ("tenor.com", "giphy.com", "gfycat.com")


def is_gif_url(url: str) -> bool:
    """True for links to GIF services (Tenor, Giphy...), which Discord shows as GIFs."""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return False
    return any(host == h or host.endswith("." + h) for h in GIF_HOSTS)
