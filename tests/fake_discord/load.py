"""A busy Discord for load tests: many people talking in many channels at once.

:func:`busy_world` builds the channels (server channels in two servers, plus DMs) and people;
:func:`plan` writes a reproducible stream of messages over them (in server channels a share of
them mention the bot, the rest is chatter; every DM is addressed to the bot); :func:`send` plays
it through the fake gateway at an even rate; :func:`caught_up` tells when the client has received
all of it; :func:`retained_bytes` measures memory kept by everything but the fake itself.
"""

from __future__ import annotations

import asyncio
import gc
import random
import time
import tracemalloc
from dataclasses import dataclass
from typing import Any

from fake_discord.server import FakeDiscord

WORDS = "lol ok wait what did you see that yes no maybe tonight tomorrow game pizza cat same honestly".split()


@dataclass(frozen=True)
class BusyWorld:
    people: list[dict[str, Any]]
    server_channels: list[int]
    dms: dict[int, dict[str, Any]]  # DM channel id -> the person on the other side


@dataclass(frozen=True)
class Line:
    channel: int
    author: dict[str, Any]
    content: str
    mentions_bot: bool


def busy_world(fake: FakeDiscord, *, channels: int = 20, dms: int = 5, people: int = 30) -> BusyWorld:
    """``channels`` channels in all: ``dms`` direct messages, the rest split over two servers."""
    folks = [fake.add_user(f"Person{i}") for i in range(people)]
    servers = channels - dms
    half = servers // 2
    _, first = fake.add_guild("Busy", [f"chan-{i}" for i in range(half)])
    _, second = fake.add_guild("Crowded", [f"room-{i}" for i in range(servers - half)])
    return BusyWorld(people=folks, server_channels=first + second, dms={fake.add_dm(p): p for p in folks[:dms]})


def plan(world: BusyWorld, fake: FakeDiscord, count: int, *, seed: int = 0, mention_share: float = 0.3) -> list[Line]:
    """``count`` messages spread over every channel (DMs get their share like any channel)."""
    rng = random.Random(seed)
    channels = world.server_channels + list(world.dms)
    out = []
    for i in range(count):
        channel = rng.choice(channels)
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 9)))
        if channel in world.dms:
            out.append(Line(channel, world.dms[channel], f"{words} ({i})", False))
            continue
        author = rng.choice(world.people)
        mention = rng.random() < mention_share
        content = f"<@{fake.bot['id']}> {words} ({i})" if mention else f"{words} ({i})"
        out.append(Line(channel, author, content, mention))
    return out


async def send(fake: FakeDiscord, lines: list[Line], seconds: float) -> float:
    """Play ``lines`` evenly over ``seconds``; returns how long it really took."""
    start = time.monotonic()
    for i, line in enumerate(lines):
        delay = start + seconds * i / len(lines) - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        await fake.say(line.channel, line.author, line.content, mentions=[fake.bot] if line.mentions_bot else [])
    return time.monotonic() - start


def caught_up(fake: FakeDiscord, client: Any) -> bool:
    """The (unsharded) client has received every event the fake dispatched."""
    sequences = [session.seq for session in fake.sessions.values()]
    return client.ws is not None and client.ws.sequence == max(sequences, default=0)


def retained_bytes(snapshot: tracemalloc.Snapshot) -> int:
    """Bytes still allocated since tracing started, leaving out the fake Discord's own storage and
    asyncio's timer handles: discord.py waits for each gateway message with a timeout, and asyncio
    keeps those cancelled timers until its next clean-up (a bounded, self-emptying pile)."""
    kept = snapshot.filter_traces([
        tracemalloc.Filter(False, "*/fake_discord/*", all_frames=True),
        tracemalloc.Filter(False, "*/asyncio/base_events.py"),
        tracemalloc.Filter(False, "*/asyncio/events.py"),
        tracemalloc.Filter(False, tracemalloc.__file__),
    ])
    return sum(stat.size for stat in kept.statistics("filename"))


def collect() -> None:
    """Run the garbage collector until nothing more is freed."""
    while gc.collect():
        pass
