"""What the message store holds, aggregated in SQL for ``shizu stats``: counts, authors, channels, "me", activity.

``shizu stats`` is the first look at ingested data and the place where a user learns their own
user id. Every figure is computed by SQLite (``GROUP BY`` over the store's indexes), never by
loading messages into Python: on a 1M-message store the summary takes about 0.3 s (1 s while "me"
is unknown and candidates are ranked) and the report's activity series about 3 s. The result
structs encode to JSON as they are (``--json``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from datetime import date, datetime, timedelta
from typing import Literal

import msgspec

from shizu.chat.hidden_names import HiddenNames
from shizu.store.authors import TOP_CANDIDATES, Candidate, known_names, me_candidates
from shizu.store.database import MessageStore
from shizu.store.rows import from_ms

LENGTH_CAP = 300  # message lengths (characters) at or above this share the last histogram bin
WEEKLY_BELOW_DAYS = 183  # a store spanning less than this is plotted per week, else per month
_DAY_MS = 86_400_000
_HOUR_MS = 3_600_000
_PEOPLE_ONLY = "NOT is_system AND author_id NOT IN (SELECT id FROM authors WHERE is_bot)"


class AuthorStats(msgspec.Struct, kw_only=True):
    """One author: ``name`` is the latest display name (else handle, else id)."""

    id: str
    name: str
    username: str
    messages: int
    bot: bool
    me: bool


class ChannelStats(msgspec.Struct, kw_only=True):
    id: str
    name: str
    kind: str
    guild: str | None
    parent: str | None  # a thread's parent channel
    messages: int

    @property
    def label(self) -> str:
        """How a person would name the channel: ``Guild / #parent / thread``, ``#name`` or a DM's name."""
        if self.kind in ("dm", "group"):
            return f"{self.kind}: {self.name or self.id}"
        parts = [self.guild] if self.guild else []
        if self.parent:
            parts.append(f"#{self.parent}")
        parts.append(self.name if self.kind == "thread" else f"#{self.name or self.id}")
        return " / ".join(parts)


class StoreStats(msgspec.Struct, kw_only=True):
    """The summary ``shizu stats`` prints; field names are the ``--json`` keys."""

    messages: int
    channels: int
    authors: list[AuthorStats]  # every author, most messages first
    first: datetime | None
    last: datetime | None
    me: list[str]  # the persona's ids: ``[persona] me`` plus accounts from data packages
    me_accounts: list[str]  # the subset read from data packages
    me_messages: int
    me_without_messages: list[str]  # "me" ids with no message in the store (likely a wrong id)
    me_candidates: list[Candidate]  # when "me" is unknown: authors who could be the user, likeliest first
    channels_by_kind: dict[str, int]
    messages_by_kind: dict[str, int]
    per_channel: list[ChannelStats]  # most messages first
    bot_messages: int
    system_messages: int


class Activity(msgspec.Struct, kw_only=True):
    """Series for the report's plots; people only (bots and system messages left out).

    Each list pairs the persona's counts (``mine``) with everyone else's (``others``).
    """

    period: Literal["week", "month"]
    period_starts: list[date]
    period_mine: list[int]
    period_others: list[int]
    hour_mine: list[int]  # 24 counts, hour of day in UTC
    hour_others: list[int]
    length_mine: list[int]  # index = length in characters; the last bin is LENGTH_CAP and longer
    length_others: list[int]


def summarize(store: MessageStore, me: list[str], accounts: list[str], opted_out: Collection[str] = ()) -> StoreStats:
    """Aggregate the store. ``me`` is the persona's ids, ``accounts`` those from data packages.

    People in ``opted_out`` (``[privacy] opt_out``) are not listed, not offered as "me", and their
    names are cut out of channel and group names (:mod:`shizu.chat.hidden_names`); the totals
    still count their messages.
    """
    hidden_ids = set(opted_out)
    known = known_names(store) if hidden_ids else {}
    hidden = HiddenNames(name for author_id in hidden_ids for name in known.get(author_id, ()))
    db = store.db
    total, first_ms, last_ms, system = db.execute(
        "SELECT count(*), min(ts), max(ts), coalesce(sum(is_system), 0) FROM messages"
    ).fetchone()
    me_set = set(me)
    authors = [
        AuthorStats(
            id=aid, name=display or handle or aid, username=handle, messages=n, bot=bool(is_bot), me=aid in me_set
        )
        for aid, n, handle, display, is_bot in db.execute(
            "SELECT m.author_id, m.n, coalesce(a.name, ''), coalesce(a.display_name, ''), coalesce(a.is_bot, 0)"
            " FROM (SELECT author_id, count(*) AS n FROM messages GROUP BY author_id) m"
            " LEFT JOIN authors a ON a.id = m.author_id ORDER BY m.n DESC, m.author_id"
        )
        if aid not in hidden_ids
    ]
    per_channel = [
        ChannelStats(
            id=cid, name=hidden.strip(name), kind=kind, guild=hidden.strip(guild) if guild else guild,
            parent=hidden.strip(parent) if parent else parent, messages=n,
        )
        for cid, n, name, kind, guild, parent in db.execute(
            "SELECT m.channel_id, m.n, coalesce(c.name, ''), coalesce(c.kind, 'guild-text'), c.guild_name,"
            " c.parent_name FROM (SELECT channel_id, count(*) AS n FROM messages GROUP BY channel_id) m"
            " LEFT JOIN channels c ON c.id = m.channel_id ORDER BY m.n DESC, m.channel_id"
        )
    ]
    channels_by_kind: Counter[str] = Counter()
    messages_by_kind: Counter[str] = Counter()
    for ch in per_channel:
        channels_by_kind[ch.kind] += 1
        messages_by_kind[ch.kind] += ch.messages
    counts = {a.id: a.messages for a in authors}
    return StoreStats(
        messages=total,
        channels=len(per_channel),
        authors=authors,
        first=from_ms(first_ms) if first_ms is not None else None,
        last=from_ms(last_ms) if last_ms is not None else None,
        me=sorted(me_set),
        me_accounts=sorted(set(accounts) & me_set),
        me_messages=sum(counts.get(uid, 0) for uid in me_set),
        me_without_messages=sorted(uid for uid in me_set if uid not in counts),
        me_candidates=[] if me_set or not total else [c for c in me_candidates(store, limit=TOP_CANDIDATES + len(hidden_ids)) if c.id not in hidden_ids][:TOP_CANDIDATES],
        channels_by_kind=dict(sorted(channels_by_kind.items())),
        messages_by_kind=dict(sorted(messages_by_kind.items())),
        per_channel=per_channel,
        bot_messages=sum(a.messages for a in authors if a.bot),
        system_messages=system,
    )


def activity(store: MessageStore, me: list[str], first: datetime, last: datetime) -> Activity:
    """Messages per week or month, per hour of day (UTC) and per length, persona vs others."""
    db = store.db
    mine = f"author_id IN ({','.join('?' * len(me))})"
    where = f"WHERE {_PEOPLE_ONLY}"
    weekly = (last - first) < timedelta(days=WEEKLY_BELOW_DAYS)
    periods: dict[date, list[int]] = {}
    for is_mine, day, n in db.execute(
        f"SELECT {mine}, ts / {_DAY_MS}, count(*) FROM messages {where} GROUP BY 1, 2", me
    ):
        start = _period_start(date(1970, 1, 1) + timedelta(days=day), weekly)
        periods.setdefault(start, [0, 0])[0 if is_mine else 1] += n
    starts = _period_range(first.date(), last.date(), weekly)
    hours = [[0] * 24, [0] * 24]
    for is_mine, hour, n in db.execute(
        f"SELECT {mine}, (ts / {_HOUR_MS}) % 24, count(*) FROM messages {where} GROUP BY 1, 2", me
    ):
        hours[0 if is_mine else 1][hour] += n
    lengths = [[0] * (LENGTH_CAP + 1), [0] * (LENGTH_CAP + 1)]
    for is_mine, length, n in db.execute(
        f"SELECT {mine}, min(length(content), {LENGTH_CAP}), count(*) FROM messages {where} GROUP BY 1, 2", me
    ):
        lengths[0 if is_mine else 1][length] += n
    return Activity(
        period="week" if weekly else "month",
        period_starts=starts,
        period_mine=[periods.get(s, [0, 0])[0] for s in starts],
        period_others=[periods.get(s, [0, 0])[1] for s in starts],
        hour_mine=hours[0],
        hour_others=hours[1],
        length_mine=lengths[0],
        length_others=lengths[1],
    )


def _period_start(day: date, weekly: bool) -> date:
    return day - timedelta(days=day.weekday()) if weekly else day.replace(day=1)


def _period_range(first: date, last: date, weekly: bool) -> list[date]:
    """Every period from ``first``'s to ``last``'s, so quiet weeks or months show as gaps."""
    out = [_period_start(first, weekly)]
    end = _period_start(last, weekly)
    while out[-1] < end:
        prev = out[-1]
        out.append(prev + timedelta(days=7) if weekly else date(prev.year + prev.month // 12, prev.month % 12 + 1, 1))
    return out

