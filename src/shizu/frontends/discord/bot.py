"""The persona on Discord: :class:`DiscordBot` wires discord.py to the persona runtime.

* Events: each message goes through the owner commands, then :class:`~.triggers.Triggers` and the
  cooldowns, into the bounded :class:`~.queue.RequestQueue`; a reaction on one of the bot's
  messages is feedback on its exchange (:mod:`.feedback`: ⭐ also puts it in the collection), and
  an owner's 🔁 (or ``again`` command) queues another take of it.
* One worker answers the queue, one request at a time: it reads the context (:mod:`.context`),
  streams the persona's turn in a worker thread (the model never blocks the gateway), shows the
  typing indicator meanwhile, and posts each finished message as soon as it is ready, with a
  pause before the next one that grows with its length (:mod:`.outgoing`).
* The persona recalls memories for where the channel is, and after each answer hands the
  conversation to :meth:`~shizu.persona.runtime.Persona.remember` (which keeps the person's own
  messages, and the bot's replies only with ``[memory] remember_own_replies``).
* Every answer is recorded in the exchange log, with the conversation it answered; the reply an
  owner took again is stored as rejected feedback. A failure is logged and, when someone addressed
  the bot, answered with a short warning; the bot keeps going.
* Mentions: the client's allowed mentions come from ``[discord] mentions`` (none by default), so
  a generated ``@everyone``, role or user ping never notifies anyone.

The client is discord.py's ``Client``, or ``AutoShardedClient`` with ``[discord] sharded``.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import time
from collections import deque
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import aclosing, suppress
from datetime import UTC, datetime
from functools import partial
from typing import Any

import aiohttp
import discord

from shizu.config import Config
from shizu.errors import DiscordError
from shizu.frontends.answered import reply_context
from shizu.frontends.discord.commands import Status, format_status, help_text, parse_command
from shizu.frontends.discord.context import Context, ContextReader, is_command, place_of
from shizu.frontends.discord.feedback import RETAKE, STAR, base_emoji, store, verdict_of
from shizu.frontends.discord.outgoing import pause_before, prepare
from shizu.frontends.discord.queue import Request, RequestQueue, Retake
from shizu.frontends.discord.triggers import Cooldowns, Seen, Triggers
from shizu.persona.live import LiveMessage
from shizu.persona.postprocess import OutMessage
from shizu.persona.runtime import Done, Event, Persona, Reply, Said
from shizu.store.exchanges import Exchange, ExchangeLog, SentMessage
from shizu.store.feedback import FeedbackTable

log = logging.getLogger("shizu.discord")

WARNING = "\N{WARNING SIGN}\N{VARIATION SELECTOR-16} Something went wrong while I was writing an answer (the bot's log says what)."
PORTAL = "https://discord.com/developers/applications"


def intents() -> discord.Intents:
    """Servers, messages and their content (privileged), reactions, emoji. No member list, no presence."""
    wanted = discord.Intents.none()
    wanted.guilds = wanted.guild_messages = wanted.dm_messages = wanted.message_content = True
    wanted.guild_reactions = wanted.dm_reactions = wanted.emojis_and_stickers = True
    return wanted


class DiscordBot:
    """``persona`` on Discord with the workspace's ``config``, recording exchanges and feedback in
    the store of ``exchanges``."""

    def __init__(self, persona: Persona, config: Config, exchanges: ExchangeLog, *, rng: random.Random | None = None) -> None:
        self.persona = persona
        self.settings = settings = config.discord
        self.exchanges = exchanges
        self.feedback = FeedbackTable(exchanges.store, config.privacy.opt_out)
        self.me = frozenset({*config.persona.me, *exchanges.store.account_ids()})  # the person: owners too
        ignored = {*settings.deny_users, *config.privacy.opt_out}
        self.triggers = Triggers(settings, [persona.name, *settings.aliases], ignored, rng)
        self.command_prefixes = tuple(config.build.command_prefixes)
        self.cooldowns = Cooldowns(settings.channel_cooldown_seconds, settings.user_cooldown_seconds)
        self.queue = RequestQueue(settings.queue_size)
        self.reader = ContextReader(persona.name, config, exchanges, ignored)
        self.paused = False
        self.writing_in: str | None = None
        self.answered = self.dropped = self.errors = 0
        self.reply_seconds: deque[float] = deque(maxlen=50)
        self._forgotten: dict[int, int] = {}  # channel id -> message id of the owner's `forget`
        self._worker: asyncio.Task[None] | None = None
        self._generator = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shizu-persona")  # one generation at a time
        mentions = set(settings.mentions)
        options: dict[str, Any] = dict(
            intents=intents(),
            allowed_mentions=discord.AllowedMentions(
                everyone="everyone" in mentions, users="users" in mentions, roles="roles" in mentions,
                replied_user="replied_user" in mentions,
            ),
            max_messages=None,  # context is read from the channel; no message cache to grow
            member_cache_flags=discord.MemberCacheFlags.none(),
            chunk_guilds_at_startup=False,
        )
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False  # it never joins voice: no warning about voice libraries
        if settings.sharded:
            self.client: discord.Client = discord.AutoShardedClient(shard_count=settings.shard_count or None, **options)
        else:
            self.client = discord.Client(**options)
        for handler in (self.on_ready, self.on_resumed, self.on_message, self.on_raw_reaction_add):
            self.client.event(handler)

    # -- running --------------------------------------------------------------------------

    async def run(self, token: str) -> None:
        """Connect with ``token`` and answer until :meth:`close` (or cancellation)."""
        self._worker = asyncio.create_task(self._work(), name="shizu-answers")
        env = self.settings.token_env
        try:
            async with self.client:
                try:
                    await self.client.start(token)
                finally:
                    await self._stop_worker()
        except discord.LoginFailure:
            raise DiscordError(
                f"Discord rejected the bot token in {env}",
                hint=f"Copy a fresh token from {PORTAL} (your application > Bot > Reset Token) into {env}.",
            ) from None
        except discord.PrivilegedIntentsRequired:
            raise DiscordError(
                "The Message Content intent is not enabled for this bot",
                hint=f"At {PORTAL}, open your application > Bot > Privileged Gateway Intents, turn on "
                "MESSAGE CONTENT INTENT, save, and start the bot again.",
            ) from None
        except (aiohttp.ClientConnectionError, discord.GatewayNotFound) as exc:
            raise DiscordError(f"Cannot reach Discord: {exc}", hint="Check this machine's internet connection and try again.") from None
        finally:
            self._generator.shutdown(wait=False, cancel_futures=True)

    async def close(self) -> None:
        """Stop answering (a reply being written is abandoned), then disconnect."""
        await self._stop_worker()
        await self.client.close()

    async def _stop_worker(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with suppress(asyncio.CancelledError):
                await self._worker

    def status(self) -> Status:
        return Status(
            persona=self.persona.name, paused=self.paused, waiting=len(self.queue), capacity=self.queue.capacity,
            peak=self.queue.peak, writing_in=self.writing_in, gateway_seconds=self.client.latency,
            reply_seconds=tuple(self.reply_seconds), backend=self.persona.backend.label, answered=self.answered,
            dropped=self.dropped, errors=self.errors,
        )

    # -- events ---------------------------------------------------------------------------

    async def on_ready(self) -> None:
        user = self.client.user
        log.info("connected as %s (id %s) in %d server(s)", user, user.id if user else "?", len(self.client.guilds))

    async def on_resumed(self) -> None:
        log.info("gateway session resumed")

    async def on_message(self, message: discord.Message) -> None:
        me = self.client.user
        if me is None or message.author.id == me.id:
            return
        seen = self._seen(message, me.id)
        if self.triggers.ignored(seen):
            return
        command = parse_command(message.content, self.settings.command_prefix)
        if command is not None:
            if str(message.author.id) in self._owners():
                await self._command(message, command)
            else:
                log.info("ignored %r from %s: owner command", message.content[:40], message.author.display_name)
            return
        if self.paused or is_command(message.content.strip(), self.command_prefixes):
            return
        reason = self.triggers.reason(seen)
        if reason is None:
            return
        channel_id, user_id = str(message.channel.id), str(message.author.id)
        if not seen.is_dm:
            if not self.cooldowns.allows(channel_id, user_id):
                log.debug("cooldown: not answering %s in %s", message.author.display_name, _where(message))
                return
            self.cooldowns.start(channel_id, user_id)
        self._enqueue(Request(channel_id=channel_id, is_dm=seen.is_dm, reason=reason, trigger=message))

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        """A reaction on one of the persona's messages: feedback on its exchange (:mod:`.feedback`)."""
        me = self.client.user
        emoji = base_emoji(str(payload.emoji))
        verdict = verdict_of(emoji)
        if me is None or payload.user_id == me.id or (verdict is None and emoji != RETAKE):
            return
        member, user_id = payload.member, str(payload.user_id)
        if (member is not None and member.bot) or user_id in self.triggers.ignored_users:
            return
        if emoji == RETAKE and user_id not in self._owners():
            return
        exchange_id = self.exchanges.exchange_of(str(payload.message_id))
        if exchange_id is None:
            return  # not a persona message
        by = (user_id, member.display_name if member is not None else await self._user_name(payload.user_id))
        if verdict is None:
            log.info("%s asked for another take of exchange %d: %s", by[1], exchange_id, await self._take_again(exchange_id, by))
            return
        if emoji == STAR and self.exchanges.star(str(payload.message_id), *by, datetime.now(UTC)) is not None:
            log.info("%s starred exchange %d: saved to the collection", by[1], exchange_id)
        store(self.feedback, exchange_id, verdict, "discord-reaction", by, emoji=emoji)

    # -- answering ------------------------------------------------------------------------

    def _enqueue(self, request: Request) -> bool:
        """Queue ``request``; ``False`` when it is the one dropped (the queue is full of direct messages)."""
        dropped = self.queue.put(request)
        if dropped is not None:
            self.dropped += 1
            waited = time.monotonic() - dropped.queued_at
            log.warning(
                "queue full (%d waiting): dropped the request of %s in %s after %.1f s",
                self.queue.capacity, dropped.trigger.author.display_name, _where(dropped.trigger), waited,
            )
        return dropped is not request

    async def _work(self) -> None:
        """Answer the queue, one request at a time, whatever happens to any one of them."""
        while True:
            request = await self.queue.get()
            self.writing_in = _where(request.trigger)
            try:
                await self._answer(request)
            except Exception:
                self.errors += 1
                log.exception("could not answer %s in %s", request.trigger.author.display_name, _where(request.trigger))
                if request.reason != "chime-in":
                    try:
                        await request.trigger.reply(WARNING, mention_author=False)
                    except Exception as exc:  # Discord itself is failing: the log line above is all we can do
                        log.warning("could not send the warning either: %s", exc)
            finally:
                self.writing_in = None

    async def _answer(self, request: Request) -> None:
        loop = asyncio.get_running_loop()
        queued = time.monotonic() - request.queued_at
        trigger: discord.Message = request.trigger
        channel = trigger.channel
        me = self.client.user
        assert me is not None
        started = loop.time()
        context = await self.reader.read(trigger, me.id, self._forgotten.get(channel.id))
        emoji = {e.name: str(e) for e in self.client.emojis if e.is_usable()}
        guild = getattr(channel, "guild", None)
        upload_limit = guild.filesize_limit if guild is not None else discord.utils.DEFAULT_FILE_SIZE_LIMIT_BYTES
        reference = trigger if getattr(channel, "last_message_id", None) not in (None, trigger.id) else None
        sent: list[SentMessage] = []
        reply: Reply | None = None
        last_post = 0.0
        async with channel.typing(), aclosing(self._generate(context)) as events:
            async for event in events:
                if isinstance(event, Said):
                    if sent:
                        wait = pause_before(event.message.text, self.settings.pause_seconds_per_char, self.settings.max_pause_seconds)
                        await asyncio.sleep(max(0.0, wait - (loop.time() - last_post)))
                    ids = await self._post(channel, event.message, emoji, upload_limit, reference if not sent else None)
                    last_post = loop.time()
                    sent.append(SentMessage(ids=ids, text=event.message.text, body=event.message.body, media=event.message.media))
                elif isinstance(event, Done):
                    reply = event.reply
        assert reply is not None
        latency = loop.time() - started
        author = trigger.author.display_name
        exchange_id = self.exchanges.record(Exchange(
            platform="discord", channel_id=str(channel.id), place=context.place.label(author), trigger_id=str(trigger.id),
            trigger_author=author, trigger_text=self.reader.text(trigger, me.id),
            trigger_time=trigger.created_at, context_ids=context.ids, persona=self.persona.name, messages=tuple(sent),
            backend=self.persona.backend.label, stop=reply.stop, queued_ms=round(queued * 1000), latency_ms=round(latency * 1000),
            created=datetime.now(UTC), context=reply_context(context.history, reply.situation),
        ))
        if request.retake is not None:
            store(self.feedback, request.retake.exchange_id, "rejected", "reroll", request.retake.by, retake_id=exchange_id)
        self.answered += 1
        self.reply_seconds.append(latency)
        await self._remember(context, sent)
        merged = f", with {request.merged} earlier message(s)" if request.merged else ""
        log.info(
            "answered %s in %s (%s%s): %d message(s) in %.1f s after %.1f s waiting [exchange %d]",
            author, _where(trigger), request.reason, merged, len(sent), latency, queued, exchange_id,
        )

    async def _remember(self, context: Context, sent: list[SentMessage]) -> None:
        """Hand the conversation and the messages just sent (with their ids) to the persona's memory,
        in the generation thread (the memory fails quietly: the runtime says it in one line)."""
        if self.persona.memory is None:
            return
        replies = [
            LiveMessage(self.persona.name, m.text, discord.utils.snowflake_time(int(m.ids[0])), is_persona=True, id=m.ids[0])
            for m in sent if m.ids
        ]
        remember = partial(self.persona.remember, [*context.history, *replies], context.where, context.place)
        await asyncio.get_running_loop().run_in_executor(self._generator, remember)

    async def _generate(self, context: Context) -> AsyncIterator[Event]:
        """The persona's events for ``context``, generated in the worker thread as they come."""
        loop = asyncio.get_running_loop()
        events: asyncio.Queue[Event | Exception | None] = asyncio.Queue()
        stop = threading.Event()

        def put(item: Event | Exception | None) -> None:
            with suppress(RuntimeError):  # the loop is gone: the bot is shutting down
                loop.call_soon_threadsafe(events.put_nowait, item)

        def produce() -> None:
            stream = self.persona.stream(context.history, context.place, participants=context.participants, where=context.where)
            try:
                for event in stream:
                    put(event)
                    if stop.is_set():
                        break
            except Exception as exc:
                put(exc)
            finally:
                stream.close()
                put(None)

        done = loop.run_in_executor(self._generator, produce)
        try:
            while (item := await events.get()) is not None:
                if isinstance(item, Exception):
                    raise item
                yield item
        finally:
            stop.set()
            with suppress(Exception):
                await asyncio.shield(done)

    async def _post(
        self, channel: discord.abc.Messageable, message: OutMessage, emoji: dict[str, str], upload_limit: int,
        reference: discord.Message | None,
    ) -> tuple[str, ...]:
        """Post one persona message (split at the length limit, files on the last part); returns the ids."""
        out = prepare(message, emoji, upload_limit)
        ids = []
        for i, part in enumerate(out.parts):
            extras: dict[str, Any] = {}
            if i == 0 and reference is not None:
                extras["reference"] = reference.to_reference(fail_if_not_exists=False)
            if i == len(out.parts) - 1 and out.files:
                extras["files"] = [discord.File(path) for path in out.files]
            posted = await channel.send(part or None, **extras)
            ids.append(str(posted.id))
        return tuple(ids)

    # -- commands and helpers -------------------------------------------------------------

    async def _take_again(self, exchange_id: int, by: tuple[str, str]) -> str:
        """Queue another take of the exchange ``exchange_id`` (its message answered again, in the
        same context); returns what became of the request, in a few words."""
        if self.paused:
            return f"not now: paused (`{self.settings.command_prefix} resume` first)"
        exchange = self.exchanges.exchanges([exchange_id])[exchange_id]
        try:
            channel = self.client.get_channel(int(exchange.channel_id)) or await self.client.fetch_channel(int(exchange.channel_id))
            if not isinstance(channel, discord.abc.Messageable):
                return "its channel holds no messages"
            trigger = await channel.fetch_message(int(exchange.trigger_id))
        except discord.HTTPException as exc:
            log.warning("cannot take exchange %d again: %s", exchange_id, exc)
            return "the message it answered is gone"
        request = Request(
            channel_id=exchange.channel_id, is_dm=isinstance(channel, discord.DMChannel), reason="again", trigger=trigger,
            retake=Retake(exchange_id, by),
        )
        return "queued" if self._enqueue(request) else "the queue is full; try again in a moment"

    async def _command(self, message: discord.Message, command: str) -> None:
        prefix = self.settings.command_prefix
        if command == "again":
            exchange_id = self.exchanges.latest("discord", str(message.channel.id))
            if exchange_id is None:
                await message.reply("I have not answered in this channel yet: nothing to take again.", mention_author=False)
                return
            outcome = await self._take_again(exchange_id, (str(message.author.id), message.author.display_name))
            log.info("owner command %r from %s in %s: %s", command, message.author.display_name, _where(message), outcome)
            if outcome != "queued":
                await message.reply(f"No other take: {outcome}.", mention_author=False)
            return
        if command == "pause":
            self.paused = True
            dropped = self.queue.clear()
            text = f"Paused: I won't answer until `{prefix} resume`" + (f" ({dropped} waiting request(s) dropped)." if dropped else ".")
        elif command == "resume":
            self.paused = False
            text = "Answering again."
        elif command == "status":
            text = format_status(self.status(), prefix)
        elif command == "forget":
            self._forgotten[message.channel.id] = message.id
            text = "Forgotten: nothing said here before this message is read again."
        else:
            text = help_text(prefix)
        log.info("owner command %r from %s in %s", command, message.author.display_name, _where(message))
        await message.reply(text, mention_author=False)

    def _seen(self, message: discord.Message, me: int) -> Seen:
        ref = message.reference
        replies_to_me = False
        if ref is not None and ref.message_id is not None:
            resolved = ref.resolved
            if isinstance(resolved, discord.Message):
                replies_to_me = resolved.author.id == me
            else:
                replies_to_me = bool(self.exchanges.persona_texts([str(ref.message_id)]))
        channel = message.channel
        parent = getattr(channel, "parent_id", None)
        return Seen(
            author_id=str(message.author.id), channel_id=str(channel.id), parent_id=str(parent) if parent else None,
            is_dm=isinstance(channel, discord.DMChannel),
            automated=message.author.bot or message.webhook_id is not None or message.is_system(),
            mentions_me=any(u.id == me for u in message.mentions), replies_to_me=replies_to_me, text=message.content,
        )

    def _owners(self) -> set[str]:
        """Who may use the owner commands and ask for another take."""
        owners = {*self.settings.owners, *self.me}
        app = self.client.application
        if app is not None:
            if app.team is not None:
                owners.update(str(member.id) for member in app.team.members)
            else:
                owners.add(str(app.owner.id))
        return owners

    async def _user_name(self, user_id: int) -> str:
        user = self.client.get_user(user_id)
        if user is None:
            try:
                user = await self.client.fetch_user(user_id)
            except discord.HTTPException:
                return ""
        return user.display_name


def _where(message: discord.Message) -> str:
    place = place_of(message.channel)
    return place.label(message.author.display_name if place.kind == "dm" else "")

