"""The API key: when the server has one, every API call, media file and page data request needs it.

Clients send it as ``Authorization: Bearer KEY`` (what the ``openai`` client and chat UIs do). The
web page asks for it once and sends it to ``POST /api/login``, which answers with a cookie the
server sets itself: ``HttpOnly`` (no script of the page can read it), ``SameSite=Strict`` (never
sent with a request started by another site), ``Path=/``, and ``Secure`` when the server listens
on the network or the request came over HTTPS (through a reverse proxy on this machine, which
uvicorn trusts for ``X-Forwarded-Proto``); a ``Secure`` cookie is kept by browsers only over HTTPS. The cookie holds a token derived from
the key (an HMAC), not the key. Keys and tokens are compared in constant time.

* ``GET /api/session``: whether a key is needed and whether this browser's cookie is accepted;
* ``POST /api/login`` with ``{"key": KEY}``: ``{"unlocked": true, "secure": ...}`` and the cookie
  (``secure``: the cookie is ``Secure``, the page must be on HTTPS to keep it), or
  ``{"unlocked": false}`` (a 200 either way: the page shows the answer; a wrong key changes nothing).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from shizu.frontends.web.hosts import is_loopback
from shizu.frontends.web.http_errors import ApiError
from shizu.frontends.web.site import Site, site_of

COOKIE = "shizu_key"
COOKIE_MAX_AGE = 30 * 24 * 3600  # a month; the page asks again after that
_TOKEN_CONTEXT = b"shizu serve: the page's cookie"

router = APIRouter(prefix="/api")


class Login(BaseModel):
    key: str = Field(max_length=1024)


def cookie_token(key: str) -> str:
    """What the cookie holds for ``key``: stealing it does not reveal the key itself."""
    return hmac.new(key.encode(), _TOKEN_CONTEXT, hashlib.sha256).hexdigest()


def require_key(request: Request) -> None:
    """FastAPI dependency: 401 unless the request carries the server's key (when it has one)."""
    key = site_of(request).api_key
    if key is None or _bearer_ok(request, key) or _cookie_ok(request, key):
        return
    raise ApiError(
        401,
        "Missing or wrong API key: send the server's key as 'Authorization: Bearer KEY'"
        " (the server reads it from its api_key_env environment variable, [serve] in shizu.toml)",
        code="invalid_api_key",
    )


@router.get("/session")
def session(request: Request) -> dict[str, Any]:
    """``key_needed``, ``unlocked`` (requests from here are accepted) and ``rejected`` (a cookie
    was sent but the server does not accept it: its key changed)."""
    key = site_of(request).api_key
    unlocked = key is None or _bearer_ok(request, key) or _cookie_ok(request, key)
    return {"key_needed": key is not None, "unlocked": unlocked, "rejected": not unlocked and COOKIE in request.cookies}


@router.post("/login")
def login(body: Login, request: Request) -> JSONResponse:
    """Check ``body.key``; when it is the server's, set the page's cookie."""
    site = site_of(request)
    if site.api_key is None:
        return JSONResponse({"unlocked": True})
    if not hmac.compare_digest(body.key.strip().encode(), site.api_key.encode()):
        return JSONResponse({"unlocked": False})
    secure = not is_loopback(site.host) or request.url.scheme == "https"
    response = JSONResponse({"unlocked": True, "secure": secure})
    response.headers.append("Set-Cookie", session_cookie(site, secure))
    return response


def session_cookie(site: Site, secure: bool) -> str:
    """The ``Set-Cookie`` value that unlocks the page for ``site``."""
    assert site.api_key is not None
    flag = "; Secure" if secure else ""
    return f"{COOKIE}={cookie_token(site.api_key)}; Max-Age={COOKIE_MAX_AGE}; Path=/; HttpOnly; SameSite=Strict{flag}"


def _bearer_ok(request: Request, key: str) -> bool:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), key.encode())


def _cookie_ok(request: Request, key: str) -> bool:
    given = request.cookies.get(COOKIE)
    return given is not None and hmac.compare_digest(given.encode(), cookie_token(key).encode())
