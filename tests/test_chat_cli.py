"""``shizu chat`` with stdin from a file: one message per line in, one reply message per line out."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from clock import NOW
from persona_helpers import chatml_tokenizer, completion_server, make_workspace, save_tiny_run
from shizu.chat.layout import Place, Situation, Turn, render
from shizu.chat.template import render_prompt
from shizu.cli import app

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
