"""The web page's own API: what the chat page needs beyond the OpenAI format.

* ``GET /api/info``: the persona's name, the served models, the default speaker;
* ``POST /api/chat``: the persona's reply to the page's conversation (kept by the page, with each
  message's speaker and time, and optionally ``where``, as in the API), streamed as server-sent
  events: ``message`` for each finished message of the burst (its id, text and media, see
  :mod:`.wire`), then ``done`` (with the ``memories`` the reply recalled), or ``error``.
  Each reply is recorded in the workspace's exchange log (platform ``web``) with the conversation
  it answered, so a ⭐ on it can put it in the collection and a thumb is feedback on it. With
  ``retake`` (a persona message id, the browser's voter id and name: "another take", the history
  sent again without that reply), the reply it replaces is stored as ``rejected`` feedback once the
  new one is written (docs/feedback.md);
* ``POST /api/star``: put the exchange of one of the persona's messages in the collection;
* ``POST /api/feedback``: a thumb ``up`` or ``down`` on one of the persona's messages, from a voter
  (stored once per voter, verdict and exchange);
* ``GET /api/collection``: the collection as HTML and CSS (the gallery ``shizu collection export``
  writes, with local files as ``/media/<n>`` links);
* ``GET /media/<n>``: the local file of catalogue item ``n``, checked again at each request
  (:func:`.inert.media_file`): inline only when its bytes are a picture, video or sound on
  :data:`.inert.INLINE_TYPES`, else a download (``attachment``, ``application/octet-stream``).
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import BaseModel, Field

from shizu.chat.layout import Place, parse_place
from shizu.chat.media import MediaItem
from shizu.collection import Exchange, ExchangeLog, gallery_title
from shizu.collection.gallery import GALLERY_CSS, render_items
from shizu.frontends.answered import reply_context, sent_messages
from shizu.frontends.web.auth import require_key
from shizu.frontends.web.blind_api import VOTER
from shizu.frontends.web.conversation import WhereField, check_limits
from shizu.frontends.web.http_errors import ApiError, bad_request
from shizu.frontends.web.inert import DOWNLOAD_TYPE, media_file
from shizu.frontends.web.models import ServedModel, Usage
from shizu.frontends.web.site import Site, site_of
from shizu.frontends.web.streaming import SSE_HEADERS, failure, opened, sse
from shizu.frontends.web.wire import memories_json, message_json
from shizu.persona import Done, Event, LiveMessage, Reply, Said
from shizu.store import MessageStore
from shizu.store.feedback import FeedbackTable

router = APIRouter(dependencies=[Depends(require_key)])

PLATFORM = "web"


class PageMessage(BaseModel):
    speaker: str = Field(min_length=1, max_length=64)
    text: str
    persona: bool = False
    time: datetime


class Judged(BaseModel):
    """One of the persona's messages, and who judges it: the browser's voter id and the name shown."""

    message_id: str = Field(min_length=1, max_length=128)
    voter: str = Field(pattern=VOTER)
    by: str = Field(min_length=1, max_length=64)


class PageChat(BaseModel):
    model: str | None = None
    place: str = "dm"
    history: list[PageMessage] = Field(min_length=1)
    where: WhereField | None = None
    retake: Judged | None = None  # another take: the reply this one replaces


class StarRequest(BaseModel):
    message_id: str = Field(min_length=1, max_length=128)
    by: str = Field(min_length=1, max_length=64)


class FeedbackRequest(Judged):
    verdict: Literal["up", "down"]


@router.get("/api/info")
def info(request: Request) -> dict[str, Any]:
    site = site_of(request)
    return {"persona": site.persona_name, "models": [m.id for m in site.models], "speaker": site.settings.speaker}


@router.post("/api/chat")
async def chat(body: PageChat, request: Request) -> Response:
    """Stream the persona's reply to the page's conversation."""
    site = site_of(request)
    served = site.model(body.model)
    check_limits(len(body.history), sum(len(m.text) for m in body.history), site.settings, param="history")
    place = parse_place(body.place)
    if place is None:
        raise bad_request(f"place must be \"dm\" or \"#channel\" (got {body.place!r})", param="place")
    history = [
        LiveMessage(served.persona.name if m.persona else m.speaker, m.text, _aware(m.time), is_persona=m.persona)
        for m in body.history
    ]
    retake = None
    if body.retake is not None:
        with site.ws.open_store() as store:
            retake = _exchange_of(store, body.retake.message_id, "retake.message_id"), body.retake
    asked = time.monotonic()
    events = await opened(served.stream(history, place, where=body.where.where() if body.where is not None else None))
    exchange = _Recorder(site, served, place, history, asked, retake)
    return StreamingResponse(exchange.events(events), media_type="text/event-stream", headers=SSE_HEADERS)


@router.post("/api/star")
def star(body: StarRequest, request: Request) -> dict[str, Any]:
    """Put the exchange that sent ``message_id`` in the collection (the first star counts)."""
    with site_of(request).ws.open_store() as store:
        _exchange_of(store, body.message_id)
        added = ExchangeLog(store).star(body.message_id, f"{PLATFORM}:{body.by}", body.by, datetime.now(UTC))
    return {"starred": True, "added": added is not None}


@router.post("/api/feedback")
def feedback(body: FeedbackRequest, request: Request) -> dict[str, Any]:
    """A thumb on one of the persona's messages; ``stored`` is false when this voter gave it already."""
    ws = site_of(request).ws
    with ws.open_store() as store:
        exchange_id = _exchange_of(store, body.message_id)
        stored = FeedbackTable(store, ws.config.privacy.opt_out).add(
            exchange_id, body.verdict, source="web", giver=f"{PLATFORM}:{body.voter}", giver_name=body.by, at=datetime.now(UTC),
        )
    return {"stored": stored}


def _exchange_of(store: MessageStore, message_id: str, param: str = "message_id") -> int:
    """The exchange that sent the persona message ``message_id``, else 404."""
    exchange_id = ExchangeLog(store).exchange_of(message_id)
    if exchange_id is None:
        raise ApiError(404, f"No persona message {message_id!r} in the exchange log", param=param, code="not_found")
    return exchange_id


@router.get("/api/collection")
def collection(request: Request) -> dict[str, Any]:
    """The starred exchanges as the gallery's HTML, most recently starred first."""
    ws = site_of(request).ws
    with ws.open_store() as store:
        items = ExchangeLog(store).collection()
    title = gallery_title(ws, items)
    site = site_of(request)
    html = render_items(items, title=title, zone=ZoneInfo(ws.config.build.timezone), local=lambda item: _gallery_file(site, item))
    return {"title": title, "count": len(items), "html": html, "css": GALLERY_CSS}


def _gallery_file(site: Site, item: MediaItem) -> tuple[str, bool] | None:
    """Where the page gets ``item``'s local file and whether it is a picture."""
    found = site.media_file(item)
    return None if found is None else (f"/media/{found[0]}", found[1].show == "image")


@router.get("/media/{number}")
def media(number: int, request: Request) -> FileResponse:
    """A catalogue item's local file (the export's copy of an attachment), checked now."""
    items = site_of(request).media
    item = items[number] if 0 <= number < len(items) else None
    found = media_file(item) if item is not None else None
    if item is None or found is None:
        raise ApiError(404, f"No local file for media item {number}", code="not_found")
    if found.inline_type is not None:
        return FileResponse(found.path, media_type=found.inline_type)
    name = Path(item.local_path or "").name or f"media-{number}"
    return FileResponse(found.path, media_type=DOWNLOAD_TYPE, filename=name, content_disposition_type="attachment")


class _Recorder:
    """Streams one page reply and records it in the exchange log when the turn is over (with
    ``retake``, the exchange it replaces and who asked: that one is then stored as rejected)."""

    def __init__(
        self, site: Site, served: ServedModel, place: Place, history: list[LiveMessage], asked: float,
        retake: tuple[int, Judged] | None = None,
    ) -> None:
        self.site, self.served, self.place, self.history, self.asked, self.retake = site, served, place, history, asked, retake
        self.prefix = f"{PLATFORM}-{secrets.token_hex(8)}"

    async def events(self, events: AsyncIterator[Event | Usage]) -> AsyncIterator[bytes]:
        sent = 0
        reply: Reply | None = None
        try:
            async for event in events:
                if isinstance(event, Said):
                    payload = {"id": f"{self.prefix}-{sent}", **message_json(event.message, self.site.media_file)}
                    sent += 1
                    yield sse(json.dumps(payload, ensure_ascii=False), "message")
                elif isinstance(event, Done):
                    reply = event.reply
                elif isinstance(event, Usage) and reply is not None:
                    if reply.messages:
                        self._record(reply, event)
                    done = {"stop": reply.stop, "messages": len(reply.messages), "memories": memories_json(reply)}
                    yield sse(json.dumps(done, ensure_ascii=False), "done")
        except Exception as exc:
            yield sse(json.dumps(failure(exc).body()), "error")

    def _record(self, reply: Reply, usage: Usage) -> None:
        trigger = next((m for m in reversed(self.history) if not m.is_persona), self.history[-1])
        exchange = Exchange(
            platform=PLATFORM, channel_id=PLATFORM, place=f"{self.place.label()} (web page)",
            trigger_id=f"{self.prefix}-trigger", trigger_author=trigger.speaker, trigger_text=trigger.text,
            trigger_time=trigger.time, context_ids=(), persona=self.served.persona.name,
            messages=sent_messages(self.prefix, reply.messages),
            backend=self.served.persona.backend.label, stop=reply.stop,
            queued_ms=round((usage.started - self.asked) * 1000), latency_ms=round((usage.finished - usage.started) * 1000),
            created=datetime.now(UTC), context=reply_context(self.history, reply.situation),
        )
        ws = self.site.ws
        with ws.open_store() as store:
            exchange_id = ExchangeLog(store).record(exchange)
            if self.retake is not None:
                replaced, by = self.retake
                FeedbackTable(store, ws.config.privacy.opt_out).add(
                    replaced, "rejected", source="reroll", giver=f"{PLATFORM}:{by.voter}", giver_name=by.by, at=exchange.created,
                    retake_id=exchange_id,
                )


def _aware(when: datetime) -> datetime:
    """A time the page sent without a zone is UTC."""
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
