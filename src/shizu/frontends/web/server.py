"""``shizu serve``: load the persona, check the server is safe to expose, and run it with uvicorn.

By default the server listens on 127.0.0.1 only (this machine). Listening on another address
shares the persona with the network: that needs an API key in the environment variable named by
``[serve] api_key_env``, unless the user explicitly allows a server without one. Either way it
answers only to its own names (:mod:`.hosts`; docs/security.md).
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Callable, Sequence

from shizu.errors import ServeError
from shizu.frontends.web.hosts import WILDCARDS, allowed_names, is_loopback, lan_address
from shizu.frontends.web.models import load_models
from shizu.frontends.web.site import Site
from shizu.workspace import Workspace


def serve(
    ws: Workspace,
    *,
    host: str | None = None,
    port: int | None = None,
    runs: Sequence[str] = (),
    base_only: bool = False,
    server: str | None = None,
    allow_no_key: bool = False,
    memory: bool = True,
    say: Callable[[str], None] = lambda _: None,
) -> None:
    """Serve the persona of ``ws`` until interrupted (``host``/``port`` default to ``[serve]``;
    ``memory=False``: no memory, whatever requests ask)."""
    settings = ws.config.serve
    host = host or settings.host
    port = settings.port if port is None else port
    key = os.environ.get(settings.api_key_env, "").strip() or None
    check_exposure(host, key, settings.api_key_env, allow_no_key)
    allowed_names(host, settings.allowed_hosts)  # a name that is not one fails here, before anything starts
    sock = bind(host, port)
    try:
        models = load_models(ws, runs=runs, base_only=base_only, server=server, max_queue=settings.max_queue, say=say, memory=memory)
        for model in models:
            say(f"loading {model.id}...")
            model.persona.prepare()
            say(f"{model.id} answers with {model.persona.backend.label}")
        site = Site(ws, models, settings, key, host=host)
        from shizu.frontends.web.app import create_app

        app = create_app(site)
        for line in welcome(site, host, sock.getsockname()[1]):
            say(line)
        import uvicorn

        with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises the Ctrl-C it stopped on: the normal end
            uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False)).run(sockets=[sock])
        say("stopped.")
    finally:
        sock.close()


def check_exposure(host: str, key: str | None, key_env: str, allow_no_key: bool) -> None:
    """Refuse to share the persona beyond this machine without an API key (unless allowed)."""
    if key is None and not is_loopback(host) and not allow_no_key:
        raise ServeError(
            f"Listening on {host} lets anyone who can reach this machine chat with the persona and read its"
            " collection, and no API key is set",
            hint=f"Set a key first: export {key_env}=\"$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')\""
            " (friends type it once in the page), or pass --allow-no-key to share without one.",
        )


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: any free port), or a clear error."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
        sock = socket.socket(family, kind, proto)
    except (OSError, UnicodeError) as exc:
        raise ServeError(
            f"Cannot listen on {host!r}: {exc}", hint="Pass --host 127.0.0.1 (this machine) or 0.0.0.0 (every network)."
        ) from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise ServeError(
            f"Cannot listen on {host}:{port}: {exc.strerror or exc}",
            hint="Another program (or another `shizu serve`) uses that port: pick another one with --port.",
        ) from None
    return sock


def welcome(site: Site, host: str, port: int) -> list[str]:
    """What the user needs once the server is up: the page, the API base URL, the key."""
    wildcard = host in WILDCARDS
    shown = lan_address() if wildcard else host
    base = f"http://{f'[{shown}]' if ':' in shown else shown}:{port}"
    lines = [
        f"{site.persona_name} is online: chat at {base}/  ·  collection {base}/collection  ·  blind test {base}/blind",
        f"OpenAI-compatible API: base URL {base}/v1, model {', '.join(m.id for m in site.models)}",
    ]
    if site.api_key is not None:
        lines.append(f"Clients must send the key from ${site.settings.api_key_env} (Authorization: Bearer ...).")
    elif not is_loopback(host):
        lines.append("No API key: anyone who can reach this address can use it.")
    if not is_loopback(host):
        names = sorted(allowed_names(host, site.settings.allowed_hosts, shown if wildcard else None))
        lines.append(f"It answers to the names {', '.join(names)} ([serve] allowed_hosts adds others).")
    lines.append("Press Ctrl-C to stop.")
    return lines
