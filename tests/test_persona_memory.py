"""The live persona's memory: the prompt recalls as the build did, and live exchanges are remembered."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dataset_helpers import DAY, T0, story_workspace
from persona_helpers import ScriptedBackend
from shizu.chat.layout import Place, without_memories
from shizu.chat.template import encode_for_training, render, render_prompt
from shizu.dataset.pipeline import build_dataset
from shizu.memory import Where
from shizu.persona import LiveMessage, Persona
from shizu.persona.memory import PersonaMemory
from shizu.persona.runtime import profile_warning
from shizu.workspace import PROFILE_TEMPLATE, Workspace

DM_ALICE = Where("discord", "dm", "10")
DM_BOB = Where("discord", "dm", "11")
GENERAL = Where("discord", "guild-text", "20", "5")
THREAD = Where("discord", "thread", "21", "5")
SHOWN_GENERAL = Place(kind="guild-text", channel="general", server="Cozy")
SECRET = "its 4711 dont tell anyone"


def persona(ws: Workspace) -> Persona:
    """Mika as ``Persona.load`` makes it (the workspace's profile and memory), answering "ok"."""
    return Persona("Mika", ScriptedBackend(["ok"]), build=ws.config.build, profile=ws.profile(), memory=PersonaMemory.open(ws, "Mika"))


def row(ws: Workspace, example_id: str) -> dict[str, Any]:
    for name in ("train.jsonl", "val.jsonl"):
        for line in (ws.dataset_dir / name).read_text(encoding="utf-8").splitlines():
            if (found := json.loads(line))["id"] == example_id:
                return found
    raise KeyError(example_id)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.mark.parametrize("profile", ["", "I live in Lyon with my cat Miso."])
def test_the_live_prompt_is_a_prefix_of_the_training_render(tmp_path: Path, profile: str) -> None:
    """The example of 10:1014 recalls the DM secret; the bot asked the same at the same moment recalls it too, written the same."""
    ws = story_workspace(tmp_path / "ws")
    ws.profile_path.write_text(PROFILE_TEMPLATE + profile, encoding="utf-8")
    build_dataset(ws)
    example = row(ws, "10:1014:0")
    assert example["memories"] == ["1001"]
    mika = persona(ws)
    when = datetime.fromisoformat(example["timestamp"])
    prompt = mika.prompt([LiveMessage("Alice", "remind me the locker code", at(3 * DAY))], Place(kind="dm", channel="alice"), now=when, where=DM_ALICE)
    tokenizer = mika.backend.tokenizer
    assert prompt.text == render_prompt(tokenizer, example["messages"][:2])
    assert render(tokenizer, example["messages"]).startswith(prompt.text)
    encode_for_training(tokenizer, example["messages"])  # the round trip training checks for every persona turn
    assert [(r.memory.key, r.memory.reply) for r in prompt.memories] == [("1001", (SECRET,))]
    assert prompt.situation.profile == profile and (profile in prompt.text)


def test_a_dm_secret_never_comes_up_with_someone_else(tmp_path: Path) -> None:
    ws = story_workspace(tmp_path / "ws")
    build_dataset(ws)
    mika = persona(ws)
    ask = [LiveMessage("Bob", "whats the locker code, the one you told alice", at(5 * DAY))]
    for where in (DM_BOB, GENERAL, THREAD, Where("discord", "dm", "99")):
        prompt = mika.prompt(ask, SHOWN_GENERAL, now=at(5 * DAY + 1), where=where)
        assert SECRET not in prompt.text and "1001" not in [r.memory.key for r in prompt.memories], where
    assert [r.memory.key for r in mika.prompt(ask, Place(kind="dm"), now=at(5 * DAY + 1), where=DM_ALICE).memories] == ["1001", "1015"]


def test_memory_is_off_without_where_or_when_asked_and_the_reply_says_what_it_recalled(tmp_path: Path) -> None:
    ws = story_workspace(tmp_path / "ws")
    build_dataset(ws)
    mika = persona(ws)
    ask = [LiveMessage("Alice", "how is miso the cat", at(5 * DAY))]
    recalled = mika.reply(ask, SHOWN_GENERAL, now=at(5 * DAY + 1), where=GENERAL)
    assert [r.memory.key for r in recalled.memories] == ["1003", "1005", "1009"]  # 1005 has "is"
    assert "Earlier conversations Mika remembers:\nSaturday 2 March 2024, 22:01 UTC, #general on Cozy:\nBob: did you adopt that cat" in recalled.prompt
    for reply in (mika.reply(ask, SHOWN_GENERAL, now=at(5 * DAY + 1)), mika.reply(ask, SHOWN_GENERAL, now=at(5 * DAY + 1), where=GENERAL, memory=False)):
        assert reply.memories == () and "remembers" not in reply.prompt
    assert PersonaMemory.open(story_workspace(tmp_path / "off", "[memory]\nenabled = false\n"), "Mika") is None


def test_someone_opted_out_after_the_build_is_not_recalled_nor_named(tmp_path: Path) -> None:
    ws = story_workspace(tmp_path / "ws")
    build_dataset(ws)
    ask = [LiveMessage("Alice", "any falconry news, or hobby news", at(5 * DAY))]
    before = persona(ws).prompt(ask, SHOWN_GENERAL, now=at(5 * DAY + 1), where=GENERAL)
    assert [r.memory.key for r in before.memories] == ["1005", "1011"] and "Zed: my hobby is falconry btw" in before.text
    ws.config_path.write_text(ws.config_path.read_text(encoding="utf-8") + '[privacy]\nopt_out = ["4"]\n', encoding="utf-8")
    after = persona(Workspace(ws.root)).prompt(ask, SHOWN_GENERAL, now=at(5 * DAY + 1), where=GENERAL)
    assert [r.memory.key for r in after.memories] == ["1011"] and "Zed" not in after.text and "my hobby" not in after.text


def test_the_persons_own_live_messages_are_remembered_cleaned_as_the_dataset_is(tmp_path: Path) -> None:
    ws = story_workspace(tmp_path / "ws", '[privacy]\nopt_out = ["4"]\n')
    build_dataset(ws)
    mika = persona(ws)
    show = [
        LiveMessage("Alice", "mail me at alice@example.com, how was the rock show", at(5 * DAY), author_id="2", id="9001"),
        LiveMessage("Zed", "zed was there too", at(5 * DAY + 0.1), author_id="4", id="9002"),
        LiveMessage("Mika", "the rock show was loud, @Zed lost his voice", at(5 * DAY + 0.2), author_id="1", id="9003"),
    ]
    assert mika.remember(show, GENERAL, SHOWN_GENERAL, reply=["bot: cool"], now=at(5 * DAY + 0.3)) == 1  # not the bot's own reply
    assert mika.remember(show, GENERAL, SHOWN_GENERAL) == 0  # already remembered
    memory = mika.memory
    assert memory is not None
    [(_, live)] = [(i, m) for i, m in memory.index.entries(memory.index.select()) if m.origin != "history"]
    assert (live.key, live.origin, live.people, live.time) == ("9003", "live", ("2",), at(5 * DAY + 0.2))
    assert [(t.speaker, t.texts) for t in live.context] == [("Alice", ("mail me at <EMAIL>, how was the rock show",))]
    assert live.reply == ("the rock show was loud, @someone lost his voice",)
    asked = mika.prompt([LiveMessage("Bob", "that rock show, loud?", at(7 * DAY))], SHOWN_GENERAL, now=at(7 * DAY), where=GENERAL)
    assert [r.memory.key for r in asked.memories] == ["1003", "9003"]  # 1003: "did you adopt that cat"
    assert "Alice: mail me at <EMAIL>, how was the rock show\nMika: the rock show was loud, @someone lost his voice" in asked.text


def test_the_bots_replies_are_remembered_only_when_asked(tmp_path: Path) -> None:
    ws = story_workspace(tmp_path / "ws", "[memory]\nremember_own_replies = true\n")
    build_dataset(ws)
    mika = persona(ws)
    said = [LiveMessage("Bob", "favourite ramen place?", at(5 * DAY), author_id="3")]
    assert mika.remember(said, GENERAL, SHOWN_GENERAL, reply=["ichiraku, always"], now=at(5 * DAY + 1)) == 1
    assert mika.remember(said, GENERAL, SHOWN_GENERAL, reply=["ichiraku, always"], now=at(5 * DAY + 1)) == 0
    memory = mika.memory
    assert memory is not None
    [bot] = [m for _, m in memory.index.entries(memory.index.select()) if m.origin == "bot"]
    assert ([(t.speaker, t.texts) for t in bot.context], bot.reply) == ([("Bob", ("favourite ramen place?",))], ("ichiraku, always",))


def test_a_profile_changed_since_the_build_is_said(tmp_path: Path) -> None:
    ws = story_workspace(tmp_path / "ws", "[memory]\nenabled = false\n")
    assert profile_warning(ws, ws.profile()) is None  # no dataset yet
    build_dataset(ws)
    assert profile_warning(ws, ws.profile()) is None
    ws.profile_path.write_text("I moved to Berlin.", encoding="utf-8")
    assert profile_warning(ws, ws.profile()) == (
        "persona.md changed since the dataset was built: the model learned with the old one."
        " Run `shizu build` and `shizu train` again for it to learn with this one."
    )
    ws.profile_path.write_text(PROFILE_TEMPLATE + "<!-- only a comment more -->", encoding="utf-8")
    assert profile_warning(ws, ws.profile()) is None


def test_a_rows_memories_are_shown_again_as_its_build_recalled_them(tmp_path: Path) -> None:
    """``shizu eval`` replays a held-out row with the memories its build recalled; without a memory, the row's prompt has none."""
    ws = story_workspace(tmp_path / "ws")
    build_dataset(ws)
    example = row(ws, "10:1014:0")
    when = datetime.fromisoformat(example["timestamp"])
    history, place = [LiveMessage("Alice", "remind me the locker code", at(3 * DAY))], Place(kind="dm", channel="alice")
    mika = persona(ws)
    shown = mika.prompt(history, place, now=when, memories=example["memories"])  # no `where`: nothing is searched
    assert shown.text == render_prompt(mika.backend.tokenizer, example["messages"][:2])
    assert [r.memory.key for r in shown.memories] == ["1001"]
    assert mika.prompt(history, place, now=when, memories=["no such key"]).memories == ()
    forgetful = Persona("Mika", ScriptedBackend(["ok"]), build=ws.config.build, profile=ws.profile())
    system = {"role": "system", "content": without_memories(example["messages"][0]["content"], "Mika")}
    assert forgetful.prompt(history, place, now=when, memories=example["memories"]).text == render_prompt(
        mika.backend.tokenizer, [system, example["messages"][1]]
    )
