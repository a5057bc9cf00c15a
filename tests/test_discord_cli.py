"""``shizu discord`` from the command line: what it checks before connecting anywhere."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from persona_helpers import make_workspace
from shizu.cli import app
from shizu.errors import DiscordError, PersonaError


def test_without_a_token_it_says_where_to_put_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHIZU_DISCORD_TOKEN", raising=False)
    ws = make_workspace(tmp_path)
    result = CliRunner().invoke(app, ["discord", "-w", str(ws.root)])
    assert result.exit_code == 1
    assert isinstance(result.exception, DiscordError)
    assert result.exception.message == "No Discord bot token: the environment variable SHIZU_DISCORD_TOKEN is not set"


def test_with_a_token_but_no_trained_run_it_says_to_train_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHIZU_DISCORD_TOKEN", "secret-token-value")
    ws = make_workspace(tmp_path)
    result = CliRunner().invoke(app, ["discord", "-w", str(ws.root)])
    assert result.exit_code == 1
    assert isinstance(result.exception, PersonaError)
    assert result.exception.message == f"No trained run in {ws.runs_dir}"
    assert "secret-token-value" not in result.output
