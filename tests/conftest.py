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
