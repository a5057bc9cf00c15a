"""``shizu ingest A B C`` with B broken: A and C go in, B's error is named, a summary line, exit 1."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from shizu.cli import app

GOOD = {
    "guild": {"id": "1", "name": "G"}, "channel": {"id": "2", "type": "GuildTextChat", "name": "general"},
    "messages": [{"id": "100", "type": "Default", "timestamp": "2023-03-01T10:00:00+00:00", "content": "hi",
                  "author": {"id": "9", "name": "mika", "isBot": False}, "attachments": []}],
}


def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    assert CliRunner().invoke(app, ["init", str(ws)]).exit_code == 0
    return ws


def good(path: Path, channel: str) -> Path:
    data = json.loads(json.dumps(GOOD))
    data["channel"]["id"] = channel
    data["messages"][0]["id"] = f"{channel}00"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_one_broken_and_one_unsupported_file_cost_nothing_else(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    a = good(tmp_path / "G - general [part 3] [2].json", "2")
    broken = tmp_path / "G - broken [4].json"
    two = {**GOOD, "messages": [GOOD["messages"][0], {**GOOD["messages"][0], "id": "101"}]}
    broken.write_text(json.dumps(two).replace('}, {"id": "101"', '} {"id": "101"'), encoding="utf-8")  # a comma lost mid-file
    notes = tmp_path / "notes.txt"
    notes.write_text("my shopping list\n", encoding="utf-8")
    c = good(tmp_path / "G - other [3].json", "3")
    missing = tmp_path / "nope.json"
    result = CliRunner().invoke(app, ["ingest", str(a), str(broken), str(notes), str(missing), str(c), "-w", str(ws)], terminal_width=400)
    out = result.output
    assert result.exit_code == 1, out
    assert "2 file(s) ingested, 3 failed." in out
    assert "G - general [part 3] [2].json" in out  # brackets printed literally, not eaten as markup
    assert f"error: {notes}: is not a supported export format" in out
    assert "Telegram Desktop JSON (result.json) and WhatsApp chats (.txt or .zip)" in out
    assert f"error: {missing}: does not exist" in out
    assert f"error: {broken}" in out and "is not valid JSON" in out
    assert "The store now holds 2 messages." in out


def test_json_always_prints_its_json_errors_included(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    a = good(tmp_path / "a [2].json", "2")
    result = CliRunner().invoke(app, ["ingest", str(a), str(tmp_path / "nope.json"), "-w", str(ws), "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert (data["ingested"], data["failed"], data["messages_in_store"]) == (1, 1, 1)
    assert [f["error"] is None for f in data["files"]] == [False, True]


def test_a_folder_with_no_export_exits_non_zero_and_says_why_files_were_skipped(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    folder = tmp_path / "stuff"
    folder.mkdir()
    for i in range(3):
        (folder / f"chan{i}.csv").write_text("Author;Content;When\nx;y;z\n", encoding="utf-8")
    for i in range(5):
        (folder / f"pic{i}.png").write_bytes(b"\x89PNG")
    result = CliRunner().invoke(app, ["ingest", str(folder), "-w", str(ws)], terminal_width=400)
    assert result.exit_code == 1
    assert "3 file(s) under the given folders look like DiscordChatExporter CSV but have an unsupported header:" in result.output
    assert "5 file(s) under the given folders are not chat exports (media, index and other files):" in result.output
    assert "No supported export found under the given paths." in result.output


def test_the_same_warning_for_many_files_is_printed_once(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    folder = tmp_path / "general"
    folder.mkdir()
    header = '"AuthorID";"Author";"Date";"Content";"Attachments";"Reactions";\r\n'
    for page in range(1, 5):
        (folder / f"{page}.csv").write_text(header + f'"1";"a#0001";"12-Jun-18 06:3{page} AM";"hi {page}";"";"";\r\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["ingest", str(folder), "-w", str(ws)], terminal_width=400)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "have no time zone" in line]
    assert len(lines) == 1 and f"4 files (the first: {folder / '1.csv'})" in lines[0]
    assert "4 file(s) ingested, 0 failed." in result.output
