"""A command whose optional dependencies are missing says which extra to install, before doing anything."""

from __future__ import annotations

import builtins
import importlib.util
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shizu.cli import app
from shizu.errors import ShizuError
from shizu.extras import require


def hide(monkeypatch: pytest.MonkeyPatch, *modules: str) -> None:
    """Make ``modules`` look uninstalled to find_spec and to import."""
    find_spec, real_import = importlib.util.find_spec, builtins.__import__
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name.split(".")[0] in modules else find_spec(name, *a))

    def guarded(name: str, *args: object, **kwargs: object) -> object:
        if name.split(".")[0] in modules:
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", guarded)


def test_require_names_every_missing_package_and_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    hide(monkeypatch, "fastapi", "uvicorn")
    with pytest.raises(ShizuError) as caught:
        require("shizu serve", "serve", "train")
    assert str(caught.value) == "`shizu serve` needs fastapi, uvicorn, which are not installed\nInstall the extra: pip install 'shizu[serve,train]'"


@pytest.mark.parametrize(
    ("command", "hidden", "message"),
    [
        (["train"], "torch", "`shizu train` needs torch, which is not installed"),
        (["serve"], "fastapi", "`shizu serve` needs fastapi, which is not installed"),
        (["discord"], "discord", "`shizu discord` needs discord.py, which is not installed"),
        (["eval"], "sklearn", "`shizu eval` needs scikit-learn, which is not installed"),
    ],
)
def test_commands_check_their_extras_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str], hidden: str, message: str) -> None:
    hide(monkeypatch, hidden)
    result = CliRunner().invoke(app, [*command, "-w", str(tmp_path)])
    assert isinstance(result.exception, ShizuError)
    assert result.exception.message == message
