"""Who talks in the sample: the persona Mika, her friends (each with a distinct writing style), a
music bot, and the server, channels and group DM they share.

Ids are fixed snowflakes (independent of the seed) so documentation and tests can name them.
Each friend's style is a function that turns a neutral line from :mod:`shizu.sample.topics` into
how that person writes it; Mika's own lines are written in her style and decorated by
:func:`mika_line`.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from shizu.chat.discord_markup import DISCORD_EPOCH_MS


def snowflake_at(iso: str, low_bits: int = 0) -> int:
    """A Discord id created at ``iso`` (UTC); ``low_bits`` keeps ids made in the same ms distinct."""
    ms = int(datetime.fromisoformat(iso).replace(tzinfo=UTC).timestamp() * 1000)
    return ((ms - DISCORD_EPOCH_MS) << 22) | low_bits


@dataclass(frozen=True)
class Person:
    key: str
    id: str
    username: str
    display_name: str
    avatar_hash: str
    color: str | None = None  # colour of their top role in the server
    role: str = ""
    is_bot: bool = False
    discriminator: str = "0000"  # migrated ("pomelo") users export as 0000; bots keep theirs


MIKA = Person(
    "mika", str(snowflake_at("2019-03-14T15:09:26", 7)), "mikadoodles", "Mika",
    "a1f0c9e27d5b43e8b6c0f7d2e9a4b815", "#F47FFF", "gremlin",
)
THEO = Person(
    "theo", str(snowflake_at("2017-09-02T10:41:03", 3)), "theo.marsh", "Theo",
    "5c2e8d07b41f9a36e0d7c5b2a8f13e64", "#3498DB", "admin",
)
JUNO = Person(
    "juno", str(snowflake_at("2018-06-21T19:30:11", 12)), "junebug", "Juno",
    "e7b3a9d14c0f62e85a1d9b3c7f04e26a", "#E67E22", "gremlin",
)
PRIYA = Person(
    "priya", str(snowflake_at("2019-11-05T08:12:44", 5)), "priyaaa", "Priya",
    "09d4f6b2e1a83c75d0e9f4a6b2c18d37", "#FF8FAB", "gremlin",
)
SAM = Person(
    "sam", str(snowflake_at("2016-12-30T22:05:59", 9)), "samwise_", "Sam",
    "b86e1d3f0a4c97e25b8d0f6a3c1e49d2", "#2ECC71", "gremlin",
)
KAI = Person(
    "kai", str(snowflake_at("2022-02-17T13:27:38", 2)), "kai.codes", "Kai",
    "4f0a2c8e6b1d93a57e0c4f8b2d6a15e9", None, "",
)
JUKEBOX = Person(
    "jukebox", str(snowflake_at("2020-04-04T04:04:04", 1)), "Jukebox", "Jukebox",
    "d3c1b7a95e2f08d46c1a3e9b7f5d20c8", "#9B59B6", "bots", is_bot=True, discriminator="4821",
)
PEOPLE = (MIKA, THEO, JUNO, PRIYA, SAM, KAI, JUKEBOX)
BY_KEY = {p.key: p for p in PEOPLE}

GUILD_ID = str(snowflake_at("2020-08-15T18:00:00", 1))
GUILD_NAME = "the cozy corner"
GUILD_ICON = "7b2f4e9c1a0d83f56e2b9c4d1a7f03e8"
CATEGORY_ID = str(snowflake_at("2020-08-15T18:00:01", 1))
CATEGORY_NAME = "Text Channels"
ROLE_IDS = {
    "admin": str(snowflake_at("2020-08-15T18:00:02", 1)),
    "gremlin": str(snowflake_at("2020-08-15T18:00:02", 2)),
    "bots": str(snowflake_at("2020-08-15T18:00:02", 3)),
}
ROLE_POSITIONS = {"admin": 3, "bots": 2, "gremlin": 1}

# The persona's custom server emoji (used in her messages and as a reaction).
CUSTOM_EMOJI_NAME = "mochi_pat"
CUSTOM_EMOJI_ID = str(snowflake_at("2020-09-01T12:00:00", 1))
CUSTOM_EMOJI_RAW = f"<:{CUSTOM_EMOJI_NAME}:{CUSTOM_EMOJI_ID}>"


@dataclass(frozen=True)
class ChannelSpec:
    """One exported channel: its kind, who talks there, the topics that fit and its share of messages."""

    key: str
    id: str
    name: str
    kind: str  # "guild-text" | "thread" | "dm" | "group"
    members: tuple[str, ...]  # friends (and the bot) who talk here, besides Mika
    topics: tuple[str, ...]
    share: float
    topic_text: str | None = None
    media: bool = False  # exported as if with DCE --media: attachment files written beside it


CHANNELS = (
    ChannelSpec("general", str(snowflake_at("2020-08-15T18:00:03", 1)), "general", "guild-text",
                ("theo", "juno", "priya", "sam", "kai"),
                ("game_trailer", "food", "show", "stress", "pets", "music", "plans", "weather", "gym", "birthday"),
                0.36, topic_text="say hi 👋 be nice"),
    ChannelSpec("memes", str(snowflake_at("2020-08-15T18:00:04", 1)), "memes", "guild-text",
                ("juno", "priya", "sam"), ("memes",), 0.08, topic_text="no reposts (jk)"),
    ChannelSpec("gaming", str(snowflake_at("2020-08-15T18:00:05", 1)), "gaming", "guild-text",
                ("theo", "sam", "juno"), ("game_trailer", "game_night"), 0.10),
    ChannelSpec("thread", str(snowflake_at("2020-08-15T18:00:06", 1)), "minecraft server plans", "thread",
                ("theo", "sam", "juno"), ("minecraft",), 0.03),
    ChannelSpec("music", str(snowflake_at("2020-08-15T18:00:07", 1)), "music", "guild-text",
                ("priya", "juno", "theo", "jukebox"), ("music",), 0.05, topic_text="!play <song> to queue"),
    ChannelSpec("dm_theo", str(snowflake_at("2020-03-09T09:15:00", 4)), "Theo", "dm",
                ("theo",), ("show", "stress", "food", "plans", "sleep", "game_night"), 0.12),
    ChannelSpec("dm_priya", str(snowflake_at("2020-11-21T21:48:00", 6)), "Priya", "dm",
                ("priya",), ("pets", "show", "sleep", "food", "music", "stress", "plans"), 0.10, media=True),
    ChannelSpec("group", str(snowflake_at("2021-01-30T23:11:00", 8)), "chaos gremlins", "group",
                ("juno", "sam", "priya"), ("plans", "memes", "food", "sleep", "birthday", "game_night"), 0.16),
)
THREAD_PARENT = "gaming"


# -- Mika ---------------------------------------------------------------------------------------

MIKA_PREFIXES = ("ngl ", "lowkey ", "no bc ", "istg ")
MIKA_SUFFIXES = (" fr fr", " bestie", " 😭", " 💀", " ✨", " " + CUSTOM_EMOJI_RAW)
MIKA_GIFS = (  # the handful of Tenor GIFs she sends again and again
    "https://tenor.com/view/cat-vibing-cat-vibe-gif-18376235",
    "https://tenor.com/view/spongebob-tired-gif-13942651",
    "https://tenor.com/view/shocked-pikachu-gif-11263525",
    "https://tenor.com/view/crying-cat-sad-gif-20440617",
    "https://tenor.com/view/happy-dance-gif-25327842",
)
FRIEND_GIFS = {
    "juno": ("https://tenor.com/view/screaming-goat-gif-9180302", "https://tenor.com/view/dance-party-gif-14725639"),
    "priya": ("https://tenor.com/view/cute-bunny-gif-17624521", "https://tenor.com/view/heart-hands-gif-22081316"),
}


def mika_line(rng: random.Random, text: str) -> str:
    """Mika's way of writing: all lowercase, no full stops, signature words and emoji."""
    text = text.lower().rstrip(".!")
    r = rng.random()
    if r < 0.2 and not text.startswith(MIKA_PREFIXES[int(r / 0.05)].strip()):
        text = MIKA_PREFIXES[int(r / 0.05)] + text
    r = rng.random()
    if r < 0.3:
        text += MIKA_SUFFIXES[int(r / 0.05)]
    return text


def mika_line_subtle(rng: random.Random, text: str) -> str:
    """Mika written to differ from her friends only statistically (``shizu sample --style subtle``).

    Casing and punctuation like most people (sentence case kept most of the time, the final full
    stop dropped about half the time), and a few habits a reader would hardly notice: "honestly"
    and "tbh" more often than her friends, and now and then a 🙃. The easy sample's "unmistakable"
    style makes every metric look good; this one tests whether a metric can tell at all.
    """
    for prefix in MIKA_PREFIXES:  # her topic lines are written in her easy voice: take its signatures out
        if text.lower().startswith(prefix):
            text = text[len(prefix):]
    for suffix in MIKA_SUFFIXES:
        text = text.removesuffix(suffix)
    text = re.sub(r"\b(?:fr fr|bestie|ngl|lowkey|istg)\b ?", "", text).strip() or "ok"
    text = text[:1].upper() + text[1:]
    if rng.random() < 0.25:
        text = text[:1].lower() + text[1:]
    if rng.random() < 0.5:
        text = text.rstrip(".")
    r = rng.random()
    if r < 0.08:
        text = "honestly " + text[:1].lower() + text[1:]
    elif r < 0.12:
        text += " tbh"
    if rng.random() < 0.06:
        text += " 🙃"
    return text


PERSONA_STYLES = {"unmistakable": mika_line, "subtle": mika_line_subtle}  # how the persona writes, by sample style


# -- friends ------------------------------------------------------------------------------------

_I_RE = re.compile(r"\bi\b")


def theo_style(rng: random.Random, text: str) -> str:
    """Proper sentences: capitalised, 'I', full stops, the odd 'Honestly,'."""
    text = _I_RE.sub("I", text.replace("dont", "don't").replace("youre", "you're"))
    if rng.random() < 0.12:
        text = rng.choice(("Honestly, ", "To be fair, ", "Well, ")) + text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".?!" else text + "."


def juno_style(rng: random.Random, text: str) -> str:
    """ALL CAPS, stacked exclamation marks and laughter."""
    text = text.upper().rstrip(".")
    if text.endswith("?"):
        return text + "??"
    return text + rng.choice(("!!!", "!!", " LMAOOO", " 😂", "", "!!!!"))


_PRIYA_EMOJI = ("🥺", "💖", "🌸", "😩", "🫶", "💕", "🌷", "🥹")


def priya_style(rng: random.Random, text: str) -> str:
    """Soft lowercase with 'u'/'ur' and a trail of cute emoji."""
    text = text.lower().rstrip(".").replace("you're", "ur").replace("your ", "ur ").replace("you", "u")
    if rng.random() < 0.2:
        text = "omg " + text
    return text + " " + "".join(rng.sample(_PRIYA_EMOJI, rng.randint(2, 3)))


SAM_TERSE = ("lol", "ya", "fair", "same", "idk", "k", "true", "nah", "bet", "mood", "lmao", "oof", "sure", "ok")


def sam_style(rng: random.Random, text: str) -> str:
    """Terse: a few words at most, no capitals, no punctuation."""
    if len(text.split()) <= 5 and rng.random() < 0.6:
        return text.lower().rstrip(".!")
    return rng.choice(SAM_TERSE)


def kai_style(rng: random.Random, text: str) -> str:
    """The newcomer: friendly and a little formal."""
    text = _I_RE.sub("I", text)
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".?!" else text + "!"


STYLES: dict[str, Callable[[random.Random, str], str]] = {
    "theo": theo_style, "juno": juno_style, "priya": priya_style, "sam": sam_style, "kai": kai_style,
}
JUNO_EXTRA = ("NO WAY", "I'M SCREAMING", "STOP", "LMAOOOO", "HELP", "WAIT")
BURST_RANGE = {"mika": (2, 4), "theo": (1, 2), "juno": (1, 3), "priya": (1, 3), "sam": (1, 1), "kai": (1, 1)}
SPEAKER_WEIGHT = {"theo": 3.0, "juno": 3.0, "priya": 3.0, "sam": 2.0, "kai": 0.6}

# Fictional contact details (the 555-01xx range reserved for fiction, example.com) for the
# privacy filter to find.
PII = {
    "theo_phone": "(415) 555-0142",
    "theo_email": "theo.marsh@example.com",
    "mika_phone": "+1 312 555 0199",
    "mika_email": "mika.doodles@example.com",
}

# Jukebox, the music bot in #music.
SONGS = (
    "Laufey - From The Start", "Mitski - My Love Mine All Mine", "boygenius - Not Strong Enough",
    "beabadoobee - Glue Song", "Phoebe Bridgers - Motion Sickness", "lofi hip hop radio",
    "Fleetwood Mac - Dreams", "Tame Impala - The Less I Know The Better",
)
