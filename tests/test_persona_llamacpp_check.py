"""The llama.cpp check: a child process that dies is a verdict and a one-line fallback, never a crash."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from llamacpp_helpers import save_base, save_lora_run
from shizu.cli import app
from shizu.errors import PersonaError
from shizu.persona import Persona
from shizu.persona.backends import llamacpp_check
from shizu.persona.backends.llamacpp import LlamaCppBackend
from shizu.persona.backends.llamacpp_check import cached_verdict, check, verdict_path
from shizu.persona.backends.local import LocalBackend
from shizu.persona.run import run_weights
from shizu.workspace import Workspace

CRASH = "import os, signal; os.kill(os.getpid(), signal.SIGILL)"
FALLBACK = (
    "llama.cpp crashed on this CPU (signal 4, illegal instruction); using the transformers backend."
    " Rebuild llama-cpp-python: see docs/runtime.md"
)


def child(monkeypatch: pytest.MonkeyPatch, code: str) -> list[list[str]]:
    """Make the check's child run ``code``; the list records each command started."""
    started: list[list[str]] = []

    def command(model: Path, adapter: Path | None) -> list[str]:
        started.append([str(model), str(adapter)])
        return [sys.executable, "-c", code]

    monkeypatch.setattr(llamacpp_check, "child_command", command)
    return started


def test_a_child_killed_by_sigill_is_a_verdict_kept_for_this_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started = child(monkeypatch, CRASH)
    said: list[str] = []
    verdict = check(tmp_path / "base.gguf", None, tmp_path, say=said.append)
    assert (verdict.ok, verdict.problem) == (False, "crashed on this CPU (signal 4, illegal instruction)")
    assert verdict.fallback_line() == FALLBACK
    assert said == ["checking that llama.cpp runs on this CPU (once: a 300-token prefill in a child process)"]
    assert json.loads(verdict_path(tmp_path).read_text(encoding="utf-8"))["problem"] == verdict.problem
    assert verdict_path(tmp_path).parent == tmp_path / "llama-cpp"

    again = check(tmp_path / "other.gguf", tmp_path / "adapter.gguf", tmp_path, say=said.append)  # cached: no child
    assert again == verdict and len(started) == 1 and len(said) == 1
    assert check(tmp_path / "base.gguf", None, tmp_path, recheck=True).problem == verdict.problem
    assert len(started) == 2  # --check runs the child again


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("import sys; print('loading', file=sys.stderr); sys.exit('llama_model_load: bad magic')", "failed on this CPU (exit 1: llama_model_load: bad magic)"),
        ("import os, signal; os.kill(os.getpid(), signal.SIGSEGV)", "crashed on this CPU (signal 11, segmentation fault)"),
        ("pass", ""),
    ],
)
def test_exit_status_and_signals_in_words(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: str, problem: str) -> None:
    child(monkeypatch, code)
    verdict = check(tmp_path / "base.gguf", None, tmp_path)
    assert (verdict.ok, verdict.problem) == (not problem, problem)
    assert cached_verdict(tmp_path) == verdict


@pytest.fixture
def llama_ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.setenv("SHIZU_CACHE", str(tmp_path / "cache"))
    ws = Workspace.create(tmp_path / "ws", name="Mika", me=["1"])
    save_lora_run(ws, save_base(tmp_path / "base"))
    text = ws.config_path.read_text(encoding="utf-8")
    ws.config_path.write_text(text.replace('backend = "transformers"', 'backend = "llama.cpp"', 1), encoding="utf-8")
    return Workspace(ws.root)


def test_persona_falls_back_to_transformers_in_one_line(llama_ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    started = child(monkeypatch, CRASH)
    said: list[str] = []
    persona = Persona.load(llama_ws, say=said.append)
    assert isinstance(persona.backend, LocalBackend)
    assert FALLBACK in said
    run = llama_ws.runs_dir / "tiny"
    assert started == [[started[0][0], str(run / "gguf" / "adapter.gguf")]]  # the run's own export was tried
    persona_again = Persona.load(llama_ws, say=said.append)  # the verdict is known: no second child
    assert isinstance(persona_again.backend, LocalBackend) and len(started) == 1


def test_backend_refuses_a_llama_cpp_that_crashed_here(llama_ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    child(monkeypatch, CRASH)
    backend = LlamaCppBackend(run_weights(llama_ws.runs_dir / "tiny"))
    with pytest.raises(PersonaError) as caught:
        backend.prepare()
    assert caught.value.message == "llama.cpp crashed on this CPU (signal 4, illegal instruction)"
    assert caught.value.hint == 'Rebuild llama-cpp-python (see docs/runtime.md), or set backend = "transformers" in [generation].'


def test_doctor_shows_the_verdict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHIZU_CACHE", str(tmp_path))
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 0
    assert "llama.cpp: not checked on this CPU yet (checked on first use, or now with `shizu doctor --check`)" in result.output
    child(monkeypatch, CRASH)
    check(tmp_path / "base.gguf", None, tmp_path)
    result = CliRunner().invoke(app, ["doctor"])
    assert f"llama.cpp: {FALLBACK} (checked " in " ".join(result.output.split())
