"""Helpers for the ``shizu serve`` tests: a scripted backend, a site around it, a live server,
held-out conversations for the blind test.

The persona is the real runtime (prompt rendering, guards, post-processing) on a
:class:`ScriptedBackend` that continues every prompt with the next canned reply and records what
it was asked, so tests assert exact prompts and exact replies in milliseconds. The server is the
real application under uvicorn on 127.0.0.1 (a free port), in a thread of the test process.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from config_helpers import set_config
from persona_helpers import chatml_tokenizer
from shizu.chat.layout import Place, Situation, Turn, render
from shizu.config import GenerationConfig, ServeConfig
from shizu.frontends.web.app import create_app
from shizu.frontends.web.generation import GenerationQueue
from shizu.frontends.web.models import ServedModel
from shizu.frontends.web.server import bind
from shizu.frontends.web.site import Site
from shizu.persona import Persona
from shizu.persona.media import MediaCatalogue
from shizu.workspace import Workspace

MODEL = "tiny"

# The blind test's held-out conversations (dataset/val.jsonl), rendered as `shizu build` writes them.
CAT = "https://tenor.com/view/cat-vibing-gif-18376235"
WHEN = datetime(2024, 3, 2, 21, 14, tzinfo=UTC)
GENERAL = Place(kind="guild-text", channel="general", server="Cozy")


def example(example_id: str, place: Place, turns: list[Turn]) -> dict:
    others = tuple(dict.fromkeys(t.speaker for t in turns if not t.is_persona))
    messages = render(Situation("Mika", place, WHEN, others), turns)
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


@cache
def tokenizer() -> Any:
    return chatml_tokenizer()


@dataclass
class ScriptedBackend:
    """Answers each prompt with the next reply (a list of chunks); the last one repeats.

    ``delay`` seconds pass before each chunk; ``gate``, when set, must be opened before a reply
    starts. ``prompts`` and ``settings`` record every request; ``most_at_once`` is the largest
    number of replies that were being written at the same time.
    """

    replies: list[list[str]]
    delay: float = 0.0
    gate: threading.Event | None = None
    prompts: list[str] = field(default_factory=list)
    settings: list[GenerationConfig] = field(default_factory=list)
    most_at_once: int = 0
    _active: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    label = "scripted test backend"

    @property
    def tokenizer(self) -> Any:
        return tokenizer()

    def prepare(self) -> None:
        pass

    def stream(self, prompt: str, stop: Sequence[str], settings: GenerationConfig) -> Iterator[str]:
        with self._lock:
            self._active += 1
            self.most_at_once = max(self.most_at_once, self._active)
            self.prompts.append(prompt)
            self.settings.append(settings)
            chunks = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        try:
            if self.gate is not None:
                self.gate.wait(10)
            for chunk in chunks:
                time.sleep(self.delay)
                yield chunk
        finally:
            with self._lock:
                self._active -= 1


def make_site(
    root: Path,
    backend: ScriptedBackend,
    *,
    key: str | None = None,
    catalogue: MediaCatalogue | None = None,
    max_queue: int = 64,
    **limits: Any,
) -> Site:
    """A workspace in ``root`` whose persona Mika answers through ``backend``."""
    ws = make_workspace(root)
    persona = Persona("Mika", backend, catalogue=catalogue, generation=ws.config.generation, build=ws.config.build)
    model = ServedModel(MODEL, persona, GenerationQueue(MODEL, max_queue), created=1_700_000_000)
    return Site(ws, [model], ServeConfig(max_queue=max_queue, **limits), key)


def make_workspace(root: Path) -> Workspace:
    """A workspace for the persona Mika with greedy, short replies (``[generation]`` edited in place)."""
    ws = Workspace.create(root, name="Mika", me=["1"])
    set_config(ws.config_path, "generation", temperature=0, max_new_tokens=24)
    return Workspace(root)


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
