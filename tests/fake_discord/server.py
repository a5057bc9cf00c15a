"""A fake Discord on 127.0.0.1: the gateway websocket and the REST routes the bot uses.

The real discord.py client connects to it (:func:`point_discord_py_at`): the gateway speaks the
protocol discord.py uses (HELLO, IDENTIFY, READY + GUILD_CREATE, heartbeats and their ACKs,
RESUME with a replay of the events missed while disconnected, INVALID_SESSION, close codes 4004
for a bad token and 4014 for a privileged intent the portal has not enabled, shards), and REST
answers login, application info, /gateway/bot, channels, message history, single messages, typing
and message creation (JSON or multipart with files). Every REST request is recorded as a
:class:`Call` for the tests to assert on; messages the bot creates are stored in the channel's
history and dispatched back as MESSAGE_CREATE, as Discord does.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web

from fake_discord import payloads as p

API = "/api/v10"


@dataclass
class Call:
    """One REST request the bot made."""

    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    json: Any = None  # the JSON body, or the multipart payload_json
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # form field -> (file name, content)
    multipart: bool = False
    at: float = field(default_factory=time.monotonic)  # when the fake received it


@dataclass
class Session:
    """A gateway session: the shard it serves, its sequence and every event sent (for RESUME)."""

    id: str
    shard: tuple[int, int]
    events: list[dict[str, Any]] = field(default_factory=list)
    ws: web.WebSocketResponse | None = None

    @property
    def seq(self) -> int:
        return len(self.events)


CALL = web.RequestKey("call", Call)


class FakeDiscord:
    """The fake Discord's state: a bot user, its owner, servers, channels, messages, sessions."""

    def __init__(self, *, token: str = "fake-token-123", message_content_intent: bool = True, shards: int = 1) -> None:
        self.token = token
        self.message_content_intent = message_content_intent  # the portal's switch
        self.shards = shards
        self.bot = p.user(p.snowflake(), "Mika", bot=True)
        self.owner = p.user(p.snowflake(), "Owner")
        self.app_id = p.snowflake()
        self.guilds: dict[int, dict[str, Any]] = {}
        self.channels: dict[int, dict[str, Any]] = {}  # channel id -> channel payload
        self.history: dict[int, list[dict[str, Any]]] = {}  # channel id -> messages, oldest first
        self.users: dict[int, dict[str, Any]] = {int(self.bot["id"]): self.bot, int(self.owner["id"]): self.owner}
        self.calls: list[Call] = []
        self.sessions: dict[str, Session] = {}
        self.gateway_ops: list[tuple[int, Any]] = []  # (op, d) of every payload the bot sent on the gateway
        self.close_codes: list[int] = []
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._changed = asyncio.Event()

    # -- the world ------------------------------------------------------------------------

    def add_user(self, name: str, *, bot: bool = False) -> dict[str, Any]:
        data = p.user(p.snowflake(), name, bot=bot)
        self.users[int(data["id"])] = data
        return data

    def add_guild(self, name: str, channels: list[str], emojis: Sequence[tuple[str, bool]] = ()) -> tuple[int, list[int]]:
        """A server with text channels (and custom emoji ``(name, animated)``); returns the ids."""
        guild_id = p.snowflake()
        ids = [p.snowflake() for _ in channels]
        chans = [p.text_channel(cid, guild_id, cname) for cid, cname in zip(ids, channels)]
        for chan in chans:
            self.channels[int(chan["id"])] = chan
            self.history[int(chan["id"])] = []
        members = [{**p.member(), "user": self.bot}]
        self.guilds[guild_id] = p.guild(guild_id, name, chans, members, [p.emoji(p.snowflake(), n, animated=a) for n, a in emojis])
        return guild_id, ids

    def add_dm(self, recipient: dict[str, Any]) -> int:
        channel_id = p.snowflake()
        self.channels[channel_id] = p.dm_channel(channel_id, recipient)
        self.history[channel_id] = []
        return channel_id

    def guild_of(self, channel_id: int) -> int | None:
        gid = self.channels[channel_id].get("guild_id")
        return int(gid) if gid else None

    # -- what the bot did -----------------------------------------------------------------

    def posts(self, channel_id: int | None = None) -> list[Call]:
        """Messages the bot created (in ``channel_id``), in order."""
        return [
            c for c in self.calls
            if c.method == "POST" and c.path.endswith("/messages") and (channel_id is None or c.path == f"/channels/{channel_id}/messages")
        ]

    async def wait_until(self, check: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until ``check()`` holds (re-checked whenever the fake sees a request)."""
        deadline = time.monotonic() + timeout
        while not check():
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out after {timeout} s waiting for {getattr(check, '__name__', check)}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), timeout=min(left, 0.05))
            except TimeoutError:
                pass

    async def settle(self, quiet: float = 0.3) -> None:
        """Wait until the bot has made no request for ``quiet`` seconds."""
        while True:
            count = len(self.calls)
            await asyncio.sleep(quiet)
            if len(self.calls) == count:
                return

    # -- the gateway side -----------------------------------------------------------------

    def connected(self) -> bool:
        """Every shard has an identified, open session."""
        live = {s.shard[0] for s in self.sessions.values() if s.ws is not None and not s.ws.closed}
        return len(live) == self.shards

    async def say(
        self, channel_id: int, author: dict[str, Any], content: str, *, at: datetime | None = None,
        mentions: Sequence[dict[str, Any]] = (), reply_to: dict[str, Any] | None = None, webhook: bool = False,
        attachments: Sequence[dict[str, Any]] = (), dispatch: bool = True,
    ) -> dict[str, Any]:
        """``author`` writes ``content`` in the channel: stored, and dispatched as MESSAGE_CREATE."""
        at = at or datetime.now(UTC)
        referenced = {k: v for k, v in reply_to.items() if k != "referenced_message"} if reply_to else None
        data = p.message(
            p.snowflake(at), channel_id, author, content, at, guild_id=self.guild_of(channel_id), mentions=list(mentions),
            referenced=referenced, webhook_id=p.snowflake() if webhook else None, attachments=list(attachments),
        )
        self.history[channel_id].append(data)
        self.history[channel_id].sort(key=lambda m: int(m["id"]))
        if dispatch:
            await self.dispatch("MESSAGE_CREATE", data, guild_id=self.guild_of(channel_id))
        return data

    async def react(self, channel_id: int, message_id: str, by: dict[str, Any], emoji: str = "\N{WHITE MEDIUM STAR}") -> None:
        data: dict[str, Any] = {
            "user_id": by["id"], "channel_id": str(channel_id), "message_id": message_id,
            "emoji": {"id": None, "name": emoji}, "burst": False, "type": 0,
        }
        guild_id = self.guild_of(channel_id)
        if guild_id is not None:
            data["guild_id"] = str(guild_id)
            data["member"] = {**p.member(), "user": by}
        await self.dispatch("MESSAGE_REACTION_ADD", data, guild_id=guild_id)

    async def dispatch(self, event: str, data: dict[str, Any], *, guild_id: int | None = None) -> None:
        """Send a DISPATCH to the session of the shard that owns ``guild_id`` (DMs: shard 0).

        While that session is disconnected the event is only kept, and replayed on RESUME.
        """
        shard = (guild_id >> 22) % self.shards if guild_id is not None else 0
        for session in self.sessions.values():
            if session.shard[0] == shard:
                await self._send_event(session, event, data)

    async def drop_connections(self) -> None:
        """Cut every gateway connection the way a network failure does (the sessions stay resumable)."""
        for session in self.sessions.values():
            if session.ws is not None:
                ws, session.ws = session.ws, None
                await ws.close(code=4000, message=b"fake network failure")

    # -- serving --------------------------------------------------------------------------

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}{API}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def start(self) -> None:
        app = web.Application(middlewares=[self._record])
        app.router.add_get("/gateway", self._gateway)
        routes = [
            ("GET", "/users/@me", self._me), ("GET", "/users/{user_id}", self._user),
            ("GET", "/oauth2/applications/@me", self._application), ("GET", "/gateway/bot", self._gateway_bot),
            ("GET", "/channels/{channel_id}", self._channel), ("GET", "/channels/{channel_id}/messages", self._messages),
            ("GET", "/channels/{channel_id}/messages/{message_id}", self._message),
            ("POST", "/channels/{channel_id}/messages", self._create_message),
            ("POST", "/channels/{channel_id}/typing", self._typing),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, API + path, handler)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        for session in self.sessions.values():
            if session.ws is not None:
                await session.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @web.middleware
    async def _record(self, request: web.Request, handler: Callable[[web.Request], Any]) -> web.StreamResponse:
        if not request.path.startswith(API):
            return await handler(request)
        call = Call(request.method, request.path[len(API):], dict(request.query))
        if request.content_type == "multipart/form-data":
            call.multipart = True
            form = await request.post()
            for name, value in form.items():
                if isinstance(value, web.FileField):
                    call.files[name] = (value.filename, value.file.read())
                elif name == "payload_json":
                    call.json = json.loads(str(value))
        elif request.can_read_body:
            call.json = await request.json()
        request[CALL] = call
        self.calls.append(call)
        self._changed.set()
        if request.headers.get("Authorization") != f"Bot {self.token}":
            return _json({"message": "401: Unauthorized", "code": 0}, status=401)
        return await handler(request)

    async def _me(self, request: web.Request) -> web.Response:
        return _json(self.bot)

    async def _user(self, request: web.Request) -> web.Response:
        found = self.users.get(int(request.match_info["user_id"]))
        return _json(found) if found else _not_found("Unknown User", 10013)

    async def _application(self, request: web.Request) -> web.Response:
        return _json({
            "id": str(self.app_id), "name": "Mika", "description": "", "icon": None, "bot_public": False,
            "bot_require_code_grant": False, "owner": self.owner, "team": None, "verify_key": "0" * 64, "flags": 1 << 19,
            "summary": "", "rpc_origins": [], "interactions_endpoint_url": None, "bot": self.bot,
        })

    async def _gateway_bot(self, request: web.Request) -> web.Response:
        return _json({
            "url": self.gateway_url, "shards": self.shards,
            "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 16},
        })

    async def _channel(self, request: web.Request) -> web.Response:
        found = self.channels.get(int(request.match_info["channel_id"]))
        return _json(found) if found else _not_found("Unknown Channel", 10003)

    async def _messages(self, request: web.Request) -> web.Response:
        """Newest first, like Discord; ``after`` gives the messages right after that id."""
        history = self.history.get(int(request.match_info["channel_id"]))
        if history is None:
            return _not_found("Unknown Channel", 10003)
        limit = min(int(request.query.get("limit", "50")), 100)
        chosen = history
        if "before" in request.query:
            chosen = [m for m in chosen if int(m["id"]) < int(request.query["before"])]
        if "after" in request.query:
            chosen = [m for m in chosen if int(m["id"]) > int(request.query["after"])][:limit]
        return _json(list(reversed(chosen[-limit:])))

    async def _message(self, request: web.Request) -> web.Response:
        history = self.history.get(int(request.match_info["channel_id"]), [])
        for data in history:
            if data["id"] == request.match_info["message_id"]:
                return _json(data)
        return _not_found("Unknown Message", 10008)

    async def _typing(self, request: web.Request) -> web.Response:
        return web.Response(status=204)

    async def _create_message(self, request: web.Request) -> web.Response:
        channel_id = int(request.match_info["channel_id"])
        if channel_id not in self.channels:
            return _not_found("Unknown Channel", 10003)
        call = request[CALL]
        body = call.json or {}
        attachments = [
            {"id": str(p.snowflake()), "filename": filename, "size": len(content),
             "url": f"http://127.0.0.1:{self.port}/attachments/{channel_id}/{filename}",
             "proxy_url": f"http://127.0.0.1:{self.port}/attachments/{channel_id}/{filename}"}
            for filename, content in call.files.values()
        ]
        ref = body.get("message_reference")
        referenced = None
        if ref:
            referenced = next((m for m in self.history[channel_id] if m["id"] == str(ref["message_id"])), None)
        data = await self.say(
            channel_id, self.bot, body.get("content") or "", reply_to=referenced, attachments=attachments,
        )
        return _json(data)

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        session: Session | None = None
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            payload = json.loads(msg.data)
            op, d = payload["op"], payload.get("d")
            self.gateway_ops.append((op, d))
            self._changed.set()
            if op == 1:
                await ws.send_json({"op": 11, "d": None, "s": None, "t": None})
            elif op == 2:
                session = await self._identify(ws, d)
            elif op == 6:
                session = await self._resume(ws, d)
        if session is not None and session.ws is ws:
            session.ws = None
        return ws

    async def _identify(self, ws: web.WebSocketResponse, d: dict[str, Any]) -> Session | None:
        if d["token"] != self.token:
            await self._close(ws, 4004, "Authentication failed.")
            return None
        if d.get("intents", 0) & p.MESSAGE_CONTENT and not self.message_content_intent:
            await self._close(ws, 4014, "Disallowed intent(s).")
            return None
        shard = tuple(d.get("shard") or (0, 1))
        session = Session(id=secrets.token_hex(8), shard=(shard[0], shard[1]), ws=ws)
        self.sessions[session.id] = session
        mine = [g for gid, g in self.guilds.items() if (gid >> 22) % shard[1] == shard[0]]
        await self._send_event(session, "READY", {
            "v": 10, "user": self.bot, "guilds": [{"id": g["id"], "unavailable": True} for g in mine],
            "session_id": session.id, "resume_gateway_url": self.gateway_url, "shard": list(shard),
            "application": {"id": str(self.app_id), "flags": 1 << 19}, "private_channels": [], "relationships": [],
        })
        for g in mine:
            await self._send_event(session, "GUILD_CREATE", g)
        return session

    async def _resume(self, ws: web.WebSocketResponse, d: dict[str, Any]) -> Session | None:
        session = self.sessions.get(d.get("session_id") or "")
        if session is None or d["token"] != self.token:
            await ws.send_json({"op": 9, "d": False, "s": None, "t": None})
            return None
        session.ws = ws
        missed = [event for event in session.events if event["s"] > (d.get("seq") or 0)]
        for event in missed:
            await ws.send_json(event)
        await self._send_event(session, "RESUMED", {})
        return session

    async def _send_event(self, session: Session, event: str, data: dict[str, Any]) -> None:
        payload = {"op": 0, "t": event, "s": session.seq + 1, "d": data}
        session.events.append(payload)
        if session.ws is not None and not session.ws.closed:
            await session.ws.send_json(payload)

    async def _close(self, ws: web.WebSocketResponse, code: int, reason: str) -> None:
        self.close_codes.append(code)
        await ws.close(code=code, message=reason.encode())


def _json(data: Any, status: int = 200) -> web.Response:
    """A JSON response with Discord's exact content type (discord.py compares it as a whole)."""
    return web.Response(body=json.dumps(data).encode(), status=status, content_type="application/json")


def _not_found(message: str, code: int) -> web.Response:
    return _json({"message": message, "code": code}, status=404)


@contextmanager
def point_discord_py_at(fake: FakeDiscord) -> Iterator[None]:
    """Send discord.py's REST requests and gateway connections to ``fake`` for the ``with`` block.

    discord.py builds every REST URL from ``discord.http.Route.BASE`` and connects the first
    gateway session to ``DiscordWebSocket.DEFAULT_GATEWAY`` (the sharded client asks
    ``GET /gateway/bot`` instead); resumes go to READY's ``resume_gateway_url``.
    """
    import discord.http
    import yarl
    from discord.gateway import DiscordWebSocket

    base, gateway = discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = fake.api_base
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    try:
        yield
    finally:
        discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = base, gateway
