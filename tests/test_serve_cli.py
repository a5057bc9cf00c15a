"""``shizu serve``: refusing unsafe or impossible starts, and a real start with the tiny local model."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import openai
import pytest
from typer.testing import CliRunner

from config_helpers import set_config
from persona_helpers import ScriptedBackend, make_workspace, save_tiny_run
from process_helpers import ProcessOutput
from serve_helpers import make_site
from shizu.cli import app
from shizu.errors import ServeError
from shizu.frontends.web import server
from shizu.frontends.web.server import bind, check_exposure, is_loopback


def test_sharing_on_the_network_needs_a_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHIZU_SERVE_KEY", raising=False)
    ws = make_workspace(tmp_path)
    result = CliRunner().invoke(app, ["serve", "-w", str(ws.root), "--host", "0.0.0.0"])
    assert result.exit_code == 1
    assert isinstance(result.exception, ServeError)
    assert result.exception.message == (
        "Listening on 0.0.0.0 lets anyone who can reach this machine chat with the persona and read its collection,"
        " and no API key is set"
    )
    assert result.exception.hint.startswith("Set a key first: export SHIZU_SERVE_KEY=")


def test_exposure_is_allowed_with_a_key_or_explicitly() -> None:
    check_exposure("0.0.0.0", "k3y", "SHIZU_SERVE_KEY", allow_no_key=False)
    check_exposure("192.168.1.20", None, "SHIZU_SERVE_KEY", allow_no_key=True)
    check_exposure("127.0.0.1", None, "SHIZU_SERVE_KEY", allow_no_key=False)
    assert [is_loopback(h) for h in ("localhost", "127.0.0.1", "::1", "0.0.0.0", "192.168.1.20", "mika.local")] == [
        True, True, True, False, False, False,
    ]


def test_allowed_hosts_are_checked_before_anything_starts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHIZU_SERVE_KEY", "k3y")
    ws = make_workspace(tmp_path)
    set_config(ws.config_path, "serve", allowed_hosts=["mika.example.org", "https://mika.example.org"])
    result = CliRunner().invoke(app, ["serve", "-w", str(ws.root), "--host", "0.0.0.0", "--port", "0"])
    assert result.exit_code == 1
    assert isinstance(result.exception, ServeError)
    assert result.exception.message == "[serve] allowed_hosts: 'https://mika.example.org' is not a host name or an IP address"


def test_the_welcome_names_the_hosts_it_answers_to(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server, "lan_address", lambda: "192.168.1.20")
    site = make_site(tmp_path, ScriptedBackend([["x"]]), key="k3y", allowed_hosts=["mika.example.org"], host="0.0.0.0")
    lines = server.welcome(site, "0.0.0.0", 8642)
    local = server.welcome(site, "127.0.0.1", 8642)
    assert lines[0].startswith("Mika is online: chat at http://192.168.1.20:8642/")
    assert lines[-2] == (
        "It answers to the names 127.0.0.1, 192.168.1.20, [::1], localhost, mika.example.org ([serve] allowed_hosts adds others)."
    )
    assert not any("answers to the names" in line for line in local)


def test_a_port_in_use_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ServeError) as caught:
            bind("127.0.0.1", port)
    assert caught.value.message == f"Cannot listen on 127.0.0.1:{port}: Address already in use"
    assert caught.value.hint == "Another program (or another `shizu serve`) uses that port: pick another one with --port."


def test_without_a_run_it_says_what_to_do(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    result = CliRunner().invoke(app, ["serve", "-w", str(ws.root), "--port", "0"])
    assert result.exit_code == 1
    assert str(result.exception) == (
        f"No trained run in {ws.runs_dir}\n"
        "Train one with `shizu train`, or chat with the untrained base model: `shizu chat --base-only`."
    )


def test_base_only_and_run_do_not_mix(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["serve", "-w", str(tmp_path), "--base-only", "--run", "x"])
    assert result.exit_code == 2
    assert "--base-only serves the base model alone; leave out --run" in " ".join(result.output.replace("│", " ").split())


@pytest.mark.slow  # a separate process importing torch: ~15-35 s on a shared CPU
def test_serve_starts_with_the_tiny_local_model_and_answers(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    save_tiny_run(ws)
    env = {**os.environ, "SHIZU_SERVE_KEY": "k3y", "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "shizu.cli", "serve", "-w", str(ws.root), "--port", "0"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env) as proc:
        output = ProcessOutput(proc)  # every line through one reader: a second reader would lose buffered text
        try:
            url = output.wait_for(r"chat at (http://127\.0\.0\.1:\d+)/", timeout=120).group(1)
            api = openai.OpenAI(base_url=f"{url}/v1", api_key="k3y", max_retries=0, timeout=60)
            models = [m.id for m in api.models.list().data]
            reply = api.chat.completions.create(model="tiny", messages=[{"role": "user", "content": "hi", "name": "Sam"}])
        finally:
            proc.send_signal(signal.SIGINT)
            text = output.finish(timeout=30)
    assert models == ["tiny"]
    message = reply.choices[0].message
    assert message.model_extra["burst"] == ([] if not message.content else message.content.split("\n"))
    assert reply.usage.prompt_tokens > 100 and reply.usage.completion_tokens >= 1
    output = text
    assert f"tiny answers with base + adapter {ws.runs_dir / 'tiny'} (transformers, cpu)" in output
    assert f"OpenAI-compatible API: base URL {url}/v1, model tiny" in output
    assert "Clients must send the key from $SHIZU_SERVE_KEY (Authorization: Bearer ...)." in output
    assert proc.returncode == 0 and output.rstrip().endswith("stopped."), output
