"""``shizu build`` with the persona's memory: what each example recalls, and what the memory keeps."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from dataset_helpers import AL, DAY, GENERAL, ME, story, story_workspace
from shizu.dataset.pipeline import build_dataset
from shizu.memory import MemoryIndex
from shizu.workspace import PROFILE_TEMPLATE, Workspace, profile_sha256

# sha256 of train.jsonl + "|" + val.jsonl + "|" as `shizu build` wrote them for story() before the memory existed.
BEFORE_MEMORY = {
    "": "3eb8e4edf168b383803c8d41db32ba3d8236947de3cbe43b410a182f6be513ca",
    '[privacy]\nopt_out = ["4"]\n': "e2c80f640da2375b66fc6b22c7f640c1801785502c2207fbc9f25adb0e1a24b4",
}
SECRET = "its 4711 dont tell anyone"


def rows(ws: Workspace) -> dict[str, dict[str, Any]]:
    return {
        row["id"]: row for name in ("train.jsonl", "val.jsonl")
        for row in map(json.loads, (ws.dataset_dir / name).read_text(encoding="utf-8").splitlines())
    }


def system(row: dict[str, Any]) -> str:
    return row["messages"][0]["content"]


def memories(ws: Workspace) -> dict[str, Any]:
    """Every stored memory by key."""
    with ws.open_store() as store:
        index = MemoryIndex(store, ws.config.memory)
        return {m.key: m for _, m in index.entries(index.select())}


def test_a_later_example_recalls_what_the_persona_said_before_with_its_date_and_place(tmp_path: Path) -> None:
    ws = story_workspace(tmp_path / "ws")
    result = build_dataset(ws)
    found = rows(ws)
    assert {key: row.get("memories") for key, row in found.items()} == {
        "10:1000:0": None, "11:1006:0": None, "20:1002:0": None, "20:1008:0": ["1003", "1005"], "21:1012:0": None, "10:1014:0": ["1001"],
    }
    assert system(found["20:1008:0"]) == (
        'You are Mika, chatting on Discord in #general on the server "Cozy" with Alice. It is Monday 4 March 2024, 21:03 UTC.'
        " Write only Mika's messages, one chat message per line.\n\n"
        "Earlier conversations Mika remembers:\n"
        "Saturday 2 March 2024, 22:01 UTC, #general on Cozy:\nBob: did you adopt that cat\nMika: yes her name is miso, a tabby\n\n"
        "Saturday 2 March 2024, 22:03 UTC, #general on Cozy:\nZed: my hobby is falconry btw\nMika: falconry sounds wild"
    )
    assert system(found["10:1014:0"]).endswith(
        "Earlier conversations Mika remembers:\nSaturday 2 March 2024, 21:01 UTC, a direct message with Alice:\n"
        f"Alice: whats your locker code\nMika: {SECRET}"
    )
    assert result.memory == {"exchanges": 8, "stored": 8, "forgotten": 0, "embedded": 8, "examples_recalling": 2}
    meta = json.loads((ws.dataset_dir / "meta.json").read_text(encoding="utf-8"))
    assert meta["memory"] == result.memory and meta["profile_sha256"] is None


@pytest.mark.parametrize("scope", ["channel", "server", "everywhere"])
def test_memories_come_only_from_earlier_conversations_in_scope(tmp_path: Path, scope: str) -> None:
    """Never the example's own conversation, never the future; "channel" and "server" keep the DM secret in that DM."""
    chat = story()
    chat.say(GENERAL, AL, 2 * DAY + 4, "and miso the cat?")  # the same conversation as 20:1008, after its first window
    chat.say(GENERAL, ME, 2 * DAY + 5, "miso naps")
    ws = story_workspace(tmp_path / "ws", f'max_context_turns = 1\n[memory]\nscope = "{scope}"\n', chat=chat)
    build_dataset(ws)
    said = {m.id: (m.timestamp, m.channel.id) for m in chat.messages}
    found = rows(ws)
    for row in found.values():
        start = said[row["conversation"].split(":")[1]][0]
        assert all(said[key][0] < start for key in row.get("memories", [])), row["id"]
    recalled = {key: row.get("memories", []) for key, row in found.items()}
    assert "1009" not in recalled["20:1008:1"]  # its own conversation's first window is not a memory yet
    secret_in = {key for key, keys in recalled.items() if "1001" in keys}
    assert secret_in == ({"10:1014:0", "11:1006:0", "21:1012:0"} if scope == "everywhere" else {"10:1014:0"})
    assert all(SECRET not in system(found[key]) for key in found if key not in secret_in)


def test_opted_out_people_are_in_no_memory_and_no_example(tmp_path: Path) -> None:
    ws = story_workspace(tmp_path / "ws", '[privacy]\nopt_out = ["4"]\n')
    build_dataset(ws)
    stored = memories(ws)
    assert stored["1003"].reply == ("yes her name is miso, a tabby", "falconry sounds wild")  # Zed's line between them is gone
    assert all("4" not in m.people and "Zed" not in repr(m) and "hobby" not in repr(m) for m in stored.values())
    assert all("Zed" not in line and "hobby" not in line for name in ("train.jsonl", "val.jsonl")
               for line in (ws.dataset_dir / name).read_text(encoding="utf-8").splitlines())


@pytest.mark.parametrize("settings", list(BEFORE_MEMORY))
def test_with_memory_off_the_dataset_is_byte_for_byte_what_it_was_before_memory(tmp_path: Path, settings: str) -> None:
    ws = story_workspace(tmp_path / "ws", settings + "[memory]\nenabled = false\n")
    result = build_dataset(ws)
    digest = hashlib.sha256()
    for name in ("train.jsonl", "val.jsonl"):
        digest.update((ws.dataset_dir / name).read_bytes() + b"|")
    assert digest.hexdigest() == BEFORE_MEMORY[settings]
    assert result.memory is None and memories(ws) == {}


def test_a_second_build_stores_only_the_new_exchanges(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from memory_helpers import Words
    from shizu.memory import encoder

    embedder = Words()
    monkeypatch.setattr(encoder, "load_minilm", lambda device: embedder)
    chat = story()
    ws = story_workspace(tmp_path / "ws", chat=chat)
    assert build_dataset(ws).memory == {"exchanges": 8, "stored": 8, "forgotten": 0, "embedded": 8, "examples_recalling": 2}
    before = embedder.embedded
    chat.say(GENERAL, AL, 4 * DAY, "miso pics please")
    chat.say(GENERAL, ME, 4 * DAY + 1, "miso on my keyboard again")
    with ws.open_store() as store:
        store.write_source(chat.messages, path="t2.json", format="test", sha256="def", quality=2)
    result = build_dataset(ws)
    assert result.memory == {"exchanges": 9, "stored": 1, "forgotten": 0, "embedded": 1, "examples_recalling": 3}
    assert embedder.embedded - before == 1 + len(rows(ws))  # the new memory, and each example's query
    assert rows(ws)["20:1016:0"]["memories"] == ["1003", "1009"]


def test_the_room_of_the_memories_is_kept_from_the_context_budget(tmp_path: Path) -> None:
    """Recalled or not, an example never exceeds max_context_tokens, memories included."""
    ws = story_workspace(tmp_path / "ws", "max_context_tokens = 120\n[memory]\nmax_tokens = 40\n")
    build_dataset(ws)
    found = rows(ws)
    assert found["10:1014:0"]["memories"] == ["1001"]
    assert all(sum(len(m["content"]) for m in row["messages"]) <= 120 * 4 for row in found.values())


def test_persona_md_is_in_every_system_prompt_and_its_hash_in_meta(tmp_path: Path) -> None:
    ws = story_workspace(tmp_path / "ws", "[memory]\nenabled = false\n")
    assert ws.profile_path.read_text(encoding="utf-8") == PROFILE_TEMPLATE and ws.profile() == ""
    build_dataset(ws)
    untouched = (ws.dataset_dir / "train.jsonl").read_bytes()
    ws.profile_path.write_text(PROFILE_TEMPLATE + "\nI live in Lyon with my cat Miso.\n<!-- a note to myself -->\nI work nights.\n", encoding="utf-8")
    build_dataset(ws)
    profile = "I live in Lyon with my cat Miso.\n\nI work nights."
    assert ws.profile() == profile
    found = rows(ws)
    assert all(system(row).endswith("\n\nAbout Mika, in Mika's own words:\n" + profile) for row in found.values())
    assert system(found["10:1000:0"]).startswith("You are Mika, chatting on Discord in a direct message with Alice. It is Saturday 2 March 2024")
    meta = json.loads((ws.dataset_dir / "meta.json").read_text(encoding="utf-8"))
    assert meta["profile_sha256"] == profile_sha256(profile) == hashlib.sha256(profile.encode()).hexdigest()
    ws.profile_path.write_text(PROFILE_TEMPLATE, encoding="utf-8")
    build_dataset(ws)
    assert (ws.dataset_dir / "train.jsonl").read_bytes() == untouched


def test_the_reader_gives_the_memories_of_each_example(tmp_path: Path) -> None:
    from shizu.dataset.reader import read_examples

    ws = story_workspace(tmp_path / "ws")
    build_dataset(ws)
    examples = read_examples(ws.dataset_dir / "train.jsonl") + read_examples(ws.dataset_dir / "val.jsonl")
    assert {e.id: e.memories for e in examples if e.memories} == {"20:1008:0": ("1003", "1005"), "10:1014:0": ("1001",)}


def test_memories_keep_when_and_where(tmp_path: Path) -> None:
    ws = story_workspace(tmp_path / "ws")
    build_dataset(ws)
    stored = memories(ws)
    assert sorted(stored) == ["1001", "1003", "1005", "1007", "1009", "1011", "1013", "1015"]
    secret = stored["1001"]
    assert (secret.where.kind, secret.where.channel_id, secret.place.label("Alice")) == ("dm", "10", "a direct message with Alice")
    assert secret.time == datetime(2024, 3, 2, 21, 1, tzinfo=UTC) and secret.origin == "history" and secret.people == ("2",)
    assert [(t.speaker, t.texts) for t in stored["1011"].context] == [("Alice", ("any falconry news",))]
