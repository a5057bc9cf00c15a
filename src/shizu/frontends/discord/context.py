"""What the persona sees when it answers on Discord: the conversation, as the training set wrote it.

For the message answered (the trigger) the bot reads

* the channel's recent history before it: at most ``[discord] history_messages`` messages, none
  older than ``history_minutes`` nor before an owner's ``forget``; then, as ``shizu build`` does,
  only the current conversation (a silence longer than ``[build] session_gap_minutes`` ends the
  previous one);
* the chain of replies above it (``reply_chain`` messages at most), even when older: like the
  build's reply context, those messages open the conversation;

and writes each message the way the importers did: mentions as ``@Name`` (the bot's own as the
persona's name), ``<#id>`` as ``#channel``, attachments as links and stickers as tags (the runtime
turns links into media tags). The bot's own earlier messages are persona turns, with their text as
generated (from the exchange log); its other messages (command answers, warnings), other bots,
webhooks, system messages, bot commands (``[build] command_prefixes``) and ignored people are
left out, as the build leaves them out of training. Each message keeps its author's and its own
Discord id, and the context says where it is in Discord's ids (:func:`where_of`), so the persona
recalls in scope and remembers the person's own messages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import timedelta

import discord

from shizu.chat.discord_markup import render_raw_markup
from shizu.chat.layout import Place
from shizu.chat.media import clean_label, make_tag
from shizu.config import Config
from shizu.memory import Where
from shizu.persona.live import LiveMessage
from shizu.store.exchanges import ExchangeLog

_ROLE_RE = re.compile(r"<@&(\d+)>")
PLATFORM = "discord"


@dataclass(frozen=True, slots=True)
class Context:
    """The live conversation for one answer: messages (oldest first) with their ids, and the place."""

    history: tuple[LiveMessage, ...]
    ids: tuple[str, ...]
    place: Place
    participants: tuple[str, ...]  # present but maybe silent (the other person of a DM)
    where: Where  # the channel's and server's ids, for the persona's memory


def is_command(text: str, prefixes: Iterable[str]) -> bool:
    """A bot command as ``shizu build`` defines it: a prefix followed by a letter (``!play``)."""
    return any(text.startswith(p) and text[len(p):len(p) + 1].isalpha() for p in prefixes if p)


def where_of(channel: object) -> Where:
    """Where a channel is, in Discord's ids (what the memory's scope compares): a thread is its own
    channel, in its server, as ``shizu build`` stores it."""
    channel_id = str(getattr(channel, "id", ""))
    if isinstance(channel, discord.DMChannel):
        return Where(PLATFORM, "dm", channel_id)
    if isinstance(channel, discord.GroupChannel):
        return Where(PLATFORM, "group", channel_id)
    guild = getattr(channel, "guild", None)
    server = str(guild.id) if guild is not None else ""
    return Where(PLATFORM, "thread" if isinstance(channel, discord.Thread) else "guild-text", channel_id, server)


def place_of(channel: object) -> Place:
    """Where a channel is, in the terms of the training set's system prompt."""
    if isinstance(channel, discord.DMChannel):
        return Place(kind="dm")
    if isinstance(channel, discord.GroupChannel):
        return Place(kind="group", channel=channel.name or "")
    guild = getattr(channel, "guild", None)
    server = guild.name if guild is not None else ""
    if isinstance(channel, discord.Thread):
        parent = channel.parent.name if channel.parent is not None else ""
        return Place(kind="thread", channel=channel.name, server=server, parent=parent)
    return Place(kind="guild-text", channel=getattr(channel, "name", None) or "", server=server)


class ContextReader:
    """Reads the context of a trigger for the persona ``persona`` with the workspace's settings."""

    def __init__(self, persona: str, config: Config, log: ExchangeLog, ignored_users: Iterable[str]) -> None:
        self.persona = persona
        self.settings = config.discord
        self.gap = timedelta(minutes=config.build.session_gap_minutes)
        self.command_prefixes = tuple(config.build.command_prefixes)
        self.log = log
        self.ignored_users = frozenset(ignored_users)

    async def read(self, trigger: discord.Message, me: int, forgotten: int | None = None) -> Context:
        """The context for answering ``trigger``; ``forgotten``: nothing up to this message id is read."""
        floor = discord.utils.time_snowflake(trigger.created_at - timedelta(minutes=self.settings.history_minutes))
        earlier: list[discord.Message] = []
        if self.settings.history_messages:
            after = discord.Object(id=max(floor, forgotten or 0))
            earlier = [
                m async for m in trigger.channel.history(
                    limit=self.settings.history_messages, before=trigger, after=after, oldest_first=False
                )
            ]
            earlier.reverse()
        chain = await self._chain(trigger, {m.id: m for m in earlier}, forgotten or 0)
        own = [str(m.id) for m in (*chain, *earlier) if m.author.id == me]
        texts = self.log.persona_texts(own) if own else {}
        main = [(str(m.id), live) for m in (*earlier, trigger) if (live := self.live(m, me, texts)) is not None]
        main = _current_conversation(main, self.gap)
        start = main[0][1].time if main else trigger.created_at
        seen = {i for i, _ in main}
        pulled = [
            (str(m.id), replace(live, time=max(live.time, start)))
            for m in chain
            if str(m.id) not in seen and (live := self.live(m, me, texts)) is not None
        ]
        messages = sorted(pulled + main, key=lambda pair: pair[1].time)  # stable: pulled replies open the window
        place = place_of(trigger.channel)
        participants = (trigger.author.display_name,) if place.kind == "dm" else ()
        return Context(
            history=tuple(live for _, live in messages), ids=tuple(i for i, _ in messages), place=place,
            participants=participants, where=where_of(trigger.channel),
        )

    def live(self, message: discord.Message, me: int, persona_texts: dict[str, str]) -> LiveMessage | None:
        """``message`` as the persona sees it, or ``None`` when it stays out of the context."""
        if message.author.id == me:
            text = persona_texts.get(str(message.id))
            return LiveMessage(self.persona, text, message.created_at, is_persona=True, id=str(message.id)) if text else None
        if message.author.bot or message.webhook_id is not None or message.is_system():
            return None
        if str(message.author.id) in self.ignored_users or is_command(message.content.strip(), self.command_prefixes):
            return None
        text = self.text(message, me)
        if not text.strip():
            return None
        return LiveMessage(message.author.display_name, text, message.created_at, author_id=str(message.author.id), id=str(message.id))

    def text(self, message: discord.Message, me: int) -> str:
        """The content with mentions, channels and roles named, then attachments and stickers."""
        users = {str(u.id): u.display_name for u in message.mentions}
        users[str(me)] = self.persona
        channels = {str(c.id): getattr(c, "name", None) or "deleted-channel" for c in message.channel_mentions}
        roles = {str(r.id): r.name for r in message.role_mentions}
        content = _ROLE_RE.sub(lambda m: "@" + roles.get(m.group(1), "deleted-role"), message.content)
        content = render_raw_markup(content, users, channels).strip()
        media = [a.url for a in message.attachments]
        media += [make_tag("sticker", clean_label(s.name) or "sticker") for s in message.stickers]
        return " ".join(filter(None, [content, *media]))

    async def _chain(self, trigger: discord.Message, known: dict[int, discord.Message], forgotten: int) -> list[discord.Message]:
        """The messages above ``trigger`` in its reply chain, oldest first (``known`` ones are not fetched)."""
        found: list[discord.Message] = []
        current = trigger
        for _ in range(self.settings.reply_chain):
            ref = current.reference
            if ref is None or ref.message_id is None or ref.channel_id != trigger.channel.id or ref.message_id <= forgotten:
                break
            if ref.type == discord.MessageReferenceType.forward:
                break
            target = known.get(ref.message_id)
            if target is None and isinstance(ref.resolved, discord.Message):
                target = ref.resolved
            if target is None:
                try:
                    target = await trigger.channel.fetch_message(ref.message_id)
                except discord.HTTPException:
                    break
            found.append(target)
            current = target
        found.reverse()
        return found


def _current_conversation(messages: list[tuple[str, LiveMessage]], gap: timedelta) -> list[tuple[str, LiveMessage]]:
    """The messages after the last silence longer than ``gap`` (the build's conversation rule)."""
    start = 0
    for i in range(1, len(messages)):
        if messages[i][1].time - messages[i - 1][1].time > gap:
            start = i
    return messages[start:]
