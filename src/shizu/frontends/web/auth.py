"""The API key: when the server has one, every API call, media file and page data request needs it.

Clients send it as ``Authorization: Bearer KEY`` (what the ``openai`` client and chat UIs do). The
web page asks for it once and keeps it in a ``SameSite=Strict`` cookie, which the browser sends
with the page's own requests (images included) but never with a request started by another site.
The key is compared in constant time.
"""

from __future__ import annotations

import hmac
from urllib.parse import unquote

from fastapi import Request

from shizu.frontends.web.http_errors import ApiError
from shizu.frontends.web.site import site_of

COOKIE = "shizu_key"


def require_key(request: Request) -> None:
    """FastAPI dependency: 401 unless the request carries the server's key (when it has one)."""
    key = site_of(request).api_key
    if key is None:
        return
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        given = unquote(request.cookies.get(COOKIE, ""))  # the page stores it percent-encoded
    if not hmac.compare_digest(given.strip().encode(), key.encode()):
        raise ApiError(
            401,
            "Missing or wrong API key: send the server's key as 'Authorization: Bearer KEY'"
            " (the server reads it from its api_key_env environment variable, [serve] in shizu.toml)",
            code="invalid_api_key",
        )
