"""``shizu chat`` with stdin from a file: one message per line in, one reply message per line out."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clock import NOW
from dataset_helpers import BO, DAY, GENERAL, ME, T0, story, story_workspace
from persona_helpers import chatml_tokenizer, completion_server, make_workspace, save_tiny_run
from shizu.chat.layout import Place, Situation, Turn, render
from shizu.chat.template import render_prompt
from shizu.cli import app
from shizu.dataset.pipeline import build_dataset
from shizu.frontends import terminal
from shizu.workspace import Workspace

CAT = "https://tenor.com/view/cat-vibing-gif-12345678"


def test_chat_reads_messages_and_commands_from_stdin(tmp_path: Path, terminal_clock: None) -> None:
    replies = [["hey!\nhow", " are u"], ["yo", "\nFriend: stop"], ["[gif: cat vibin]<|im_end|>"]]
    with completion_server(replies) as server:
        ws = make_workspace(tmp_path, generation={"server": server.url})
        save_tiny_run(ws)
        ws.dataset_dir.mkdir()
        media = {"items": [{"kind": "gif", "label": "cat vibing", "tag": "[gif: cat vibing]", "url": CAT, "local_path": None, "count": 2}]}
        (ws.dataset_dir / "media.json").write_text(json.dumps(media), encoding="utf-8")
        stdin = "hi\n/as Bob\nyo there\n\n/place #general\n/help\n/nope\nlast one\n/quit\nnever sent\n"
        result = CliRunner().invoke(app, ["chat", "--workspace", str(ws.root)], input=stdin)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"hey!\nhow are u\nyo\n{CAT}\n"
    assert "You are now Bob." in result.stderr
    assert "The conversation is now in #general." in result.stderr
    assert "Unknown command '/nope'; /help lists the commands." in result.stderr
    assert "/as NAME        speak as NAME from now on" in result.stderr
    assert len(server.requests) == 3

    history = [
        Turn("Friend", False, ("hi",)),
        Turn("Mika", True, ("hey!", "how are u")),
        Turn("Bob", False, ("yo there",)),
    ]
    dm = Situation("Mika", Place(kind="dm"), NOW, ("Friend", "Bob"))
    assert server.requests[1]["prompt"] == render_prompt(chatml_tokenizer(), render(dm, history))
    general = Situation("Mika", Place(kind="guild-text", channel="general"), NOW, ("Friend", "Bob"))
    later = [*history, Turn("Mika", True, ("yo",)), Turn("Bob", False, ("last one",))]
    assert server.requests[2]["prompt"] == render_prompt(chatml_tokenizer(), render(general, later))


def test_reset_starts_a_new_conversation(tmp_path: Path, terminal_clock: None) -> None:
    with completion_server([["a"], ["b"]]) as server:
        ws = make_workspace(tmp_path, generation={"server": server.url})
        save_tiny_run(ws)
        result = CliRunner().invoke(app, ["chat", "-w", str(ws.root), "--as", "Alice"], input="first\n/reset\nsecond\n")
    assert result.exit_code == 0, result.output
    assert result.stdout == "a\nb\n"
    assert server.requests[1]["prompt"].endswith("<|im_start|>user\nAlice: second<|im_end|>\n<|im_start|>assistant\n")


def test_chat_without_a_run_explains_what_to_do(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    result = CliRunner().invoke(app, ["chat", "-w", str(ws.root)], input="hi\n")
    assert result.exit_code == 1
    assert str(result.exception) == (
        f"No trained run in {ws.runs_dir}\n"
        "Train one with `shizu train`, or chat with the untrained base model: `shizu chat --base-only`."
    )


def test_a_bad_place_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["chat", "-w", str(tmp_path), "--place", "general"])
    assert result.exit_code == 2
    assert "use dm or #channel" in result.output


def memory_workspace(root: Path, url: str) -> Workspace:
    """The memory story built (docs/memory.md), a tiny run, generating on ``url``; one memory holds markup."""
    chat = story()
    chat.say(GENERAL, BO, 4 * DAY, "[red]so[/red] <script>alert(1)</script> the cat?")
    chat.say(GENERAL, ME, 4 * DAY + 1, "[bold]the cat[/bold] is fine")
    ws = story_workspace(root, f'[generation]\nserver = "{url}"\ntemperature = 0\nmax_new_tokens = 24\n', chat)
    build_dataset(ws)
    save_tiny_run(ws)
    return ws


def test_chat_as_a_channel_recalls_its_memories_and_shows_them_as_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(terminal, "now", lambda: T0 + timedelta(days=6))
    with completion_server([["ok"], ["ok"]]) as server:
        ws = memory_workspace(tmp_path / "ws", server.url)
        result = CliRunner().invoke(app, ["chat", "-w", str(ws.root), "--channel", "#GENERAL", "--show-memory"], input="how is the cat\n")
        plain = CliRunner().invoke(app, ["chat", "-w", str(ws.root), "--show-memory"], input="how is the cat\n")
        off = CliRunner().invoke(app, ["chat", "-w", str(ws.root), "--channel", "general", "--no-memory"], input="hi\n")
    assert result.exit_code == 0, result.output
    assert result.stdout == "ok\n"
    assert "Earlier conversations Mika remembers:" in server.requests[0]["prompt"]
    assert "You are Mika, chatting on Discord in #general on the server \"Cozy\"" in server.requests[0]["prompt"]
    assert "Saturday 2 March 2024, 22:01 UTC, #general on Cozy:\nBob: did you adopt that cat\nMika: yes her name is miso, a tabby" in result.stderr
    assert "Bob: [red]so[/red] <script>alert(1)</script> the cat?\nMika: [bold]the cat[/bold] is fine" in result.stderr  # as text
    assert "4711" not in result.stderr  # the DM secret stays in the DM
    assert plain.exit_code == 0 and "(recalled nothing)" in plain.stderr  # the terminal's own DM has no memories
    assert "remembers" not in server.requests[1]["prompt"]
    assert off.exit_code == 1 and "no memory to recall a channel from" in str(off.exception)


def test_an_unknown_channel_lists_the_places_with_memories(tmp_path: Path) -> None:
    with completion_server([["ok"]]) as server:
        ws = memory_workspace(tmp_path / "ws", server.url)
        result = CliRunner().invoke(app, ["chat", "-w", str(ws.root), "--channel", "nowhere"], input="hi\n")
    assert result.exit_code == 1
    assert str(result.exception).startswith("No place with memories is called 'nowhere'\nThe places with memories: ")
    assert "#general on Cozy (discord id 20)" in str(result.exception)
