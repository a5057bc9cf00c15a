"""shizu.toml: the template is valid, and every problem is reported at once with its fix."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shizu.cli import app
from shizu.config import load_config, parse_config, render_template
from shizu.errors import ConfigError, WorkspaceError
from shizu.workspace import Workspace


def test_template_round_trips_with_me_and_name() -> None:
    config = parse_config(tomllib.loads(render_template(name='Mi"ka', me=["123", "456"])))
    assert config.persona.name == 'Mi"ka'
    assert config.persona.me == ["123", "456"]
    assert config.build.session_gap_minutes == 30.0
    assert config.build.command_prefixes == ("!", "/", "$")
    assert config.privacy.redact_pii is True


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({
            "persona": {"nme": "x", "me": 5},
            "build": {"val_fraction": 2, "session_gap_minutes": "soon"},
            "discord_token": "abc",
        })
    problems = info.value.problems
    assert len(problems) == 5
    assert "unknown key 'nme' in [persona]; did you mean 'name'?" in problems[1]
    assert problems[0].startswith("the top level has 'discord_token': secrets never go in shizu.toml")
    assert problems[2].startswith("persona.me: Expected `array`, got `int`")
    assert problems[3].startswith("build.session_gap_minutes: Expected `float`, got `str`")
    assert problems[4] == "build.val_fraction must be in [0, 1) (for example 0.1)"


def test_invalid_toml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "shizu.toml"
    path.write_text("[persona]\nname = \n")
    with pytest.raises(ConfigError, match=r"not valid TOML: .*line 2"):
        load_config(path)


def test_workspace_find_explains_missing_workspace(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError) as info:
        Workspace.find(tmp_path)
    assert "No Shizu workspace" in info.value.message
    assert "shizu init" in info.value.hint


def test_init_cli_writes_config_and_refuses_to_overwrite(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["init", str(tmp_path / "ws"), "--me", "42", "--name", "Mika"])
    assert result.exit_code == 0, result.output
    ws = Workspace.find(tmp_path / "ws")
    assert ws.config.persona.me == ["42"]
    assert ws.config.persona.name == "Mika"
    again = runner.invoke(app, ["init", str(tmp_path / "ws")])
    assert again.exit_code != 0
    assert isinstance(again.exception, WorkspaceError)


def test_cli_turns_errors_into_messages(tmp_path: Path) -> None:
    """The installed entry point prints 'Error:' and the fix, not a traceback."""
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "shizu.cli", "ingest", "--workspace", str(tmp_path), str(tmp_path)],
        capture_output=True, text=True,
    )
    assert proc.returncode == 1
    assert "Error: No Shizu workspace in" in proc.stderr
    assert "Fix: Run `shizu init`" in proc.stderr
    assert "Traceback" not in proc.stderr
