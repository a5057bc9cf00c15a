"""Persona: one streaming interface from the live situation to clean messages (scripted backend)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from clock import NOW
from persona_helpers import ScriptedBackend, make_workspace
from shizu.chat.layout import Place, Situation, Turn, render
from shizu.chat.media import MediaItem
from shizu.chat.template import render_prompt
from shizu.config import BuildConfig
from shizu.errors import ShizuError
from shizu.persona import Done, Draft, LiveMessage, Persona, Said, self_talk
from shizu.persona.media import MediaCatalogue
from shizu.persona.postprocess import Cleanup, OutMessage
from shizu.persona.runtime import persona_name

DM = Place(kind="dm")
CAT = MediaItem("gif", "cat vibing", "https://tenor.com/view/cat-vibing-gif-12345678")
HISTORY = [LiveMessage("Alice", "did you see the trailer", NOW), LiveMessage("Alice", "its so good", NOW)]


def persona(*replies: Sequence[str]) -> tuple[Persona, ScriptedBackend]:
    backend = ScriptedBackend(replies)
    return Persona("Mika", backend, catalogue=MediaCatalogue([CAT])), backend


def test_stream_yields_drafts_then_each_message_then_done() -> None:
    mika, backend = persona(["omg", " yes\nim SO", " hyped [gif: cat vibing]", "<|im_end|>"])
    events = list(mika.stream(HISTORY, DM, now=NOW))
    assert events[:-1] == [
        Draft("omg"),
        Said(OutMessage("omg yes", "omg yes")),
        Draft("im SO"),
        Draft("im SO hyped [gif: cat vibing]"),
        Said(OutMessage(f"im SO hyped {CAT.url}", "im SO hyped", (CAT,))),
    ]
    reply = events[-1].reply
    assert isinstance(events[-1], Done)
    assert reply.raw == "omg yes\nim SO hyped [gif: cat vibing]"
    assert reply.texts == ["omg yes", f"im SO hyped {CAT.url}"]
    assert reply.stop == "end-of-turn"
    assert reply.cleanup == Cleanup(tags_exact=1)


def test_the_prompt_is_the_shared_render_with_the_chat_template() -> None:
    mika, backend = persona(["ok"])
    reply = mika.reply(HISTORY, DM, now=NOW)
    situation = Situation("Mika", DM, NOW, ("Alice",))
    expected = render_prompt(backend.tokenizer, render(situation, [Turn("Alice", False, ("did you see the trailer", "its so good"))]))
    assert backend.prompts == [expected] == [reply.prompt]
    assert expected.endswith("<|im_start|>user\nAlice: did you see the trailer\nAlice: its so good<|im_end|>\n<|im_start|>assistant\n")
    assert backend.stops[0][:2] == ["<|im_end|>", "<|im_start|>"] and backend.stops[0][-1] == "\nAlice:"
    assert reply.stop == "end"


def test_another_speakers_line_is_cut_and_generation_stops() -> None:
    mika, backend = persona(["haha yes\n", "Alice", ": wait", " what\n", "Mika: more", " and more"])
    reply = mika.reply(HISTORY, DM, now=NOW)
    assert reply.texts == ["haha yes"]
    assert reply.stop == "other-speaker"
    assert reply.generated == "haha yes\nAlice: wait"
    assert backend.read == [3]  # the stream was closed as soon as the guard saw "Alice:"
    assert self_talk(reply.generated, ["Alice"]) and not self_talk("\n".join(reply.texts), ["Alice"])


def test_a_chat_header_is_cut() -> None:
    mika, _ = persona(["sure thing\n<|im_start|>user\nAlice: ok"])
    reply = mika.reply(HISTORY, DM, now=NOW)
    assert (reply.texts, reply.stop) == (["sure thing"], "end-of-turn")


def test_a_turn_with_nothing_to_send_gives_no_messages() -> None:
    mika, _ = persona(["[gif: never sent] https://example.com/x<|im_end|>"])
    reply = mika.reply(HISTORY, DM, now=NOW)
    assert reply.messages == ()
    assert reply.cleanup == Cleanup(links_removed=1, tags_dropped=1, empty_messages=1)


def test_context_settings_come_from_the_build_config() -> None:
    backend = ScriptedBackend(["ok"])
    mika = Persona("Mika", backend, build=BuildConfig(max_context_turns=1, timezone="Asia/Tokyo"))
    history = [LiveMessage("Bob", "first", NOW), LiveMessage("Mika", "hey", NOW, is_persona=True), LiveMessage("Alice", "yo", NOW)]
    reply = mika.reply(history, Place(kind="group", channel="pals"), now=NOW)
    assert reply.situation.participants == ("Alice",)
    assert 'in the group chat "pals" with Alice. It is Sunday 3 March 2024, 06:14 JST.' in reply.prompt
    assert "Bob" not in reply.prompt


def test_persona_name_comes_from_the_config_then_the_dataset(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "a", name="Mika")
    assert persona_name(ws) == "Mika"
    ws = make_workspace(tmp_path / "b", name="")
    assert persona_name(ws) == "me"
    ws.dataset_dir.mkdir()
    (ws.dataset_dir / "meta.json").write_text(json.dumps({"persona": {"name": "Shizu", "me": ["1"]}}), encoding="utf-8")
    assert persona_name(ws) == "Shizu"


def test_loading_without_a_run_says_what_to_do(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    with pytest.raises(ShizuError) as info:
        Persona.load(ws)
    assert info.value.message == f"No trained run in {ws.runs_dir}"
    assert "shizu chat --base-only" in (info.value.hint or "")
    (ws.runs_dir / "r1").mkdir(parents=True)
    (ws.runs_dir / "r1" / "meta.json").write_text("{}", encoding="utf-8")
    (ws.runs_dir / "half.partial").mkdir()
    with pytest.raises(ShizuError) as info:
        Persona.load(ws, run="half")
    assert info.value.message == f"No finished run named 'half' in {ws.runs_dir}"
    assert info.value.hint == "Pick one of: r1."


def test_generation_settings_are_validated(tmp_path: Path) -> None:
    with pytest.raises(ShizuError) as info:
        make_workspace(tmp_path, generation={"top_p": 0, "server": "localhost:8000", "tempreature": 1}).config
    text = str(info.value)
    assert "unknown key 'tempreature' in [generation]; did you mean 'temperature'?" in text
    assert "generation.top_p must be in (0, 1] (for example 0.95)" in text
    assert "generation.server must be an http:// or https:// URL (got 'localhost:8000'), or \"\" to run locally" in text
