"""The OpenAI-compatible API: ``GET /v1/models`` and ``POST /v1/chat/completions``.

What a client gets back follows the OpenAI chat completions format, so the ``openai`` client and
chat UIs (Open WebUI, SillyTavern) work unchanged:

* ``message.content`` is the persona's whole turn, its burst's messages joined with newlines, and
  ``message.burst`` (an extra field) lists them one by one; media are their web URLs, or their tags
  (``[image: label]``) for items with only a local file (no local path is ever sent);
* with ``stream: true`` each finished message arrives as one ``chat.completion.chunk`` (messages
  are sent only once post-processed: a half-written line could still hold an invented link);
  ``stream_options.include_usage`` adds the usage chunk;
* ``max_tokens`` / ``max_completion_tokens``, ``temperature`` and ``top_p`` apply to this reply;
  ``stop`` and penalties are ignored (the persona stops at the end of its own turn);
* Shizu's own fields, sent with the ``openai`` client's ``extra_body``: ``place`` (``"dm"``, the
  default, or ``"#channel"``), ``participants`` (people present who have not spoken), ``where``
  (the place's platform ids, :class:`~.conversation.WhereField`: the persona recalls and remembers
  for it; without it, nothing) and ``memory`` (``false``: no memory for this reply);
* ``memories`` (an extra field of the completion, and of the stream's last chunk, the one with the
  ``finish_reason``) lists what the prompt recalled, oldest first (:func:`shizu.memory.describe`).

See :mod:`shizu.frontends.web.conversation` for how messages become speakers.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

import msgspec
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from shizu.chat.layout import parse_place
from shizu.config import GenerationConfig
from shizu.frontends.web import models
from shizu.frontends.web.auth import require_key
from shizu.frontends.web.conversation import Incoming, WhereField, check_limits, check_max_tokens, to_history
from shizu.frontends.web.http_errors import bad_request
from shizu.frontends.web.models import ServedModel, Usage
from shizu.frontends.web.site import Site, site_of
from shizu.frontends.web.streaming import SSE_HEADERS, failure, opened, sse
from shizu.frontends.web.wire import memories_json, public_text
from shizu.persona import Done, Event, Reply, Said

router = APIRouter(prefix="/v1", dependencies=[Depends(require_key)])


class ContentPart(BaseModel):
    """One part of a message's content; only ``text`` parts are read."""

    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str
    content: str | list[ContentPart] | None = None
    name: str | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "\n".join(part.text for part in self.content if part.type == "text" and part.text)
        return self.content or ""


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")
    include_usage: bool = False


class ChatRequest(BaseModel):
    """A chat completions request; unknown OpenAI fields are accepted and ignored."""

    model_config = ConfigDict(extra="allow")
    model: str
    messages: list[ChatMessage]
    stream: bool = False
    stream_options: StreamOptions | None = None
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, gt=0, le=1)
    n: int = 1
    place: str = "dm"
    participants: list[str] = []
    where: WhereField | None = None
    memory: bool = True


@router.get("/models")
def list_models(request: Request) -> dict[str, Any]:
    """The persona's served models (its runs, or ``base``)."""
    return {"object": "list", "data": [_card(model) for model in site_of(request).models]}


@router.get("/models/{model_id}")
def get_model(model_id: str, request: Request) -> dict[str, Any]:
    return _card(site_of(request).model(model_id, param="model_id"))


@router.post("/chat/completions")
async def chat_completions(body: ChatRequest, request: Request) -> Response:
    """The persona's next turn in the conversation ``body.messages``."""
    site = site_of(request)
    served = site.model(body.model)
    settings = _settings(body, site, served)
    place = parse_place(body.place)
    if place is None:
        raise bad_request(f"place must be \"dm\" or \"#channel\" (got {body.place!r})", param="place")
    now = models.current_time()
    history = to_history(
        [Incoming(m.role, m.text(), m.name) for m in body.messages], served.persona.name, site.settings.speaker, now
    )
    where = body.where.where() if body.where is not None else None
    events = await opened(served.stream(
        history, place, participants=body.participants, now=now, settings=settings, where=where, memory=body.memory,
    ))
    completion = _Completion(f"chatcmpl-{secrets.token_hex(12)}", int(time.time()), served.id)
    if body.stream:
        include_usage = body.stream_options is not None and body.stream_options.include_usage
        return StreamingResponse(completion.chunks(events, include_usage), media_type="text/event-stream", headers=SSE_HEADERS)
    reply, usage = await _drain(events)
    return JSONResponse(completion.whole(reply, usage))


def _settings(body: ChatRequest, site: Site, served: ServedModel) -> GenerationConfig:
    """The request's limits checked, and its sampling settings over the workspace's."""
    check_limits(len(body.messages), sum(len(m.text()) for m in body.messages), site.settings)
    check_max_tokens(body.max_tokens, site.settings, "max_tokens")
    check_max_tokens(body.max_completion_tokens, site.settings, "max_completion_tokens")
    if body.n != 1:
        raise bad_request(f"n = {body.n}: the persona writes one reply per request; use n = 1", param="n")
    base = served.persona.generation
    changes: dict[str, Any] = {}
    if (max_tokens := body.max_completion_tokens or body.max_tokens) is not None:
        changes["max_new_tokens"] = max_tokens
    if body.temperature is not None:
        changes["temperature"] = body.temperature
    if body.top_p is not None:
        changes["top_p"] = body.top_p
    return msgspec.structs.replace(base, **changes)


async def _drain(events: AsyncIterator[Event | Usage]) -> tuple[Reply, Usage]:
    reply: Reply | None = None
    async for event in events:
        if isinstance(event, Done):
            reply = event.reply
        elif isinstance(event, Usage):
            assert reply is not None
            return reply, event
    raise RuntimeError("the reply stream ended without its usage")


def _card(model: ServedModel) -> dict[str, Any]:
    return {"id": model.id, "object": "model", "created": model.created, "owned_by": "shizu"}


class _Completion:
    """The fields every object of one completion shares."""

    def __init__(self, id: str, created: int, model: str) -> None:
        self.id, self.created, self.model = id, created, model

    def whole(self, reply: Reply, usage: Usage) -> dict[str, Any]:
        burst = [public_text(m) for m in reply.messages]
        message = {"role": "assistant", "content": "\n".join(burst), "burst": burst}
        return {
            "id": self.id, "object": "chat.completion", "created": self.created, "model": self.model,
            "choices": [{"index": 0, "message": message, "finish_reason": _finish(usage), "logprobs": None}],
            "usage": _usage(usage), "memories": memories_json(reply),
        }

    async def chunks(self, events: AsyncIterator[Event | Usage], include_usage: bool) -> AsyncIterator[bytes]:
        """The completion as server-sent ``chat.completion.chunk`` events, one per finished message."""
        sent = 0
        reply: Reply | None = None
        try:
            async for event in events:
                if isinstance(event, Said):
                    delta = {"content": ("\n" if sent else "") + public_text(event.message)}
                    yield self._chunk({"role": "assistant", **delta} if not sent else delta)
                    sent += 1
                elif isinstance(event, Done):
                    reply = event.reply
                elif isinstance(event, Usage) and reply is not None:
                    if not sent:
                        yield self._chunk({"role": "assistant", "content": ""})
                    yield self._chunk({}, _finish(event), memories=memories_json(reply))
                    if include_usage:
                        yield self._event({"choices": [], "usage": _usage(event)})
        except Exception as exc:
            yield sse(json.dumps(failure(exc).body()))
        yield sse("[DONE]")

    def _chunk(self, delta: dict[str, Any], finish: str | None = None, **extra: Any) -> bytes:
        return self._event({"choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}], **extra})

    def _event(self, fields: dict[str, Any]) -> bytes:
        head = {"id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": self.model}
        return sse(json.dumps({**head, **fields}, ensure_ascii=False))


def _finish(usage: Usage) -> str:
    return "length" if usage.truncated else "stop"


def _usage(usage: Usage) -> dict[str, int]:
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.prompt_tokens + usage.completion_tokens,
    }
