"""Shared test setup: the plugin that runs llama.cpp tests in a child process, the fixed clocks."""

from __future__ import annotations

import pytest

from clock import NOW

pytest_plugins = ["native_isolation"]


@pytest.fixture()
def web_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The web frontend's clock (``models.current_time``) stopped at :data:`clock.NOW`."""
    from shizu.frontends.web import models

    monkeypatch.setattr(models, "current_time", lambda: NOW)


@pytest.fixture()
def terminal_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The terminal chat's clock (``terminal.now``) stopped at :data:`clock.NOW`."""
    from shizu.frontends import terminal

    monkeypatch.setattr(terminal, "now", lambda: NOW)


@pytest.fixture(autouse=True)
def word_embedder(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Semantic memory search embeds with :class:`memory_helpers.Words` instead of all-MiniLM-L6-v2
    (hermetic and fast: builds and personas use the memory by default); tests marked slow get the real model."""
    if request.node.get_closest_marker("slow") is None:
        from memory_helpers import Words
        from shizu.memory import encoder

        monkeypatch.setattr(encoder, "load_minilm", lambda device: Words())
