"""``shizu memory list`` and ``shizu memory forget`` on the memory story (tests/dataset_helpers.py)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from dataset_helpers import BO, DAY, GENERAL, ME, story, story_workspace
from shizu.cli import app
from shizu.dataset.pipeline import build_dataset
from shizu.workspace import Workspace


def built(root: Path) -> Workspace:
    """The story built with its memories; one of them holds rich markup and HTML."""
    chat = story()
    chat.say(GENERAL, BO, 4 * DAY, "[red]so[/red] <b>the cat</b>?")
    chat.say(GENERAL, ME, 4 * DAY + 1, "[bold]fine[/bold]")
    ws = story_workspace(root, chat=chat)
    build_dataset(ws)
    return ws


def listed(ws: Workspace, *options: str) -> list[dict]:
    result = CliRunner().invoke(app, ["memory", "list", "-w", str(ws.root), "--json", *options])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_list_shows_each_memory_as_text_and_filters_by_place_and_person(tmp_path: Path) -> None:
    ws = built(tmp_path / "ws")
    result = CliRunner().invoke(app, ["memory", "list", "-w", str(ws.root)])
    assert result.exit_code == 0, result.output
    assert "(history) Saturday 2 March 2024, 21:01 UTC, a direct message with Alice:\nAlice: whats your locker code\nMika: its 4711 dont tell anyone" in result.stdout
    assert "Bob: [red]so[/red] <b>the cat</b>?\nMika: [bold]fine[/bold]" in result.stdout  # never read as markup
    everything = listed(ws)
    assert result.stdout.rstrip().endswith(f"{len(everything)} memories")
    assert everything[0] == {
        "id": everything[0]["id"], "time": "2024-03-02T21:01:00+00:00", "place": "a direct message with Alice", "origin": "history",
        "lines": [{"speaker": "Alice", "text": "whats your locker code"}, {"speaker": "Mika", "text": "its 4711 dont tell anyone"}],
        "people": ["2"],
    }
    assert {m["place"] for m in listed(ws, "--place", "alice")} == {"a direct message with Alice"}
    assert {m["place"] for m in listed(ws, "--place", "10")} == {"a direct message with Alice"}
    assert all("2" in m["people"] for m in listed(ws, "--person", "2")) and len(listed(ws, "--person", "2")) < len(everything)


def test_forget_asks_first_and_deletes_what_it_names(tmp_path: Path) -> None:
    ws = built(tmp_path / "ws")
    everything = listed(ws)
    alice = [m["id"] for m in listed(ws, "--place", "alice")]
    no = CliRunner().invoke(app, ["memory", "forget", "-w", str(ws.root), "--place", "alice"], input="n\n")
    assert no.exit_code == 1 and f"Forget {len(alice)} memories for good?" in no.stdout
    assert len(listed(ws)) == len(everything)
    yes = CliRunner().invoke(app, ["memory", "forget", "-w", str(ws.root), "--place", "alice"], input="y\n")
    assert yes.exit_code == 0 and f"Forgot {len(alice)} memories." in yes.stdout
    assert not set(alice) & {m["id"] for m in listed(ws)}
    one = listed(ws)[0]["id"]
    by_id = CliRunner().invoke(app, ["memory", "forget", "-w", str(ws.root), "--id", str(one), "--id", "999999", "--yes"])
    assert by_id.exit_code == 0 and "Forgot 1 memory." in by_id.stdout
    none = CliRunner().invoke(app, ["memory", "forget", "-w", str(ws.root), "--id", str(one), "--yes"])
    assert none.exit_code == 0 and "No memory matches" in none.stdout
    wiped = CliRunner().invoke(app, ["memory", "forget", "-w", str(ws.root), "--all", "--yes"])
    assert wiped.exit_code == 0 and f"Forgot {len(everything) - len(alice) - 1} memories." in wiped.stdout
    after = CliRunner().invoke(app, ["memory", "list", "-w", str(ws.root)])
    assert after.exit_code == 1 and str(after.exception) == "The persona has no memories yet\nRun `shizu build` to make them from the history."


def test_clear_errors_without_memories_or_with_a_bad_choice(tmp_path: Path) -> None:
    off = story_workspace(tmp_path / "off", "[memory]\nenabled = false\n")
    build_dataset(off)
    result = CliRunner().invoke(app, ["memory", "list", "-w", str(off.root)])
    assert result.exit_code == 1
    assert str(result.exception) == (
        "The persona has no memories: the memory is off\nSet enabled = true in the [memory] section of shizu.toml and run `shizu build`."
    )
    ws = built(tmp_path / "ws")
    both = CliRunner().invoke(app, ["memory", "forget", "-w", str(ws.root), "--all", "--id", "1"])
    assert both.exit_code == 2 and "--all alone" in both.output
    neither = CliRunner().invoke(app, ["memory", "forget", "-w", str(ws.root)])
    assert neither.exit_code == 2
    unknown = CliRunner().invoke(app, ["memory", "list", "-w", str(ws.root), "--place", "nowhere"])
    assert unknown.exit_code == 1 and "No place with memories is called 'nowhere'" in str(unknown.exception)
