"""The headers every response carries and the ``Host`` check, as one ASGI middleware.

* ``Content-Security-Policy``: :data:`PAGE_POLICY` on pages and API answers (scripts and styles
  only from the server's own files, no inline script or style, no plugins, no framing, no
  ``<base>``); :data:`MEDIA_POLICY` (``sandbox``) on ``/media/*``, so a file opened on its own is a
  sandboxed document without scripts even if a browser ever rendered it as a page.
* ``Referrer-Policy: no-referrer`` (links to other sites never learn the server's address),
  ``X-Content-Type-Options: nosniff`` (a type is never guessed from the content),
  ``X-Frame-Options: DENY`` (for browsers without ``frame-ancestors``).
* A request whose ``Host`` is not one of the server's names (:mod:`.hosts`) gets 421 on every
  route, before anything else runs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.datastructures import Headers, MutableHeaders

from shizu.frontends.web.hosts import host_name
from shizu.frontends.web.http_errors import ApiError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PAGE_POLICY = "; ".join([
    "default-src 'self'",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "img-src 'self' http: https:",  # media items without a local file are shown from their web URL
    "media-src 'self' http: https:",
])
MEDIA_POLICY = "sandbox"
HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


def policy_for(path: str) -> str:
    return MEDIA_POLICY if path == "/media" or path.startswith("/media/") else PAGE_POLICY


def security_headers(path: str) -> dict[str, str]:
    """Every header :class:`Guard` sets on a response to ``path`` (for answers sent around it)."""
    return {"Content-Security-Policy": policy_for(path), **HEADERS}


class Guard:
    """Refuses foreign ``Host`` names (421) and puts :func:`security_headers` on every answer."""

    def __init__(self, app: ASGIApp, names: frozenset[str]) -> None:
        self.app = app
        self.names = names

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = security_headers(scope["path"])

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                for name, value in headers.items():
                    response_headers[name] = value
            await send(message)

        given = Headers(scope=scope).get("host", "")
        if host_name(given) not in self.names:
            refused = ApiError(
                421,
                f"This server does not answer to the name {given[:100]!r}: open it by its own address"
                " (the one `shizu serve` printed); a server listening on the network also answers to the names"
                " in [serve] allowed_hosts (shizu.toml)",
                code="misdirected_request",
            )
            await refused.response()(scope, receive, secured)
            return
        await self.app(scope, receive, secured)
