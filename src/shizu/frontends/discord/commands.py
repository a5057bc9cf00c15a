"""Owner-only commands, written in any channel or DM the bot reads: ``!shizu pause`` and friends.

``pause`` (stop answering; waiting requests are dropped), ``resume``, ``status`` (queue, latency,
backend), ``forget`` (clear this channel's context: nothing said before it is read again),
``again`` (another take of the bot's last reply in this channel; the discarded one is stored as
rejected feedback, docs/feedback.md) and ``help``. The prefix is ``[discord] command_prefix``;
owners are the application's owner (or team), ``[discord] owners`` and the person themselves
(``[persona] me``, the accounts of their data packages). Anyone else's commands are ignored.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

COMMANDS = ("pause", "resume", "status", "forget", "again", "help")


def parse_command(text: str, prefix: str) -> str | None:
    """The command word of ``text`` (``"help"`` when unknown or missing), ``None`` if not a command."""
    text = text.strip()
    if not text.casefold().startswith(prefix.casefold()):
        return None
    rest = text[len(prefix):]
    if rest and not rest[0].isspace():
        return None  # "!shizuuu": someone else's command or a word
    word = rest.strip().split(maxsplit=1)[0].casefold() if rest.strip() else "help"
    return word if word in COMMANDS else "help"


def help_text(prefix: str) -> str:
    return (
        f"`{prefix} pause`: stop answering (waiting requests are dropped)\n"
        f"`{prefix} resume`: answer again\n"
        f"`{prefix} status`: queue, latency and backend\n"
        f"`{prefix} forget`: forget what was said in this channel so far\n"
        f"`{prefix} again`: another take of my last reply here (the old one counts as rejected)\n"
        f"`{prefix} help`: this list"
    )


@dataclass(frozen=True, slots=True)
class Status:
    """What ``status`` reports."""

    persona: str
    paused: bool
    waiting: int
    capacity: int
    peak: int
    writing_in: str | None  # where a reply is being written now
    gateway_seconds: float  # heartbeat round trip (inf/nan before the first one)
    reply_seconds: Sequence[float]  # recent replies, from the start of generation to the last message
    backend: str
    answered: int
    dropped: int
    errors: int


def format_status(status: Status, prefix: str) -> str:
    state = f"paused (`{prefix} resume` to answer again)" if status.paused else "answering"
    now = f", writing in {status.writing_in} now" if status.writing_in else ""
    gateway = f"{status.gateway_seconds * 1000:.0f} ms" if math.isfinite(status.gateway_seconds) else "not measured yet"
    replies = (
        f"median {statistics.median(status.reply_seconds):.1f} s over the last {len(status.reply_seconds)}"
        if status.reply_seconds
        else "none yet"
    )
    return (
        f"**{status.persona}** is {state}\n"
        f"queue: {status.waiting} waiting of {status.capacity} (peak {status.peak}){now}\n"
        f"latency: gateway {gateway}; replies {replies}\n"
        f"backend: {status.backend}\n"
        f"since start: {status.answered} answered, {status.dropped} dropped, {status.errors} failed"
    )
