"""Helpers for the ``shizu serve`` tests: a scripted backend, a site around it, a live server,
held-out conversations for the blind test.

The persona is the real runtime (prompt rendering, guards, post-processing) on a
:class:`persona_helpers.ScriptedBackend` that continues every prompt with the next canned reply
and records what it was asked, so tests assert exact prompts and exact replies in milliseconds.
The server is the real application under uvicorn on 127.0.0.1 (a free port), in a thread of the
test process.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from clock import NOW
from dataset_helpers import Chat, story_workspace
from persona_helpers import ScriptedBackend, make_workspace
from shizu.chat.layout import Place, Situation, Turn, render
from shizu.config import ServeConfig
from shizu.dataset.pipeline import build_dataset
from shizu.frontends.web.app import create_app
from shizu.frontends.web.generation import GenerationQueue
from shizu.frontends.web.models import ServedModel
from shizu.frontends.web.server import bind
from shizu.frontends.web.site import Site
from shizu.persona import Persona
from shizu.persona.media import MediaCatalogue
from shizu.persona.memory import PersonaMemory

MODEL = "tiny"

# The blind test's held-out conversations (dataset/val.jsonl), rendered as `shizu build` writes them.
CAT = "https://tenor.com/view/cat-vibing-gif-18376235"
GENERAL = Place(kind="guild-text", channel="general", server="Cozy")


def example(example_id: str, place: Place, turns: list[Turn]) -> dict:
    others = tuple(dict.fromkeys(t.speaker for t in turns if not t.is_persona))
    messages = render(Situation("Mika", place, NOW, others), turns)
    return {
        "id": example_id, "conversation": example_id.rsplit(":", 1)[0], "split": "val", "channel_id": "100",
        "timestamp": "2024-03-02T21:14:00Z", "messages": messages, "message_ids": [[] for _ in messages],
    }


EXAMPLES = [
    example("100:1:0", GENERAL, [
        Turn("Alice", False, ("did you see the trailer",)),
        Turn("Mika", True, ("omg yes [gif: cat vibing]",)),
        Turn("Alice", False, ("same",)),
        Turn("Mika", True, ("ok brb",)),
    ]),
    example("100:2:0", Place(kind="dm"), [  # the persona opens: its first turn answers nobody
        Turn("Mika", True, ("anyone up?",)),
        Turn("Bob", False, ("me",)),
        Turn("Mika", True, ("nice", "wanna play")),
    ]),
]
REAL = {  # the real replies of the three held-out turns that answer someone, as the page gets them
    "did you see the trailer": [{"text": f"omg yes {CAT}", "body": "omg yes", "media": [
        {"kind": "gif", "label": "cat vibing", "url": CAT, "src": CAT, "show": "link"}]}],
    "same": [{"text": "ok brb", "body": "ok brb", "media": []}],
    "me": [{"text": "nice", "body": "nice", "media": []}, {"text": "wanna play", "body": "wanna play", "media": []}],
}


def write_val(site: Site, examples: list[dict] = EXAMPLES) -> None:
    """``dataset/val.jsonl`` holding ``examples``."""
    site.ws.dataset_dir.mkdir(exist_ok=True)
    (site.ws.dataset_dir / "val.jsonl").write_text("".join(json.dumps(e) + "\n" for e in examples), encoding="utf-8")


def make_site(
    root: Path,
    backend: ScriptedBackend,
    *,
    key: str | None = None,
    catalogue: MediaCatalogue | None = None,
    max_queue: int = 64,
    host: str = "127.0.0.1",
    **limits: Any,
) -> Site:
    """A workspace in ``root`` whose persona Mika answers through ``backend`` (bound to ``host``)."""
    ws = make_workspace(root)
    persona = Persona("Mika", backend, catalogue=catalogue, generation=ws.config.generation, build=ws.config.build)
    model = ServedModel(MODEL, persona, GenerationQueue(MODEL, max_queue), created=1_700_000_000)
    return Site(ws, [model], ServeConfig(max_queue=max_queue, **limits), key, host=host)


def memory_site(root: Path, backend: ScriptedBackend, *, settings: str = "", chat: Chat | None = None) -> Site:
    """A site whose persona Mika has the memory of the story (``chat``) built in ``root``
    (tests/dataset_helpers.py; ``settings``: more of shizu.toml)."""
    ws = story_workspace(root, settings, chat)
    build_dataset(ws)
    persona = Persona("Mika", backend, generation=ws.config.generation, build=ws.config.build, memory=PersonaMemory.open(ws, "Mika"))
    return Site(ws, [ServedModel(MODEL, persona, GenerationQueue(MODEL, 64), created=1_700_000_000)], ServeConfig())


def web_client(site: Site, host: str = "127.0.0.1:8642", **kwargs: Any) -> TestClient:
    """``site``'s application under a test client that sends ``Host: host`` (TestClient's own
    ``testserver`` is not a name the server answers to)."""
    return TestClient(create_app(site), base_url=f"http://{host}", **kwargs)


@contextmanager
def live_server(site: Site) -> Iterator[str]:
    """Serve ``site`` with uvicorn on 127.0.0.1 for the ``with`` block; yields the base URL."""
    import uvicorn

    sock = bind("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(create_app(site), log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
