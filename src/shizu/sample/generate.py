"""Simulate the sample's conversations and write them: DiscordChatExporter JSON under ``export/``
and the persona's own data package under ``package/``.

Everything is drawn from one seeded :class:`random.Random`, so a seed gives identical bytes. Each
channel is simulated as a series of sessions (hours apart, weighted towards evenings in the
exporter's time zone); a session picks a topic and alternates turns: Mika's turns are bursts of
2-4 messages seconds apart, friends answer in their own styles, with replies, GIFs, attachments,
mentions, edits, reactions, pins, calls, joins and a music bot. Channels are streamed to disk
session by session, so a million messages need little memory.
"""

from __future__ import annotations

import bisect
import hashlib
import io
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from msgspec import UNSET, UnsetType

from shizu.chat.discord_markup import DISCORD_EPOCH_MS, render_raw_markup
from shizu.errors import ShizuError
from shizu.sample import cast, dce, facts
from shizu.sample.cast import MIKA, ChannelSpec, Person
from shizu.sample.facts import Exchange, FactLog, Question, Statement
from shizu.sample.package import PackageRow, write_json, write_messages
from shizu.sample.topics import FRIEND_GENERIC, MIKA_GENERIC, TOPICS, Topic

MIN_MESSAGES = 200
SECOND = 1000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR

EXPORT_ZONE = timezone(timedelta(hours=9))  # the exporter's local zone (DCE 2.41+ writes local offsets)
EXPORT_OFFSET = "+09:00"
END_MS = int(datetime(2025, 11, 20, tzinfo=UTC).timestamp() * 1000)  # last sessions end around here
EXPORTED_AT_MS = END_MS + 3 * DAY + 14 * HOUR + 7 * MINUTE + 31_123
PACKAGE_AT_MS = EXPORTED_AT_MS + 2 * DAY  # the data package was requested a little later

# Relative chat activity per local hour (busy evenings, quiet early mornings).
_HOUR_WEIGHTS = (3, 2, 1, .3, .2, .2, .2, .3, .5, 1, 1.5, 2, 2.5, 2, 2, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5, 4)
_CUMULATIVE = [0.0]
for _w in _HOUR_WEIGHTS:
    _CUMULATIVE.append(_CUMULATIVE[-1] + _w / sum(_HOUR_WEIGHTS))

# Session sizes (messages) per channel kind.
_SESSION_SIZE = {"guild-text": (6, 30), "thread": (4, 18), "dm": (4, 22), "group": (5, 26), "music": (6, 16)}

_UNICODE_EMOJI = (("😭", "sob", "1f62d"), ("💀", "skull", "1f480"), ("😂", "joy", "1f602"),
                  ("❤️", "heart", "2764"), ("👍", "thumbsup", "1f44d"), ("🔥", "fire", "1f525"))
_MIKA_FILES = ("image.png", "IMG_4821.png", "IMG_5307.png", "Screenshot_20240611-231402.png", "mochi.png")
_FRIEND_FILES = ("image.png", "unknown.png", "meme.png", "photo.png")


@dataclass(frozen=True)
class SampleInfo:
    """What :func:`write_sample` wrote: the persona, the counts and every file."""

    persona_id: str
    persona_name: str
    export_dir: Path
    package_dir: Path
    messages: int  # every message in the export (all authors, system and bot messages included)
    persona_messages: int  # the persona's own non-system messages (= the data package's messages)
    channel_messages: dict[str, int]  # channel id -> messages in the export
    export_files: tuple[Path, ...]
    package_files: tuple[Path, ...]
    media_files: tuple[Path, ...]  # attachment files written beside the --media channel
    facts_file: Path  # facts.json: the persona's stable facts, where they are said and asked
    seed: int = 0


def write_sample(
    out_dir: Path, *, messages: int = 3000, seed: int = 0, max_messages_per_file: int | None = None, style: str = "unmistakable"
) -> SampleInfo:
    """Write a sample DCE JSON export (``out_dir/export``), data package (``out_dir/package``) and the
    facts it plants (``out_dir/facts.json``, see :mod:`shizu.sample.facts`).

    ``messages`` is the exact number of messages in the export; ``max_messages_per_file``
    partitions each channel into ``[part N]`` files like DCE's ``--partition``. ``style``: how Mika
    writes (:data:`shizu.sample.cast.PERSONA_STYLES`: ``unmistakable``, the default, or ``subtle``). Both folders must
    be empty or absent (a :class:`ShizuError` otherwise), so files of an earlier sample never mix in.
    """
    if messages < MIN_MESSAGES:
        raise ValueError(f"messages must be at least {MIN_MESSAGES} (got {messages})")
    if max_messages_per_file is not None and max_messages_per_file < 1:
        raise ValueError(f"max_messages_per_file must be at least 1 (got {max_messages_per_file})")
    out_dir = Path(out_dir)
    export_dir = out_dir / "export"
    package_dir = out_dir / "package"
    for folder in (export_dir, package_dir):
        if folder.is_dir() and any(folder.iterdir()):
            raise ShizuError(
                f"{folder} already holds files", hint="Pick an empty OUT_DIR, or pass --force to replace the sample."
            )
    export_dir.mkdir(parents=True, exist_ok=True)
    if style not in cast.PERSONA_STYLES:
        raise ValueError(f"style must be one of {', '.join(cast.PERSONA_STYLES)} (got {style!r})")
    state = _SampleState(random.Random(seed), export_dir, package_dir / "Messages", messages, max_messages_per_file)
    state.mika_line = cast.PERSONA_STYLES[style]
    counts: dict[str, int] = {}
    for spec, quota in zip(cast.CHANNELS, _quotas(messages), strict=True):
        counts[spec.id] = _ChannelSim(state, spec).run(quota)
    package_files = _write_package_metadata(package_dir, state.package_channels)
    facts_file = out_dir / "facts.json"
    state.facts.write(facts_file, MIKA.id, seed, state.clock.dce(state.questions_from))
    return SampleInfo(
        persona_id=MIKA.id,
        persona_name=MIKA.display_name,
        export_dir=export_dir,
        package_dir=package_dir,
        messages=sum(counts.values()),
        persona_messages=state.persona_messages,
        channel_messages=counts,
        export_files=tuple(state.export_files),
        package_files=tuple(sorted(state.package_files + package_files)),
        media_files=tuple(state.media_files),
        facts_file=facts_file,
        seed=seed,
    )


def _quotas(total: int) -> list[int]:
    """Messages per channel: the channel shares of ``total``, largest remainders first."""
    exact = [spec.share * total for spec in cast.CHANNELS]
    quotas = [int(x) for x in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: (-(exact[i] - quotas[i]), i))
    for i in by_remainder[: total - sum(quotas)]:
        quotas[i] += 1
    return quotas


class _Clock:
    """Timestamps as DCE writes them: local offset, milliseconds with trailing zeros trimmed."""

    _FRACTIONS = [""] + ["." + f"{i:03d}".rstrip("0") for i in range(1, 1000)]

    def __init__(self) -> None:
        self._minute = -1
        self._prefix = ""

    def dce(self, ms: int) -> str:
        minute, rest = divmod(ms, MINUTE)
        if minute != self._minute:
            self._minute = minute
            self._prefix = datetime.fromtimestamp(minute * 60, EXPORT_ZONE).strftime("%Y-%m-%dT%H:%M:")
        second, milli = divmod(rest, SECOND)
        return f"{self._prefix}{second:02d}{self._FRACTIONS[milli]}{EXPORT_OFFSET}"


def _avatar_url(person: Person) -> str:
    return f"https://cdn.discordapp.com/avatars/{person.id}/{person.avatar_hash}.png?size=512"


def _users(kind: str, with_roles: bool) -> dict[str, dce.User]:
    """Each person as DCE writes them in a channel of ``kind`` (roles and colours only in the server)."""
    guild = kind in ("guild-text", "thread")
    out = {}
    for p in cast.PEOPLE:
        roles = (
            (dce.Role(cast.ROLE_IDS[p.role], p.role, p.color, cast.ROLE_POSITIONS[p.role]),)
            if guild and p.role else ()
        )
        out[p.key] = dce.User(
            p.id, p.username, p.discriminator, p.display_name, p.color if guild else None, p.is_bot,
            roles if with_roles else UNSET, _avatar_url(p),
        )
    return out


def _gif_embed(url: str) -> dce.Embed:
    """The embed Discord attaches to a Tenor link (DCE 2.46.1+: proxy url + canonical url)."""
    slug = url.rsplit("/", 1)[1]
    media_id = hashlib.sha256(url.encode()).hexdigest()[:16]
    media = f"https://media.tenor.com/{media_id}/{slug}"
    proxy = f"https://images-ext-1.discordapp.net/external/{media_id}/https/media.tenor.com/{media_id}/{slug}"
    return dce.Embed(
        title="", url=url, timestamp=None, description="",
        thumbnail=dce.Image(proxy + ".png", media + ".png", 498, 280),
        video=dce.Image(proxy + ".mp4", media + ".mp4", 498, 280),
    )


_GIF_EMBEDS = {url: _gif_embed(url) for url in cast.MIKA_GIFS + sum(cast.FRIEND_GIFS.values(), ())}
_CUSTOM_EMOJI = dce.Emoji(
    cast.CUSTOM_EMOJI_ID, cast.CUSTOM_EMOJI_NAME, cast.CUSTOM_EMOJI_NAME, False,
    f"https://cdn.discordapp.com/emojis/{cast.CUSTOM_EMOJI_ID}.png",
)
_REACTION_EMOJI = tuple(
    dce.Emoji("", char, code, False, f"https://cdn.jsdelivr.net/gh/twitter/twemoji@latest/assets/svg/{svg}.svg")
    for char, code, svg in _UNICODE_EMOJI
)
_NAMES = {p.id: p.display_name for p in cast.PEOPLE}


def _tiny_pngs() -> list[bytes]:
    """A few 8x8 solid-colour PNGs, the attachment files of the --media channel."""
    from PIL import Image

    out = []
    for colour in ((244, 127, 255), (52, 152, 219), (230, 126, 34), (46, 204, 113), (255, 143, 171)):
        buf = io.BytesIO()
        Image.new("RGB", (8, 8), colour).save(buf, "PNG")
        out.append(buf.getvalue())
    return out


class _SampleState:
    """State shared by every channel of one sample: randomness, ids, output locations, totals."""

    def __init__(
        self, rng: random.Random, export_dir: Path, messages_dir: Path, total: int, max_per_file: int | None
    ) -> None:
        self.rng = rng
        self.export_dir = export_dir
        self.messages_dir = messages_dir
        self.max_per_file = max_per_file
        self.clock = _Clock()
        self.counter = 0
        self.span = min(1100, max(60, total // 300)) * DAY
        self.start_ms = END_MS - self.span
        self.statements_until = self.start_ms + int(facts.STATEMENTS_UNTIL * self.span)
        self.questions_from = self.start_ms + int(facts.QUESTIONS_FROM * self.span)
        self.facts = FactLog()
        self.thread_created_ms = 0
        self.persona_messages = 0
        self.export_files: list[Path] = []
        self.package_files: list[Path] = []
        self.media_files: list[Path] = []
        self.package_channels: list[ChannelSpec] = []
        self._pngs: list[bytes] | None = None
        self.mika_line = cast.mika_line  # how the persona writes (the sample's style)

    def snowflake(self, ms: int) -> str:
        self.counter += 1
        return str(((ms - DISCORD_EPOCH_MS) << 22) | (self.counter & 0x3FFFFF))

    def png(self) -> bytes:
        if self._pngs is None:
            self._pngs = _tiny_pngs()
        return self._pngs[self.counter % len(self._pngs)]


class _ChannelSim:
    """Simulates one channel and streams it to its DCE file(s) and package folder."""

    def __init__(self, state: _SampleState, spec: ChannelSpec) -> None:
        self.state = state
        self.rng = state.rng
        self.spec = spec
        self.users = _users(spec.kind, with_roles=True)
        self.reaction_users = _users(spec.kind, with_roles=False)
        self.in_guild = spec.kind in ("guild-text", "thread")
        self.guild_id = cast.GUILD_ID if self.in_guild else None
        self.rows: list[PackageRow] = []
        self.buffer: list[dce.Message] = []
        self.count = 0
        self.kai_joined = False
        self.pinned = self.called = self.rolled = self.attached = False  # each channel shows these once at least
        self.file_base, preamble = self._preamble()
        self.file = dce.ChannelFile(state.export_dir, self.file_base, preamble, state.max_per_file)
        self.media_dir = state.export_dir / (self.file_base + "_Files") if spec.media else None

    # -- file layout ----------------------------------------------------------------------------

    def _preamble(self) -> tuple[str, dce.Preamble]:
        spec = self.spec
        exported_at = self.state.clock.dce(EXPORTED_AT_MS)
        if self.in_guild:
            guild = dce.Guild(cast.GUILD_ID, cast.GUILD_NAME,
                              f"https://cdn.discordapp.com/icons/{cast.GUILD_ID}/{cast.GUILD_ICON}.png?size=512")
            if spec.kind == "thread":
                parent = next(c for c in cast.CHANNELS if c.key == cast.THREAD_PARENT)
                channel = dce.Channel(spec.id, "GuildPublicThread", parent.id, parent.name, spec.name, None)
                name = dce.file_name(cast.GUILD_NAME, parent.name, spec.name, spec.id)
            else:
                channel = dce.Channel(spec.id, "GuildTextChat", cast.CATEGORY_ID, cast.CATEGORY_NAME, spec.name,
                                      spec.topic_text)
                name = dce.file_name(cast.GUILD_NAME, cast.CATEGORY_NAME, spec.name, spec.id)
        else:
            guild = dce.Guild("0", "Direct Messages", "https://cdn.discordapp.com/embed/avatars/0.png")
            kind = "DirectTextChat" if spec.kind == "dm" else "DirectGroupTextChat"
            channel = dce.Channel(spec.id, kind, None, None, spec.name, None)
            name = dce.file_name("Direct Messages", None, spec.name, spec.id)
        return name, dce.Preamble(guild, channel, dce.DateRange(), exported_at)

    # -- the channel's life ---------------------------------------------------------------------

    def run(self, quota: int) -> int:
        """Write exactly ``quota`` messages to the channel's file(s) and package folder; returns it."""
        rng, spec, state = self.rng, self.spec, self.state
        start = state.thread_created_ms + 30 * SECOND if spec.kind == "thread" else state.start_ms
        prelude = self._prelude()
        sizes = self._plan(quota - len(prelude) - (spec.key in ("general", cast.THREAD_PARENT)))
        for i, (key, kind, text, mentioned) in enumerate(prelude):
            self._add(key, start - (len(prelude) - i) * DAY + rng.randrange(HOUR), text, kind=kind,
                      mentions=tuple(self.users[k] for k in mentioned))
        kai_at = int(len(sizes) * 0.4) if spec.key == "general" else -1
        thread_at = int(len(sizes) * 0.15) if spec.key == cast.THREAD_PARENT else -1
        t = start
        schedule = self._schedule(len(sizes), start, END_MS)
        exchanges = self._fact_sessions(sizes, schedule)
        for i, (size, planned) in enumerate(zip(sizes, schedule, strict=True)):
            t0 = max(planned, t + 40 * MINUTE + int(rng.expovariate(1 / (20 * MINUTE))))
            if i == kai_at:
                self._add("kai", t0 - 2 * MINUTE, "Joined the server.", kind="GuildMemberJoin")
                self.kai_joined = True
            if i == thread_at:
                thread = next(c for c in cast.CHANNELS if c.kind == "thread")
                state.thread_created_ms = t0 - MINUTE
                self._add("theo", t0 - MINUTE, "Started a thread.", kind="ThreadCreated",
                          reference=dce.Reference("Default", None, thread.id, cast.GUILD_ID))
            if spec.key == "music":
                t = self._music_session(t0, size)
            elif i in exchanges:
                t = self._chat_session(t0, size, exchanges[i][0].topic, exchanges[i])
            else:
                t = self._chat_session(t0, size, self._topic(i))
            self.file.write(self.buffer)
            self.buffer = []
        self.file.close()
        state.export_files.extend(self.file.paths)
        self._write_package()
        return self.count

    def _prelude(self) -> list[tuple[str, str, str, tuple[str, ...]]]:
        """System messages from the channel's beginning (author, type, DCE's text, mentioned): joins,
        the group DM being set up."""
        if self.spec.key == "general":
            return [(k, "GuildMemberJoin", "Joined the server.", ()) for k in ("sam", "juno", "mika", "priya")]
        if self.spec.kind == "group":
            return [("juno", "RecipientAdd", "Added Sam to the group.", ("sam",)),
                    ("juno", "ChannelNameChange", f"Changed the channel name: {self.spec.name}", ())]
        return []

    def _topic(self, i: int) -> str:
        """The session's topic; the first DM with Theo swaps contact details (PII for the privacy filter)."""
        if self.spec.key == "dm_theo" and i == 0:
            return "contacts"
        return self.rng.choice(self.spec.topics)

    def _plan(self, budget: int) -> list[int]:
        """Session sizes summing to ``budget`` exactly."""
        lo, hi = _SESSION_SIZE["music" if self.spec.key == "music" else self.spec.kind]
        sizes: list[int] = []
        while budget > 0:
            size = min(budget, self.rng.randint(lo, hi))
            if size < 3 and sizes:
                sizes[-1] += size
            else:
                sizes.append(size)
            budget -= size
        return sizes

    def _fact_sessions(self, sizes: list[int], schedule: list[int]) -> dict[int, tuple[Exchange, bool]]:
        """The sessions that bring up a fact (:mod:`shizu.sample.facts`), by index: (exchange, held out).

        The channel's statements are spread evenly over its sessions planned before
        ``statements_until`` (the first session aside: the DM with Theo swaps contacts there); its
        questions about facts said here take its last sessions planned from ``questions_from`` on.
        """
        state, key = self.state, self.spec.key
        early = [i for i, (n, at) in enumerate(zip(sizes, schedule)) if i and n >= 3 and at < state.statements_until]
        stated = facts.STATED.get(key, ())[: len(early)]
        out = {early[(2 * j + 1) * len(early) // (2 * len(stated))]: (ex, False) for j, ex in enumerate(stated)}
        said = {ex.fact for ex in stated}
        late = [i for i, (n, at) in enumerate(zip(sizes, schedule)) if n >= 3 and at >= state.questions_from]
        asked = [ex for ex in facts.ASKED.get(key, ()) if ex.fact in said][: len(late)]
        out.update({i: (ex, True) for i, ex in zip(late[len(late) - len(asked):], asked, strict=True)})
        return out

    def _schedule(self, n: int, start: int, end: int) -> list[int]:
        """``n`` session start times spread over [start, end), denser in the local evening."""
        offset = 9 * HOUR
        midnight = (start + offset) // DAY * DAY - offset
        first_day = (start - midnight) / DAY
        days = (end - midnight) / DAY - first_day
        out = []
        for i in range(n):
            p = first_day + days * (i + self.rng.uniform(0, 0.7)) / n
            day = int(p)
            u = p - day
            h = bisect.bisect_right(_CUMULATIVE, u) - 1
            hour = h + (u - _CUMULATIVE[h]) / (_CUMULATIVE[h + 1] - _CUMULATIVE[h])
            out.append(midnight + day * DAY + int(hour * HOUR))
        return out

    # -- sessions -------------------------------------------------------------------------------

    def _friends(self) -> list[str]:
        """Who besides Mika takes part in a session: the DM partner, or 2-3 members."""
        members = [k for k in self.spec.members if k != "jukebox" and (k != "kai" or self.kai_joined)]
        if len(members) == 1:
            return members
        picked = []
        for k in self.rng.choices(members, [cast.SPEAKER_WEIGHT[k] for k in members], k=3):
            if k not in picked:
                picked.append(k)
        if len(picked) == 1:
            picked.append(next(k for k in members if k != picked[0]))
        return picked

    def _next_speaker(
        self, prev: str, remaining: int, first: bool, mika_in: bool, friends: list[str]
    ) -> tuple[str, int]:
        """The next turn's speaker and burst length: Mika never twice in a row, her bursts 2-4."""
        rng = self.rng
        others = [f for f in friends if f != prev and not (first and f == "sam")]  # Sam never starts a topic
        if mika_in and prev != "mika" and remaining >= 2 and (
            not others or rng.random() < (0.35 if first else 0.65)
        ):
            return "mika", min(remaining, rng.randint(2, 4))
        others = others or friends
        speaker = rng.choices(others, [cast.SPEAKER_WEIGHT[f] for f in others])[0]
        return speaker, min(remaining, rng.randint(*cast.BURST_RANGE[speaker]))

    def _chat_session(self, t: int, n: int, topic_key: str, fact: tuple[Exchange, bool] | None = None) -> int:
        """A conversation of exactly ``n`` messages starting at ``t``; returns when it ended. ``fact``:
        the exchange it opens with, and whether that is a held-out question."""
        rng, spec = self.rng, self.spec
        topic = TOPICS[topic_key]
        slots = {k: rng.choice(v) for k, v in topic.slots.items()} | cast.PII
        friends = self._friends()
        if fact and fact[0].asker and fact[0].asker not in friends:
            friends[0] = fact[0].asker
        mika_in = fact is not None or spec.kind in ("dm", "group") or rng.random() < 0.85
        # The first session that can have a pin (a call) gets one, so even small samples show them.
        pin = n >= 6 and spec.key in ("general", "group") and (not self.pinned or rng.random() < 0.04)
        call = n >= 4 and spec.kind == "dm" and (not self.called or rng.random() < 0.04)
        self.pinned |= pin
        self.called |= call
        remaining = n - pin - call
        used: set[str] = set()
        session: list[dce.Message] = []
        prev = ""
        if fact:
            t = self._fact_exchange(*fact, topic, slots, used, session, t, remaining)
            remaining -= len(session)
            prev = "mika"
        while remaining:
            speaker, k = self._next_speaker(prev, remaining, not session, mika_in, friends)
            t = self._turn(speaker, k, topic, slots, used, session, t, mika_in)
            remaining -= k
            prev = speaker
        if pin:
            t += rng.randrange(30 * SECOND, 2 * MINUTE)
            target = rng.choice(session)
            target.is_pinned = True
            self._add("theo" if self.in_guild else "juno", t, "Pinned a message.", kind="ChannelPinnedMessage",
                      reference=dce.Reference("Default", target.id, spec.id, self.guild_id))
        if call:
            t += rng.randrange(MINUTE, 5 * MINUTE)
            minutes = rng.randint(3, 95)
            ended = t + minutes * MINUTE + rng.randrange(29 * SECOND)
            self._add(rng.choice(("mika", spec.members[0])), t, f"Started a call that lasted {minutes} minutes.",
                      kind="Call", call_ended=ended)
            t = ended
        return t

    def _fact_exchange(
        self, exchange: Exchange, held_out: bool, topic: Topic, slots: dict[str, str], used: set[str],
        session: list[dce.Message], t: int, remaining: int,
    ) -> int:
        """A session's opening about a fact: the friend's question (if any), then Mika's burst led by
        the fact's line; logged in the sample's :class:`FactLog`."""
        question = None
        if exchange.asker:
            t = self._turn(exchange.asker, 1, topic, slots, used, session, t, True, lead=exchange.question)
            question = session[-1]
        k = min(remaining - 1, self.rng.randint(2, 4))  # a friend answers her (or, if asked, she may end it)
        t = self._turn("mika", k, topic, slots, used, session, t, True, lead=exchange.answer)
        answer = session[-k:]
        log = self.state.facts
        if held_out and question is not None:  # every held-out exchange is a question
            log.questions[exchange.fact].append(Question(
                question.id, self.spec.id, question.author.id, question.timestamp, tuple(m.id for m in answer)))
        else:
            log.statements[exchange.fact].append(Statement(
                answer[0].id, self.spec.id, answer[0].timestamp, question.id if question else None))
        return t

    def _music_session(self, t: int, n: int) -> int:
        """#music: people queue songs with ``!play`` (Jukebox answers) and chat about them."""
        rng = self.rng
        topic = TOPICS["music"]
        slots = {k: rng.choice(v) for k, v in topic.slots.items()}
        friends = self._friends()
        used: set[str] = set()
        session: list[dce.Message] = []
        prev, playing, remaining = "", "", n
        while remaining:
            if remaining >= 2 and (not session or rng.random() < 0.4):
                invoker = rng.choice([k for k in ("mika", *friends) if k != prev])
                if playing and rng.random() < 0.3:
                    command = rng.choice(("!skip", "!queue"))
                else:
                    playing = rng.choice(cast.SONGS)
                    command = "!play " + playing
                t += rng.randrange(5 * SECOND, 40 * SECOND)
                session.append(self._add(invoker, t, command.lower() if invoker == "mika" else command))
                t += rng.randrange(800, 2500)
                session.append(self._bot_reply(t, command, playing))
                remaining -= 2
                prev = invoker
            elif not self.rolled or rng.random() < 0.06:
                self.rolled = True
                invoker = rng.choice(friends)
                t += rng.randrange(5 * SECOND, 40 * SECOND)
                user = self.users[invoker]
                session.append(self._add(
                    "jukebox", t, f"🎲 {user.nickname} rolled **{rng.randint(1, 20)}** (1-20)", kind="20",
                    interaction=dce.Interaction(self.state.snowflake(t), "roll", user)))
                remaining -= 1
                prev = ""
            else:
                speaker, k = self._next_speaker(prev, remaining, not session, True, friends)
                t = self._turn(speaker, k, topic, slots, used, session, t, True)
                remaining -= k
                prev = speaker
        return t

    def _bot_reply(self, t: int, command: str, playing: str) -> dce.Message:
        if command == "!skip":
            return self._add("jukebox", t, "⏭️ Skipped.")
        if command == "!queue":
            queue = "\n".join(f"{i}. **{song}**" for i, song in enumerate(self.rng.sample(cast.SONGS, 3), 1))
            embed = dce.Embed(title="Queue", url=None, timestamp=None, description=queue, color="#9B59B6")
            return self._add("jukebox", t, "", embeds=(embed,))
        length = self.rng.randint(140, 320)
        return self._add("jukebox", t, f"🎶 Now playing: **{playing}** `[{length // 60}:{length % 60:02d}]`")

    def _turn(
        self, speaker: str, k: int, topic: Topic, slots: dict[str, str], used: set[str],
        session: list[dce.Message], t: int, mika_in: bool, lead: str = "",
    ) -> int:
        """Write one speaker's burst of ``k`` messages (maybe replying to or mentioning someone).
        ``lead``: the burst's first line as written, no media or mention in its place (a friend's is
        then the whole burst)."""
        rng, spec = self.rng, self.spec
        first = not session
        if speaker == "mika":
            drafts = self._mika_lines(topic, slots, k, first, used, lead)
        elif lead:
            drafts = [(cast.STYLES[speaker](rng, lead), None, None)]
        else:
            drafts = self._friend_lines(speaker, topic, slots, k, first, used)
        reply = None
        if session and rng.random() < 0.2:
            reply = session[-1] if rng.random() < 0.7 else rng.choice(session)
            if reply.author.is_bot:
                reply = None
        if not first:
            t += rng.randrange(6 * SECOND, 45 * SECOND)
            if rng.random() < 0.12:
                t += rng.randrange(MINUTE, 8 * MINUTE)
        for j, (text, gif, attach) in enumerate(drafts):
            if j:
                t += rng.randrange(1200, 7 * SECOND) if speaker == "mika" else rng.randrange(2500, 14 * SECOND)
            mentions: tuple[dce.User, ...] = ()
            ref = dce.Reference("Default", reply.id, spec.id, self.guild_id) if j == 0 and reply else None
            if j == 0 and gif is None and not lead and self.in_guild and rng.random() < 0.06:
                target = "mika" if speaker != "mika" and mika_in else rng.choice(
                    [f for f in self.spec.members if f not in (speaker, "jukebox", "kai")])
                text = f"<@{cast.BY_KEY[target].id}> {text}".rstrip()
                mentions = (self.users[target],)
            elif ref and reply.author.id != cast.BY_KEY[speaker].id and rng.random() < 0.5:
                mentions = (reply.author,)  # a reply that pings its target
            session.append(self._add(speaker, t, text, kind="Reply" if ref else "Default", reference=ref,
                                     gif=gif, attach=attach, mentions=mentions))
        return t

    def _pick(self, pool: tuple[str, ...], used: set[str], spare: tuple[str, ...]) -> str:
        """A line from ``pool`` not yet said in this session, else from ``spare``, else any."""
        fresh = [line for line in pool if line not in used] or [line for line in spare if line not in used]
        line = self.rng.choice(fresh or pool)
        used.add(line)
        return line

    def _mika_lines(
        self, topic: Topic, slots: dict[str, str], k: int, first: bool, used: set[str], lead: str = ""
    ) -> list[tuple[str, str | None, str | None]]:
        """Mika's burst as (text, gif url, attachment name): a lead line (``lead`` if given, then never
        replaced by media), follow-ups, now and then media."""
        rng = self.rng
        if lead:
            opener = lead
        elif first:
            opener = self._pick(topic.mika_open, used, MIKA_GENERIC)
        else:
            opener = self._pick(topic.mika_react if rng.random() < 0.6 else MIKA_GENERIC, used, MIKA_GENERIC)
        lines = [opener] + [self._pick(topic.mika_more, used, MIKA_GENERIC) for _ in range(k - 1)]
        drafts: list[tuple[str, str | None, str | None]] = [
            (self.state.mika_line(rng, line.format_map(slots)), None, _picture(line, _MIKA_FILES)) for line in lines
        ]
        if rng.random() < (0.3 if topic.media_heavy else 0.12):
            url = rng.choice(cast.MIKA_GIFS)
            drafts[rng.randrange(1, k)] = (url, url, None)
        if rng.random() < (0.25 if topic.media_heavy else 0.04) or (self.media_dir and not self.attached):
            j = rng.randrange(1 if lead else 0, k)
            if drafts[j][1] is None:
                drafts[j] = ("" if rng.random() < 0.6 else drafts[j][0], None, rng.choice(_MIKA_FILES))
        self.attached |= any(d[2] for d in drafts)
        return drafts

    def _friend_lines(
        self, speaker: str, topic: Topic, slots: dict[str, str], k: int, first: bool, used: set[str]
    ) -> list[tuple[str, str | None, str | None]]:
        """A friend's burst in their own style, sometimes with a GIF or a picture."""
        rng = self.rng
        style = cast.STYLES[speaker]
        drafts: list[tuple[str, str | None, str | None]] = []
        for j in range(k):
            if j == 0 and first:
                line = self._pick(topic.friend_open, used, FRIEND_GENERIC)
                drafts.append((style(rng, line.format_map(slots)), None, _picture(line, _FRIEND_FILES)))
                continue
            elif speaker == "juno" and j and rng.random() < 0.5:
                text = rng.choice(cast.JUNO_EXTRA)
            else:
                pool = FRIEND_GENERIC if j == 0 and rng.random() < 0.35 else topic.friend_more
                text = style(rng, self._pick(pool, used, FRIEND_GENERIC).format_map(slots))
            drafts.append((text, None, None))
        gifs = cast.FRIEND_GIFS.get(speaker)
        if gifs and rng.random() < (0.2 if topic.media_heavy else 0.05):
            url = rng.choice(gifs)
            drafts[-1] = (url, url, None)
        if drafts[0][1] is None and rng.random() < (0.3 if topic.media_heavy and first else 0.03):
            drafts[0] = (drafts[0][0] if rng.random() < 0.5 else "", None, rng.choice(_FRIEND_FILES))
        return drafts

    # -- messages -------------------------------------------------------------------------------

    def _add(
        self, key: str, ms: int, raw: str, *, kind: str = "Default", reference: dce.Reference | None = None,
        gif: str | None = None, attach: str | None = None, mentions: tuple[dce.User, ...] = (),
        embeds: tuple[dce.Embed, ...] = (), call_ended: int | None = None,
        interaction: dce.Interaction | UnsetType = UNSET,
    ) -> dce.Message:
        """One message by ``key`` at ``ms``; ``raw`` is what was typed (DCE gets it rendered)."""
        rng, state = self.rng, self.state
        mid = state.snowflake(ms)
        system = kind not in ("Default", "Reply", "20")
        content, inline = raw, ()
        if "<" in raw:
            content = render_raw_markup(raw, _NAMES)
            if cast.CUSTOM_EMOJI_RAW in raw:
                inline = (_CUSTOM_EMOJI,)
        attachments, package_url = (), ""
        if attach:
            attachment, package_url = self._attachment(ms, attach)
            attachments = (attachment,)
        if gif:
            embeds = (_GIF_EMBEDS[gif],)
        edited, reactions = None, ()
        if not system and key != "jukebox":
            if rng.random() < 0.04:
                edited = state.clock.dce(ms + rng.randrange(5 * SECOND, 5 * MINUTE))
            if rng.random() < 0.07:
                reactions = (self._reaction(key),)
        msg = dce.Message(
            mid, kind, state.clock.dce(ms), edited, state.clock.dce(call_ended) if call_ended else None, False,
            content, self.users[key], attachments, embeds, (), reactions, mentions,
            reference if reference else UNSET, interaction, inline,
        )
        self.buffer.append(msg)
        self.count += 1
        if key == "mika" and not system:
            self.rows.append(PackageRow(int(mid), ms, raw, package_url))
        return msg

    def _reaction(self, author: str) -> dce.Reaction:
        rng = self.rng
        members = [k for k in ("mika", *self.spec.members)
                   if k not in (author, "jukebox") and (k != "kai" or self.kai_joined)]
        users = rng.sample(members, min(len(members), rng.randint(1, 3)))
        emoji = _CUSTOM_EMOJI if self.in_guild and rng.random() < 0.2 else rng.choice(_REACTION_EMOJI)
        return dce.Reaction(emoji, len(users), tuple(self.reaction_users[u] for u in users))

    def _attachment(self, ms: int, filename: str) -> tuple[dce.Attachment, str]:
        """The export's attachment (a local file in the --media channel) and the package's signed URL."""
        state = self.state
        att_id = state.snowflake(ms)
        base = f"https://cdn.discordapp.com/attachments/{self.spec.id}/{att_id}/{filename}"
        package_url = self._signed(base, PACKAGE_AT_MS)
        if self.media_dir is None:
            return dce.Attachment(att_id, self._signed(base, EXPORTED_AT_MS), filename,
                                  self.rng.randrange(40_000, 3_500_000)), package_url
        data = state.png()
        stem, ext = filename.rsplit(".", 1)
        local = f"{stem[:42]}-{hashlib.sha256(base.encode()).hexdigest()[:16]}.{ext}"
        self.media_dir.mkdir(exist_ok=True)
        (self.media_dir / local).write_bytes(data)
        state.media_files.append(self.media_dir / local)
        return dce.Attachment(att_id, f"{self.media_dir.name}/{local}", filename, len(data)), package_url

    def _signed(self, url: str, at_ms: int) -> str:
        """A CDN link with Discord's expiring signature (``ex``/``is``/``hm``)."""
        issued = at_ms // 1000
        return f"{url}?ex={issued + 86400:08x}&is={issued:08x}&hm={self.rng.getrandbits(256):064x}&"

    # -- the data package -----------------------------------------------------------------------

    def _write_package(self) -> None:
        """``Messages/c<id>/`` with channel.json and Mika's messages, if she wrote any here."""
        if not self.rows:
            return
        folder = self.state.messages_dir / f"c{self.spec.id}"
        write_json(folder / "channel.json", _package_channel(self.spec))
        write_messages(folder / "messages.json", self.rows)
        self.state.package_files += [folder / "channel.json", folder / "messages.json"]
        self.state.persona_messages += len(self.rows)
        self.state.package_channels.append(self.spec)


def _picture(line: str, files: tuple[str, ...]) -> str | None:
    """"look at ..." lines come with the picture they talk about."""
    return files[len(line) % len(files)] if line.startswith("look at") else None


def _package_channel(spec: ChannelSpec) -> dict:
    """channel.json as 2025 packages write it (string ``type``)."""
    members = [cast.BY_KEY[k].id for k in spec.members if k != "jukebox"]
    if spec.kind == "dm":
        return {"id": spec.id, "type": "DM", "recipients": [MIKA.id, *members]}
    if spec.kind == "group":
        return {"id": spec.id, "type": "GROUP_DM", "name": spec.name, "recipients": [MIKA.id, *members]}
    kind = "PUBLIC_THREAD" if spec.kind == "thread" else "GUILD_TEXT"
    return {"id": spec.id, "type": kind, "name": spec.name, "guild": {"id": cast.GUILD_ID, "name": cast.GUILD_NAME}}


def _index_label(spec: ChannelSpec) -> str:
    if spec.kind == "dm":
        return f"Direct Message with {cast.BY_KEY[spec.members[0]].username}"
    if spec.kind == "group":
        return spec.name
    return f"{spec.name} in {cast.GUILD_NAME}"


def _write_package_metadata(package_dir: Path, channels: list[ChannelSpec]) -> list[Path]:
    """``Messages/index.json`` (with a null entry, as real ones have) and ``Account/user.json``."""
    index: dict[str, str | None] = {spec.id: _index_label(spec) for spec in channels}
    index[str(cast.snowflake_at("2021-05-02T20:00:00", 3))] = None  # a channel she has lost access to
    index_path = package_dir / "Messages" / "index.json"
    write_json(index_path, index)
    friends = [p for p in cast.PEOPLE if p.key not in ("mika", "jukebox")]
    user = {
        "id": MIKA.id,
        "username": MIKA.username,
        "discriminator": 0,
        "global_name": MIKA.display_name,
        "email": cast.PII["mika_email"],
        "verified": True,
        "avatar_hash": MIKA.avatar_hash,
        "has_mobile": True,
        "needs_email_verification": False,
        "premium_until": None,
        "flags": 0,
        "phone": None,
        "temp_banned_until": None,
        "relationships": [
            {"id": p.id, "type": 1, "nickname": None,
             "user": {"id": p.id, "username": p.username, "global_name": p.display_name,
                      "avatar": p.avatar_hash, "discriminator": "0"}}
            for p in friends
        ],
    }
    user_path = package_dir / "Account" / "user.json"
    write_json(user_path, user)
    return [index_path, user_path]
