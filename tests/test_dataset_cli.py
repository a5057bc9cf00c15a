"""``shizu build`` through the CLI: summary, --json, --write-dropped, --export, and error messages."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import Result
from typer.testing import CliRunner

from shizu.cli import app
from shizu.errors import DatasetError
from shizu.message import Author, Channel, Message
from shizu.workspace import Workspace

ME = Author(id="1", name="mika", display_name="Mika")
AL = Author(id="2", name="alice", display_name="Alice")
BOT = Author(id="9", name="dj", display_name="DJ", is_bot=True)
DM = Channel(id="10", name="alice", kind="dm")
T0 = datetime(2024, 3, 2, 21, 0, tzinfo=UTC)
runner = CliRunner()


def _ws(tmp_path: Path, me: list[str]) -> Workspace:
    ws = Workspace.create(tmp_path / "ws", me=me)
    said = [(AL, "hey, mail me at alice@example.com"), (ME, "hi!"), (BOT, "beep"), (AL, "how are you"), (ME, "good")]
    with ws.open_store() as store:
        store.write_source(
            [Message(id=str(100 + i), channel=DM, author=a, timestamp=T0 + timedelta(minutes=i), content=text)
             for i, (a, text) in enumerate(said)],
            path="t.json", format="test", sha256="x", quality=2,
        )
    return ws


def _build(ws: Workspace, *args: str) -> Result:
    return runner.invoke(app, ["build", "--workspace", str(ws.root), *args], env={"COLUMNS": "200"})


def test_build_prints_what_was_kept_and_dropped(tmp_path: Path) -> None:
    ws = _ws(tmp_path, ["1"])
    dropped = tmp_path / "dropped.jsonl"
    result = _build(ws, "--write-dropped", str(dropped))
    assert result.exit_code == 0, result.output
    assert "Built 1 examples (1 train, 0 val) from 1 conversations for Mika." in result.output
    assert "5 read, 4 kept (2 yours); dropped: bot 1" in result.output
    assert "PII redacted   EMAIL 1" in result.output
    assert [json.loads(line)["reason"] for line in dropped.read_text().splitlines()] == ["bot"]
    assert (ws.dataset_dir / "train.jsonl").is_file()


def test_build_json_summary_and_exports(tmp_path: Path) -> None:
    ws = _ws(tmp_path, ["1"])
    result = _build(ws, "--json", "--export", "openai", "--export", "sharegpt")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["counts"]["examples"] == 1
    assert summary["dropped"]["message"]["bot"] == 1
    assert summary["pii"]["EMAIL"] == 1
    assert summary["dataset"] == str(ws.dataset_dir)
    assert (ws.dataset_dir / "openai" / "train.jsonl").is_file()
    assert (ws.dataset_dir / "sharegpt" / "train.jsonl").is_file()


def test_unknown_export_and_unknown_me_are_user_errors(tmp_path: Path) -> None:
    ws = _ws(tmp_path, ["1"])
    result = _build(ws, "--export", "alpaca")
    assert isinstance(result.exception, DatasetError)
    assert result.exception.message == "Unknown export format 'alpaca'."
    assert result.exception.hint == "Use one of: openai, sharegpt."
    ws = _ws(tmp_path / "other", [])
    result = _build(ws)
    assert isinstance(result.exception, DatasetError)
    assert result.exception.hint.splitlines()[1:] == [
        '  me = ["1"]   # Mika',
        "Who could be you (in the most DMs and group chats, then the most messages; `shizu stats` shows the same):",
        "  1  Mika (mika)  2 messages, in 1 DM/group chat",
        "  2  Alice (alice)  2 messages, in 1 DM/group chat",
    ]
