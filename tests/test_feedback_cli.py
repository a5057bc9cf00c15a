"""``shizu feedback list|export|forget`` on a workspace with logged exchanges and feedback."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from typer.testing import CliRunner

from clock import NOW
from shizu.chat.layout import Place
from shizu.cli import app
from shizu.store.exchanges import ContextMessage, Exchange, ExchangeLog, ReplyContext, SentMessage
from shizu.store.feedback import FeedbackTable
from shizu.workspace import Workspace

CONTEXT = ReplyContext(Place(kind="dm"), NOW, ("Alice",), (ContextMessage("Alice", "[red]best[/red] pizza?", NOW - timedelta(minutes=1)),))


def exchange(texts: list[str]) -> Exchange:
    return Exchange(
        platform="discord", channel_id="10", place="a direct message with Alice", trigger_id="2", trigger_author="Alice",
        trigger_text="best pizza?", trigger_time=NOW, context_ids=("2",), persona="Mika",
        messages=tuple(SentMessage((f"{texts[0]}-{i}",), text, text) for i, text in enumerate(texts)),
        backend="tiny", stop="end-of-turn", queued_ms=0, latency_ms=10, created=NOW, context=CONTEXT,
    )


def workspace(root: Path) -> Workspace:
    """Four feedback items: Bob's 👍, Owner's rejection (with the retake), a web thumb, and an opted-out giver's."""
    ws = Workspace.create(root, name="Mika", me=["1"])
    ws.config_path.write_text(ws.config_path.read_text().replace("opt_out = []", 'opt_out = ["666"]'))
    with ws.open_store() as store:
        log = ExchangeLog(store)
        first, second = log.record(exchange(["pineapple", "[bold]fight[/bold] me"])), log.record(exchange(["margherita"]))
        table = FeedbackTable(store)
        table.add(first, "up", source="discord-reaction", giver="7", giver_name="Bob", at=NOW, emoji="👍")
        table.add(first, "rejected", source="reroll", giver="1", giver_name="Owner", at=NOW + timedelta(minutes=1), retake_id=second)
        table.add(second, "down", source="web", giver="web:voter-0001", giver_name="Sam", at=NOW + timedelta(minutes=2))
        table.add(second, "up", source="discord-reaction", giver="666", giver_name="Olly", at=NOW + timedelta(minutes=3), emoji="👍")
    return ws


def run(ws: Workspace, *args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["feedback", args[0], "-w", str(ws.root), *args[1:]], input=input, env={"COLUMNS": "120"})
    return result.exit_code, result.stdout, str(result.exception) if result.exception and not isinstance(result.exception, SystemExit) else ""


def listed(ws: Workspace, *options: str) -> list[dict]:
    code, out, _ = run(ws, "list", "--json", *options)
    assert code == 0, out
    return json.loads(out)


def test_list_shows_who_judged_which_reply_as_text(tmp_path: Path) -> None:
    ws = workspace(tmp_path / "ws")
    code, out, _ = run(ws, "list")
    assert code == 0
    rows = [" ".join(line.replace("│", " ").split()) for line in out.splitlines()]
    assert rows[2:4] == ["1 2024-03-02 21:14 Bob up 👍 pineapple / [bold]fight[/bold] me", "7 discord-reaction a direct message with Alice"]
    assert "2 2024-03-02 21:15 Owner rejected pineapple / [bold]fight[/bold] me" in rows  # never read as markup
    assert "3 2024-03-02 21:16 Sam down margherita" in rows and "web:voter-0001 web a direct message with Alice" in rows
    assert "Olly" not in out  # opted out: never used, never listed
    assert out.rstrip().endswith("3 feedback items")
    rejected = listed(ws, "--source", "reroll")
    assert rejected == [{
        "id": 2, "time": "2024-03-02T21:15:00+00:00", "source": "reroll", "giver": "1", "giver_name": "Owner", "verdict": "rejected",
        "emoji": "", "exchange": {
            "id": 1, "platform": "discord", "place": "a direct message with Alice", "backend": "tiny", "time": NOW.isoformat(),
            "context": {
                "place": {"kind": "dm", "channel": "", "server": "", "parent": "", "platform": "discord"}, "time": NOW.isoformat(),
                "participants": ["Alice"],
                "messages": [{"speaker": "Alice", "text": "[red]best[/red] pizza?", "time": (NOW - timedelta(minutes=1)).isoformat(), "persona": False}],
            },
            "reply": ["pineapple", "[bold]fight[/bold] me"],
        },
        "retake": {
            "id": 2, "platform": "discord", "place": "a direct message with Alice", "backend": "tiny", "time": NOW.isoformat(),
            "context": rejected[0]["exchange"]["context"], "reply": ["margherita"],
        },
    }]
    assert [i["id"] for i in listed(ws, "--giver", "web:voter-0001")] == [3]
    code, _, error = run(ws, "list", "--source", "slack")
    assert (code, error) == (1, "Unknown feedback source 'slack'\nChoose one of: discord-reaction, web, reroll, blind-test.")


def test_export_writes_one_json_line_per_item(tmp_path: Path) -> None:
    ws = workspace(tmp_path / "ws")
    code, out, _ = run(ws, "export", str(tmp_path / "feedback.jsonl"))
    assert code == 0 and "Wrote 3 feedback items to" in out
    lines = (tmp_path / "feedback.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == listed(ws)
    assert "👍" in lines[0]  # UTF-8, not escaped
    code, out, _ = run(ws, "export", "--source", "web")
    assert code == 0 and [json.loads(line)["giver"] for line in out.splitlines()] == ["web:voter-0001"]


def test_forget_asks_first_and_deletes_what_it_names(tmp_path: Path) -> None:
    ws = workspace(tmp_path / "ws")
    code, _, error = run(ws, "forget", "--id", "1", "--id", "99", "--id", "98", "--yes")
    assert (code, error) == (1, "No feedback with id 98, 99: nothing was forgotten\n`shizu feedback list` shows the ids.")
    assert len(listed(ws)) == 3
    code, out, _ = run(ws, "forget", "--id", "1", input="n\n")
    assert code == 1 and "Forget 1 feedback item for good?" in out and len(listed(ws)) == 3
    code, out, _ = run(ws, "forget", "--id", "1", input="y\n")
    assert code == 0 and "Forgot 1 feedback item." in out
    assert [i["id"] for i in listed(ws)] == [2, 3]
    code, out, _ = run(ws, "forget", "--giver", "666", "--yes")  # an opted-out giver's, never listed, can still go
    assert code == 0 and "Forgot 1 feedback item." in out
    code, out, _ = run(ws, "forget", "--giver", "nobody", "--yes")
    assert code == 0 and "No feedback matches: nothing to forget." in out
    code, out, _ = run(ws, "forget", "--all", "--yes")
    assert code == 0 and "Forgot 2 feedback items." in out and listed(ws) == []


def test_bad_choices_and_a_workspace_without_a_store(tmp_path: Path) -> None:
    ws = workspace(tmp_path / "ws")
    assert run(ws, "forget", "--all", "--giver", "7")[0] == 2
    assert run(ws, "forget")[0] == 2
    empty = Workspace.create(tmp_path / "empty", name="Mika", me=[])
    code, _, error = run(empty, "list")
    assert code == 1 and error.startswith("No message store in ")
    assert not empty.db_path.exists()
