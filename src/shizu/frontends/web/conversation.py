"""From a chat request's messages to the live conversation the persona answers.

OpenAI-style messages carry roles, not people: here each one becomes the runtime's
:class:`~shizu.persona.LiveMessage` with a speaker.

* ``assistant`` messages are the persona's; each line is one chat message (the server joins a
  reply's burst with newlines, so a client sending the reply back gives the same messages), and
  a leading ``Name: `` with the persona's own name is dropped (chat UIs add it);
* a ``user`` message's speaker is its ``name``; without one, a line may open with ``Name: `` (a
  transcript, as chat UIs write group chats), which names the speaker of that line and the lines
  after it (the persona's own name makes them the persona's); before any name, the speaker is the
  default one. Each line is one chat message, as in the training layout;
* ``system`` and ``developer`` messages are ignored: the persona's system prompt is always the one
  it was trained with, written from the live situation (who, where, when).

:class:`WhereField` is the optional ``where`` of a request: the platform's ids of the place the
conversation stands for, for the persona's memory (without it nothing is recalled).

:func:`check_limits` enforces the server's request limits with messages that say which one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from shizu.chat.layout import clean_name
from shizu.config import ServeConfig
from shizu.frontends.web.http_errors import bad_request
from shizu.memory import Where
from shizu.message import ChannelKind
from shizu.persona import LiveMessage

IGNORED_ROLES = ("system", "developer")
NAME_PREFIX_RE = re.compile(r"([^\s:][^:\n]{0,31}?):[ \t]+(?=\S)")


@dataclass(frozen=True, slots=True)
class Incoming:
    """One message of a chat request: its role, its text and, if given, who wrote it."""

    role: str
    text: str
    name: str | None = None


class WhereField(BaseModel):
    """Where the conversation is, in the platform's ids: what the memory's ``[memory] scope`` compares."""

    model_config = ConfigDict(extra="forbid")
    platform: str = Field(default="discord", min_length=1, max_length=32)
    kind: ChannelKind
    channel_id: str = Field(min_length=1, max_length=64)
    server_id: str = Field(default="", max_length=64)

    def where(self) -> Where:
        return Where(self.platform, self.kind, self.channel_id, self.server_id)


def latest_exchange(history: Sequence[LiveMessage]) -> list[LiveMessage]:
    """The messages after the persona's last one: what its next reply answers (earlier exchanges
    were remembered when they were answered; a request's times are not theirs)."""
    last = max((i for i, m in enumerate(history) if m.is_persona), default=-1)
    return list(history[last + 1:])


def to_history(messages: Sequence[Incoming], persona: str, default_speaker: str, now: datetime) -> list[LiveMessage]:
    """The conversation in ``messages`` as live messages, all stamped ``now`` (requests carry no times).

    Raises a 400 :class:`~shizu.frontends.web.http_errors.ApiError` for a role the API does not
    accept, or when nothing is left to answer.
    """
    own = clean_name(persona).casefold()
    history: list[LiveMessage] = []
    for index, message in enumerate(messages):
        if message.role in IGNORED_ROLES:
            continue
        if message.role not in ("user", "assistant"):
            raise bad_request(
                f"messages[{index}]: role {message.role!r} is not supported; use user, assistant or system",
                param=f"messages[{index}].role",
            )
        named = clean_name(message.name) if message.name and message.name.strip() else None
        speaker = persona if message.role == "assistant" else named or default_speaker
        for line in message.text.split("\n"):
            if not line.strip():
                continue
            match = NAME_PREFIX_RE.match(line)
            if match is not None and message.role == "assistant" and match.group(1).casefold() == own:
                line = line[match.end():]
            elif match is not None and message.role == "user" and named is None:
                speaker, line = match.group(1), line[match.end():]
            is_persona = message.role == "assistant" or speaker.casefold() == own
            history.append(LiveMessage(persona if is_persona else speaker, line, now, is_persona=is_persona))
    if not history:
        raise bad_request("messages: nothing to answer; send at least one user message", param="messages")
    return history


def check_limits(count: int, chars: int, settings: ServeConfig, param: str = "messages") -> None:
    """400 when a request has more messages or characters than ``[serve]`` allows."""
    if count > settings.max_messages:
        raise bad_request(
            f"Too many messages: {count}; this server accepts at most {settings.max_messages} per request"
            " ([serve] max_messages in shizu.toml). Send only the recent part of the conversation.",
            param=param,
        )
    if chars > settings.max_chars:
        raise bad_request(
            f"The messages are too long: {chars:,} characters; this server accepts at most {settings.max_chars:,}"
            " per request ([serve] max_chars in shizu.toml). Send only the recent part of the conversation.",
            param=param,
        )


def check_max_tokens(requested: int | None, settings: ServeConfig, param: str = "max_tokens") -> None:
    """400 when a request asks for more new tokens than ``[serve] max_tokens``."""
    if requested is not None and requested > settings.max_tokens:
        raise bad_request(
            f"{param} = {requested} is above this server's limit of {settings.max_tokens}"
            " ([serve] max_tokens in shizu.toml)",
            param=param,
        )
