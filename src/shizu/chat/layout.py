"""Turn a conversation window plus its situation into chat messages: the one renderer.

``shizu build`` renders training examples with :func:`render`, and the persona runtime renders the
live prompt with the same function, so the model sees at inference exactly the layout it was
trained on (``docs/dataset-format.md`` is the contract):

* ``messages[0]`` is a system prompt naming the persona, the place, the other participants and
  the time, then the person's own profile (``persona.md``) and the memories recalled for this
  moment, when there are any;
* the persona's turns are ``assistant`` messages, everyone else's consecutive turns are merged into
  one ``user`` message, so roles alternate;
* a turn is a burst: one chat message per line; user lines are ``Name: text``; a line break
  inside one chat message is written as U+2028 so :func:`split_burst` inverts the layout exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from shizu.message import ChannelKind

LINE_SEP = "\u2028"  # a line break inside one chat message
CHARS_PER_TOKEN = 4  # the token estimate of every budget (examples, live context, memories): characters / 4
MAX_LISTED_PARTICIPANTS = 8

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)
_PLATFORMS = {"discord": "Discord", "telegram": "Telegram", "whatsapp": "WhatsApp"}


@dataclass(frozen=True, slots=True)
class Turn:
    """One speaker's run of consecutive chat messages (a burst); media already written as tags."""

    speaker: str  # display name (or pseudonym) as shown to the model
    is_persona: bool
    texts: tuple[str, ...]  # one entry per chat message
    message_ids: tuple[str, ...] = ()  # store ids behind ``texts`` (traceability only)


@dataclass(frozen=True, slots=True)
class Place:
    """Where the conversation happens. ``channel`` is the channel, thread or group DM name."""

    kind: ChannelKind
    channel: str = ""
    server: str = ""
    parent: str = ""  # a thread's parent channel
    platform: str = "discord"

    def fields(self) -> dict[str, str]:
        """The place as the dataset row stores it (``place`` in docs/dataset-format.md)."""
        return {"kind": self.kind, "channel": self.channel, "server": self.server, "parent": self.parent, "platform": self.platform}

    def label(self, with_whom: str = "") -> str:
        """Where, for people (logs, pages, the terminal): ``#general on Cozy``, ``a direct message with Ana``.

        The model sees the place through :func:`system_prompt` instead, worded as in training.
        """
        server = f" on {self.server}" if self.server else ""
        if self.kind == "dm":
            return f"a direct message with {with_whom}" if with_whom else "a direct message"
        if self.kind == "group":
            return f"the group chat {self.channel}" if self.channel else "a group chat"
        if self.kind == "thread":
            parent = f" in #{self.parent}" if self.parent else ""
            return f"the thread {self.channel}{parent}{server}"
        return f"#{self.channel}{server}" if self.channel else f"a channel{server}"


@dataclass(frozen=True, slots=True)
class Situation:
    """Who the persona is, where, with whom (the others, in order of appearance) and when; what the
    person wrote about themselves (``profile``) and the past exchanges recalled now (``memories``,
    rendered by :func:`shizu.memory.render`). Both are "" when there are none."""

    persona: str
    place: Place
    time: datetime  # aware; written in its own time zone
    participants: tuple[str, ...] = ()
    profile: str = ""
    memories: str = ""


def render(situation: Situation, turns: Sequence[Turn]) -> list[dict[str, str]]:
    """The chat messages (``{"role", "content"}``) for ``turns`` in ``situation``."""
    out = [{"role": "system", "content": system_prompt(situation)}]
    for is_persona, group in _groups(turns):
        if is_persona:
            content = "\n".join(format_text(text) for turn in group for text in turn.texts)
            out.append({"role": "assistant", "content": content})
        else:
            content = "\n".join(
                f"{clean_name(turn.speaker)}: {format_text(text)}" for turn in group for text in turn.texts
            )
            out.append({"role": "user", "content": content})
    return out


def render_ids(turns: Sequence[Turn]) -> list[list[str]]:
    """The store ids behind each message :func:`render` returns for ``turns`` (``[]`` for the system)."""
    ids: list[list[str]] = [[]]
    for _, group in _groups(turns):
        ids.append([mid for turn in group for mid in turn.message_ids])
    return ids


def split_burst(content: str) -> list[str]:
    """The separate chat messages of one rendered turn (inverse of the burst layout)."""
    return [line.replace(LINE_SEP, "\n") for line in content.split("\n")]


def format_text(text: str) -> str:
    """One chat message as one line: its own line breaks become U+2028."""
    if "\n" not in text and "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", LINE_SEP)


def clean_name(name: str) -> str:
    """A speaker name that cannot break the ``Name: text`` line layout."""
    return " ".join(name.split()) or "Someone"


def system_prompt(situation: Situation) -> str:
    """Who the persona is, where, with whom and when, in one short paragraph; then the profile and
    the recalled memories, each under its heading, when there are any."""
    persona = clean_name(situation.persona)
    platform = _PLATFORMS.get(situation.place.platform, situation.place.platform.title())
    where = _where(situation.place)
    others = _listing(situation.participants)
    with_whom = f" with {others}" if others else ""
    parts = [
        f"You are {persona}, chatting on {platform} {where}{with_whom}. It is {format_time(situation.time)}. "
        f"Write only {persona}'s messages, one chat message per line."
    ]
    if situation.profile:
        parts.append(f"{_profile_heading(persona)}\n{situation.profile}")
    if situation.memories:
        parts.append(f"{_memories_heading(persona)}\n{situation.memories}")
    return _SECTION_BREAK.join(parts)


def memory_room(persona: str, max_tokens: int) -> int:
    """The most characters memories rendered within ``max_tokens`` add to :func:`system_prompt`:
    the build and the runtime both keep this much of the context budget for them."""
    return len(_SECTION_BREAK) + len(_memories_heading(clean_name(persona))) + 1 + max_tokens * CHARS_PER_TOKEN


def without_memories(system: str, persona: str) -> str:
    """A :func:`system_prompt` of ``persona`` with its memories (always the last section) left out."""
    return system.partition(f"{_SECTION_BREAK}{_memories_heading(clean_name(persona))}\n")[0]


def forgetting(messages: Sequence[dict[str, str]], persona: str) -> list[dict[str, str]]:
    """``messages`` (a :func:`render`) with no memories in the system prompt: what a persona
    without memory (or a run trained with ``shizu train --no-memory``) is shown."""
    return [{"role": "system", "content": without_memories(messages[0]["content"], persona)}, *messages[1:]]


_SECTION_BREAK = "\n\n"


def _profile_heading(persona: str) -> str:
    return f"About {persona}, in {persona}'s own words:"


def _memories_heading(persona: str) -> str:
    return f"Earlier conversations {persona} remembers:"


def format_time(ts: datetime) -> str:
    """``Saturday 2 March 2024, 21:14 UTC`` (English, independent of the process locale)."""
    zone = ts.tzname() or "UTC"
    return f"{_WEEKDAYS[ts.weekday()]} {ts.day} {_MONTHS[ts.month - 1]} {ts.year}, {ts:%H:%M} {zone}"


def _where(place: Place) -> str:
    server = f' on the server "{place.server}"' if place.server else ""
    if place.kind == "dm":
        return "in a direct message"
    if place.kind == "group":
        return f'in the group chat "{place.channel}"' if place.channel else "in a group chat"
    if place.kind == "thread":
        parent = f" of #{place.parent}" if place.parent else ""
        return f'in the thread "{place.channel}"{parent}{server}'
    return f"in #{place.channel}{server}" if place.channel else f"in a channel{server}"


def _listing(names: Sequence[str]) -> str:
    names = [clean_name(n) for n in names]
    if len(names) > MAX_LISTED_PARTICIPANTS:
        shown = names[:MAX_LISTED_PARTICIPANTS]
        return ", ".join(shown) + f" and {len(names) - len(shown)} others"
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _groups(turns: Sequence[Turn]) -> list[tuple[bool, list[Turn]]]:
    """Consecutive turns of the same role, merged (roles then alternate)."""
    groups: list[tuple[bool, list[Turn]]] = []
    for turn in turns:
        if groups and groups[-1][0] == turn.is_persona:
            groups[-1][1].append(turn)
        else:
            groups.append((turn.is_persona, [turn]))
    return groups


def parse_place(text: str) -> Place | None:
    """``dm`` or ``#channel`` as a :class:`Place`; ``None`` for anything else."""
    text = text.strip()
    if text.casefold() == "dm":
        return Place(kind="dm")
    if text.startswith("#") and text[1:].strip():
        return Place(kind="guild-text", channel=text[1:].strip())
    return None
