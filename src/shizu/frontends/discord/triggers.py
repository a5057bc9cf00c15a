"""When the bot answers, and how often: triggers, deny lists and cooldowns (no Discord types here).

* Always in direct messages.
* In servers: when it is mentioned, when someone replies to one of its messages, or when its name
  or an alias is said (as a word, any case); in the ``chime_in_channels`` also unprompted, with
  ``chime_in_probability`` per message.
* Never for other bots, webhooks or system messages, nor in ``deny_channels`` (threads included)
  or for ``deny_users`` and the people in ``[privacy] opt_out`` (their messages never reach the
  model, so there would be nothing to answer).
* In servers, :class:`Cooldowns` allow one answer per channel and one per person in their window.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from shizu.config import DiscordConfig

Reason = Literal["dm", "mention", "reply", "name", "chime-in", "again"]  # "again": an owner asked for another take


@dataclass(frozen=True, slots=True)
class Seen:
    """What deciding needs to know about an incoming message."""

    author_id: str
    channel_id: str
    parent_id: str | None  # a thread's parent channel
    is_dm: bool
    automated: bool  # another bot, a webhook or a system message
    mentions_me: bool
    replies_to_me: bool
    text: str


class Triggers:
    """Decides whether, and why, the bot answers a message."""

    def __init__(
        self, config: DiscordConfig, names: Sequence[str], ignored_users: Iterable[str], rng: random.Random | None = None
    ) -> None:
        self.config = config
        self.ignored_users = frozenset(ignored_users)
        self.denied_channels = frozenset(config.deny_channels)
        self.chime_channels = frozenset(config.chime_in_channels)
        words = sorted({n.strip() for n in names if n.strip()}, key=len, reverse=True)
        self.name_re = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, words)) + r")(?!\w)", re.IGNORECASE) if words else None
        self.rng = rng or random.Random()

    def ignored(self, seen: Seen) -> bool:
        """Messages the bot never reacts to, not even owner commands."""
        return (
            seen.automated
            or seen.author_id in self.ignored_users
            or seen.channel_id in self.denied_channels
            or (seen.parent_id is not None and seen.parent_id in self.denied_channels)
        )

    def reason(self, seen: Seen) -> Reason | None:
        """Why the bot answers ``seen``, or ``None`` when it stays quiet."""
        if self.ignored(seen):
            return None
        if seen.is_dm:
            return "dm"
        if seen.mentions_me:
            return "mention"
        if seen.replies_to_me:
            return "reply"
        if self.name_re is not None and self.name_re.search(seen.text):
            return "name"
        in_chime_channel = seen.channel_id in self.chime_channels or (seen.parent_id is not None and seen.parent_id in self.chime_channels)
        if in_chime_channel and self.rng.random() < self.config.chime_in_probability:
            return "chime-in"
        return None


class Cooldowns:
    """One answer per channel per ``channel_s`` and per person per ``user_s`` seconds."""

    def __init__(self, channel_s: float, user_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.channel_s, self.user_s = channel_s, user_s
        self.clock = clock
        self._channels: dict[str, float] = {}  # id -> when the last answer was accepted
        self._users: dict[str, float] = {}
        self._prune_at = 256

    def allows(self, channel_id: str, user_id: str) -> bool:
        now = self.clock()
        return now - self._channels.get(channel_id, -1e18) >= self.channel_s and now - self._users.get(user_id, -1e18) >= self.user_s

    def start(self, channel_id: str, user_id: str) -> None:
        """An answer was accepted: both windows start now."""
        now = self.clock()
        self._channels[channel_id] = now
        self._users[user_id] = now
        if len(self._channels) + len(self._users) > self._prune_at:
            self._prune(now)

    def __len__(self) -> int:
        return len(self._channels) + len(self._users)

    def _prune(self, now: float) -> None:
        """Forget windows that are over, so the tables stay as small as the recent activity."""
        self._channels = {k: t for k, t in self._channels.items() if now - t < self.channel_s}
        self._users = {k: t for k, t in self._users.items() if now - t < self.user_s}
        self._prune_at = max(256, 2 * len(self))
