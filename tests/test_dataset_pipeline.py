"""``build_dataset`` end to end on tiny hand-made stores, with exact expected output."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from dataset_helpers import AL, BO, ME, Chat
from shizu.dataset.pipeline import build_dataset
from shizu.errors import DatasetError
from shizu.message import Attachment, Author, Channel, Embed, Sticker
from shizu.workspace import Workspace

ZED = Author(id="4", name="zed", display_name="Zed")
BOT = Author(id="9", name="dj", display_name="DJ", is_bot=True)
DM = Channel(id="10", name="alice", kind="dm")
GENERAL = Channel(id="20", name="general", kind="guild-text", guild_id="5", guild_name="Cozy")
THREAD = Channel(id="21", name="plans", kind="thread", guild_id="5", guild_name="Cozy", parent_id="20",
                 parent_name="general")
URL_RE = re.compile(r"https?://|www\.", re.IGNORECASE)




def make_ws(tmp_path: Path, chat: Chat, me: tuple[str, ...] = ("1",), source: str = "test.json", **sections: dict[str, Any]) -> Workspace:
    ws = Workspace.create(tmp_path / "ws")
    config = {"persona": {"me": list(me)}, "privacy": {"redact_pii": False}, "build": {"val_fraction": 0.0}}
    for name, values in sections.items():
        config[name] = {**config.get(name, {}), **values}
    ws.config_path.write_text(
        "\n".join(f"[{name}]\n" + "\n".join(f"{k} = {json.dumps(v)}" for k, v in values.items())
                  for name, values in config.items()) + "\n",
        encoding="utf-8",
    )
    with ws.open_store() as store:
        store.write_source(chat.messages, path=source, format="test", sha256="abc", quality=2)
    return ws


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def examples(ws: Workspace) -> list[dict[str, Any]]:
    return read_jsonl(ws.dataset_dir / "train.jsonl") + read_jsonl(ws.dataset_dir / "val.jsonl")


def contents(ws: Workspace, role: str | None = None) -> list[str]:
    return [m["content"] for ex in examples(ws) for m in ex["messages"] if role in (None, m["role"])]


def test_exact_jsonl_for_a_small_conversation(tmp_path: Path) -> None:
    chat = Chat()
    chat.say(GENERAL, AL, 0, "did you see the trailer")
    chat.say(GENERAL, BO, 1, "it looks so good")
    chat.say(GENERAL, ME, 2, "omg yes\nim SO hyped")
    chat.say(GENERAL, ME, 2.5, "https://tenor.com/view/cat-vibing-gif-26166638")
    chat.say(GENERAL, AL, 3, "same @Mika")
    chat.say(GENERAL, ME, 4, "ok brb")
    ws = make_ws(tmp_path, chat)
    result = build_dataset(ws)
    lines = (ws.dataset_dir / "train.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 and "\u2028" not in lines[0] and "\\u2028" in lines[0]
    assert json.loads(lines[0]) == {
        "id": "20:1000:0",
        "conversation": "20:1000",
        "split": "train",
        "channel_id": "20",
        "timestamp": "2024-03-02T21:04:00Z",
        "persona": "Mika",
        "place": {"kind": "guild-text", "channel": "general", "server": "Cozy", "parent": "", "platform": "discord"},
        "participants": ["Alice", "Bob"],
        "messages": [
            {"role": "system", "content": (
                'You are Mika, chatting on Discord in #general on the server "Cozy" with Alice and Bob.'
                " It is Saturday 2 March 2024, 21:04 UTC. Write only Mika's messages, one chat message per line."
            )},
            {"role": "user", "content": "Alice: did you see the trailer\nBob: it looks so good"},
            {"role": "assistant", "content": "omg yes\u2028im SO hyped\n[gif: cat vibing]"},
            {"role": "user", "content": "Alice: same @Mika"},
            {"role": "assistant", "content": "ok brb"},
        ],
        "message_ids": [[], ["1000", "1001"], ["1002", "1003"], ["1004"], ["1005"]],
    }
    assert (ws.dataset_dir / "val.jsonl").read_text() == ""
    assert result.report["counts"] == {
        "messages": 6, "messages_kept": 6, "persona_messages": 3, "conversations": 1,
        "conversations_with_examples": 1, "train_conversations": 1, "val_conversations": 0, "examples": 1,
        "train_examples": 1, "val_examples": 0, "persona_turns": 2,
    }


def test_every_filter_reason_is_counted_and_written(tmp_path: Path) -> None:
    chat = Chat()
    chat.say(GENERAL, AL, 0, "hey all")
    chat.say(GENERAL, BOT, 0.1, "now playing")  # bot
    chat.say(GENERAL, AL, 0.2, "Joined the server.", is_system=True, kind="GuildMemberJoin")  # system
    chat.say(GENERAL, AL, 0.3, "!play despacito")  # command
    chat.say(GENERAL, AL, 0.4, "/roll d20")  # command
    chat.say(GENERAL, AL, 0.5, "! not a command")
    chat.say(GENERAL, AL, 0.6, "  ", embeds=(Embed(title="an embed without a link"),))  # empty
    chat.say(GENERAL, AL, 0.7, "x" * 81)  # too-long
    chat.say(GENERAL, ZED, 0.8, "zed says hi")  # opted-out
    chat.say(GENERAL, ME, 1, "hii")
    chat.say(GENERAL, ME, 1.5, "hii")  # duplicate (30 s later)
    chat.say(GENERAL, ME, 4, "hii")  # kept: 2.5 min after the previous one
    chat.say(THREAD, AL, 0, "anyone?")  # a conversation without the persona: no-persona-turn
    chat.say(DM, ME, 0, "ping")  # nobody answers: no-context
    chat.say(DM, ME, 60, "y" * 80)  # alone in its conversation too: no-context
    dropped = tmp_path / "out" / "dropped.jsonl"
    ws = make_ws(tmp_path, chat, privacy={"opt_out": ["4"]}, build={"max_message_chars": 80})
    result = build_dataset(ws, write_dropped=dropped)
    assert result.report["dropped"] == {
        "message": {"opted-out": 1, "bot": 1, "system": 1, "command": 2, "empty": 1, "too-long": 1, "duplicate": 1},
        "conversation": {"no-persona-turn": 1, "no-context": 2},
        "example": {"over-budget": 0},
    }
    assert result.report["persona_dropped"] == {"duplicate": 1}
    rows = read_jsonl(dropped)
    assert [(r["stage"], r["reason"]) for r in rows] == [  # channel by channel, in id order
        ("conversation", "no-context"), ("conversation", "no-context"),
        ("message", "bot"), ("message", "system"), ("message", "command"), ("message", "command"),
        ("message", "empty"), ("message", "too-long"), ("message", "opted-out"), ("message", "duplicate"),
        ("conversation", "no-persona-turn"),
    ]
    assert rows[4] == {"stage": "message", "reason": "command", "id": "1003", "channel_id": "20",
                       "timestamp": "2024-03-02T21:00:18+00:00", "author_id": "2", "author": "Alice",
                       "content": "!play despacito"}
    assert rows[8] == {"stage": "message", "reason": "opted-out", "id": "1008", "channel_id": "20",
                       "timestamp": "2024-03-02T21:00:48+00:00"}
    assert rows[10] == {"stage": "conversation", "reason": "no-persona-turn", "conversation": "21:1012",
                       "channel_id": "21", "start": "2024-03-02T21:00:00+00:00", "messages": 1}
    [example] = examples(ws)
    assert example["messages"][1:] == [
        {"role": "user", "content": "Alice: hey all\nAlice: ! not a command"},
        {"role": "assistant", "content": "hii\nhii"},
    ]


def test_over_budget_turns_are_dropped_and_the_rest_kept(tmp_path: Path) -> None:
    chat = Chat()
    chat.say(DM, AL, 0, "tell me everything")
    chat.say(DM, ME, 1, "so " * 200)
    chat.say(DM, AL, 5, "ok")
    chat.say(DM, ME, 6, "short")
    ws = make_ws(tmp_path, chat, build={"max_context_tokens": 100}, memory={"enabled": False})  # no room kept for memories
    result = build_dataset(ws)
    assert result.report["dropped"]["example"] == {"over-budget": 1}
    [example] = examples(ws)
    assert example["messages"][1:] == [{"role": "user", "content": "Alice: ok"}, {"role": "assistant", "content": "short"}]
    assert example["message_ids"] == [[], ["1002"], ["1003"]]


def test_reply_to_an_earlier_session_pulls_the_question_in(tmp_path: Path) -> None:
    chat = Chat()
    question = chat.say(DM, AL, 0, "what was that song called?")
    chat.say(DM, AL, 120, "morning")  # two hours later: a new conversation
    chat.say(DM, ME, 121, "it's Dancing Queen", reply_to=question)
    ws = make_ws(tmp_path, chat)
    build_dataset(ws)
    [example] = examples(ws)
    assert example["conversation"] == "10:1001"
    assert example["messages"][1:] == [
        {"role": "user", "content": "Alice: what was that song called?\nAlice: morning"},
        {"role": "assistant", "content": "it's Dancing Queen"},
    ]
    assert example["message_ids"] == [[], ["1000", "1001"], ["1002"]]


def test_a_reply_is_enough_context_for_a_lone_persona_turn(tmp_path: Path) -> None:
    chat = Chat()
    question = chat.say(DM, AL, 0, "u up?")
    chat.say(DM, ME, 300, "yes now", reply_to=question)
    ws = make_ws(tmp_path, chat)
    result = build_dataset(ws)
    assert result.report["dropped"]["conversation"] == {"no-persona-turn": 1, "no-context": 0}
    assert [ex["messages"][1:] for ex in examples(ws)] == [[
        {"role": "user", "content": "Alice: u up?"}, {"role": "assistant", "content": "yes now"},
    ]]


def test_opted_out_people_never_appear(tmp_path: Path) -> None:
    chat = Chat()
    secret = chat.say(GENERAL, ZED, 0, "my zebra password story")
    chat.say(GENERAL, AL, 1, "lol @Zed")
    chat.say(GENERAL, ME, 2, "haha", reply_to=secret)
    chat.say(DM, ZED, 0, "private zebra")
    chat.say(DM, ME, 1, "sure thing")
    ws = make_ws(tmp_path, chat, privacy={"opt_out": ["4"]})
    dropped = tmp_path / "dropped.jsonl"
    build_dataset(ws, write_dropped=dropped, exports=["openai", "sharegpt"])
    assert contents(ws)[1:] == ["Alice: lol @someone", "haha"]
    for path in [*ws.dataset_dir.rglob("*.json*"), ws.dataset_dir / "report.html", dropped]:
        text = path.read_text(encoding="utf-8")
        assert "zebra" not in text and "Zed" not in text, path


def test_pseudonyms_replace_other_people_everywhere_consistently(tmp_path: Path) -> None:
    chat = Chat()
    chat.say(DM, AL, 0, "hi mika")
    chat.say(DM, ME, 1, "hey @Alice")
    chat.say(GENERAL, BO, 0, "where is @alice")
    chat.say(GENERAL, AL, 1, "here")
    chat.say(GENERAL, ME, 2, "welcome back @Alice and @Bob")
    ws = make_ws(tmp_path, chat, privacy={"pseudonymize": True})
    build_dataset(ws)
    dm, general = examples(ws)
    pseudo_al = dm["messages"][1]["content"].split(":")[0]
    pseudo_bo = general["messages"][1]["content"].split(":")[0]
    assert pseudo_al not in ("Alice", "alice", pseudo_bo) and pseudo_bo != "Bob"
    assert dm["messages"][1:] == [
        {"role": "user", "content": f"{pseudo_al}: hi mika"}, {"role": "assistant", "content": f"hey @{pseudo_al}"},
    ]
    assert general["messages"][1:] == [
        {"role": "user", "content": f"{pseudo_bo}: where is @{pseudo_al}\n{pseudo_al}: here"},
        {"role": "assistant", "content": f"welcome back @{pseudo_al} and @{pseudo_bo}"},
    ]
    assert f"with {pseudo_bo} and {pseudo_al}." in general["messages"][0]["content"]
    for path in ws.dataset_dir.glob("*.json*"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"alice|\bBob\b", text, re.IGNORECASE), path


def test_media_become_tags_and_the_persona_catalogue(tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    (exports / "media").mkdir(parents=True)
    (exports / "media" / "beach.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (tmp_path / "secret.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (exports / "media" / "link.png").symlink_to(tmp_path / "secret.png")
    chat = Chat()
    chat.say(GENERAL, AL, 0, "look www.example.com/news/big-story?ref=abc")
    chat.say(GENERAL, ME, 1, "https://tenor.com/view/cat-vibing-gif-26166638",
             embeds=(Embed(url="https://tenor.com/view/cat-vibing-gif-26166638", kind="gif"),))
    chat.say(GENERAL, ME, 1.2, "", attachments=(Attachment(
        url="https://cdn.discordapp.com/attachments/1/2/beach.png?ex=1&hm=2", filename="beach.png",
        local_path=str(exports / "media" / "beach.png")),))
    # Stored by an older Shizu or a crafted export: paths out of the export's folder, a script URL.
    chat.say(GENERAL, ME, 1.25, "", attachments=(Attachment(
        url="https://cdn.discordapp.com/attachments/1/3/up.png", filename="up.png", local_path=str(exports / ".." / "secret.png")),))
    chat.say(GENERAL, ME, 1.3, "", attachments=(Attachment(
        url="https://cdn.discordapp.com/attachments/1/4/link.png", filename="link.png", local_path=str(exports / "media" / "link.png")),))
    chat.say(GENERAL, ME, 1.35, "", stickers=(Sticker(id="66", name="Evil", url="javascript:alert(1)"),))
    chat.say(GENERAL, ME, 1.4, "watch this https://www.youtube.com/watch?v=dQw4w9WgXcQ :kekw:",
             embeds=(Embed(url="https://www.youtube.com/watch?v=dQw4w9WgXcQ", title="Rick Astley - Never Gonna Give You Up",
                           kind="video"),), custom_emoji={"kekw": "555"})
    chat.say(GENERAL, ME, 1.6, "", stickers=(Sticker(id="77", name="Wave", url="https://media.discordapp.net/stickers/77.png"),))
    chat.say(GENERAL, AL, 2, "lmao https://tenor.com/view/cat-vibing-gif-26166638")
    chat.say(GENERAL, ME, 3, "https://tenor.com/view/cat-vibing-gif-99")  # same label, another GIF
    ws = make_ws(tmp_path, chat, source=str(exports / "export.json"))
    build_dataset(ws)
    [example] = examples(ws)
    assert example["messages"][1:] == [
        {"role": "user", "content": "Alice: look [link: example.com news big story]"},
        {"role": "assistant", "content": (
            "[gif: cat vibing]\n[image: beach]\n[image: up]\n[image: link]\n[sticker: Evil]\nwatch this [link: Rick Astley - Never Gonna Give You Up] :kekw:\n"
            "[sticker: Wave]"
        )},
        {"role": "user", "content": "Alice: lmao [gif: cat vibing]"},
        {"role": "assistant", "content": "[gif: cat vibing 2]"},
    ]
    assert not any(URL_RE.search(c) for c in contents(ws))
    media = json.loads((ws.dataset_dir / "media.json").read_text())
    assert media == {
        "items": [
            {"kind": "gif", "label": "cat vibing", "tag": "[gif: cat vibing]",
             "url": "https://tenor.com/view/cat-vibing-gif-26166638", "local_path": None, "local_root": None, "count": 1},
            {"kind": "image", "label": "beach", "tag": "[image: beach]",
             "url": "https://cdn.discordapp.com/attachments/1/2/beach.png?ex=1&hm=2",
             "local_path": str((exports / "media" / "beach.png").resolve()), "local_root": str(exports), "count": 1},
            {"kind": "image", "label": "up", "tag": "[image: up]",
             "url": "https://cdn.discordapp.com/attachments/1/3/up.png", "local_path": None, "local_root": None, "count": 1},
            {"kind": "image", "label": "link", "tag": "[image: link]",
             "url": "https://cdn.discordapp.com/attachments/1/4/link.png", "local_path": None, "local_root": None, "count": 1},
            {"kind": "link", "label": "Rick Astley - Never Gonna Give You Up",
             "tag": "[link: Rick Astley - Never Gonna Give You Up]",
             "url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ", "local_path": None, "local_root": None, "count": 1},
            {"kind": "sticker", "label": "Wave", "tag": "[sticker: Wave]",
             "url": "https://media.discordapp.net/stickers/77.png", "local_path": None, "local_root": None, "count": 1},
            {"kind": "gif", "label": "cat vibing 2", "tag": "[gif: cat vibing 2]",
             "url": "https://tenor.com/view/cat-vibing-gif-99", "local_path": None, "local_root": None, "count": 1},
        ],
        "emoji": [{"name": "kekw", "id": "555", "count": 1}],
    }
    report = json.loads((ws.dataset_dir / "report.json").read_text())
    assert report["media"]["dropped"] == {"media-path-outside-export": 2, "media-url-scheme": 1}


def _sessions(chat: Chat, channel: Channel, start_minute: float) -> str:
    conv = chat.say(channel, AL, start_minute, "hey")
    chat.say(channel, ME, start_minute + 1, "yo")
    return f"{channel.id}:{conv}"


def test_split_holds_out_the_latest_conversations(tmp_path: Path) -> None:
    chat = Chat()
    starts = {}
    for channel, minute in [(DM, 0), (GENERAL, 100), (THREAD, 200), (DM, 300), (GENERAL, 400)]:
        starts[_sessions(chat, channel, minute)] = minute
    ws = make_ws(tmp_path, chat, build={"val_fraction": 0.4})
    result = build_dataset(ws)
    train = {ex["conversation"] for ex in read_jsonl(ws.dataset_dir / "train.jsonl")}
    val = {ex["conversation"] for ex in read_jsonl(ws.dataset_dir / "val.jsonl")}
    assert not train & val
    assert sorted(val, key=starts.get) == ["10:1006", "20:1008"]
    assert max(starts[c] for c in train) < min(starts[c] for c in val)
    assert all(ex["split"] == "val" for ex in read_jsonl(ws.dataset_dir / "val.jsonl"))
    assert (result.report["counts"]["train_conversations"], result.report["counts"]["val_conversations"]) == (3, 2)


def test_meta_records_config_store_and_file_hashes(tmp_path: Path) -> None:
    chat = Chat()
    _sessions(chat, DM, 0)
    ws = make_ws(tmp_path, chat, build={"timezone": "Europe/Paris"})
    build_dataset(ws)
    meta = json.loads((ws.dataset_dir / "meta.json").read_text())
    assert meta["persona"] == {"name": "Mika", "me": ["1"]}
    assert meta["config"]["build"]["timezone"] == "Europe/Paris"
    assert meta["store"]["messages"] == 2 and len(meta["store"]["fingerprint"]) == 64
    assert meta["counts"]["examples"] == 1
    for name, digest in meta["files"].items():
        assert hashlib.sha256((ws.dataset_dir / name).read_bytes()).hexdigest() == digest
    [example] = examples(ws)
    assert "It is Saturday 2 March 2024, 22:01 CET." in example["messages"][0]["content"]
    assert sorted(p.name for p in ws.dataset_dir.iterdir()) == [
        "activity.png", "lengths.png", "media.json", "meta.json", "report.html", "report.json", "train.jsonl",
        "val.jsonl",
    ]


def test_exports_load_with_datasets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    datasets = pytest.importorskip("datasets")
    chat = Chat()
    chat.say(DM, ME, 0, "opening line\nsecond line")
    chat.say(DM, AL, 1, "answer")
    chat.say(DM, ME, 2, "ok")
    _sessions(chat, GENERAL, 100)
    ws = make_ws(tmp_path, chat, build={"val_fraction": 0.5})
    build_dataset(ws, exports=["openai", "sharegpt", "openai"])
    d = ws.dataset_dir
    cache = str(tmp_path / "hf-cache")
    ours = datasets.load_dataset("json", data_files={"train": str(d / "train.jsonl"), "val": str(d / "val.jsonl")},
                                 cache_dir=cache)
    assert ours["train"][0]["messages"][1]["content"] == "opening line\u2028second line"
    openai = datasets.load_dataset("json", data_files=str(d / "openai" / "train.jsonl"), cache_dir=cache)["train"]
    assert openai.column_names == ["messages"]
    assert [m["role"] for m in openai[0]["messages"]] == ["system", "assistant", "user", "assistant"]
    sharegpt = datasets.load_dataset("json", data_files=str(d / "sharegpt" / "train.jsonl"), cache_dir=cache)["train"]
    assert [t["from"] for t in sharegpt[0]["conversations"]] == ["system", "human", "gpt", "human", "gpt"]
    assert sharegpt[0]["conversations"][1]["value"] == ""
    val = datasets.load_dataset("json", data_files=str(d / "sharegpt" / "val.jsonl"), cache_dir=cache)["train"]
    assert [t["value"] for t in val[0]["conversations"][1:]] == ["Alice: hey", "yo"]
    info = json.loads((d / "sharegpt" / "dataset_info.json").read_text())
    assert info["shizu_train"]["file_name"] == "train.jsonl" and info["shizu_train"]["formatting"] == "sharegpt"


def test_pii_is_redacted_and_reported(tmp_path: Path) -> None:
    pytest.importorskip("shizu.dataset.privacy")
    chat = Chat()
    chat.say(DM, AL, 0, "mail me at alice@example.com or call +1 415 555 0132")
    chat.say(DM, ME, 1, "ok mine is mika@example.org https://discord.com/api/webhooks/123456789012345678/Xy9_abcDEF-ghiJKL0123mnoPQRstuVWX")
    ws = make_ws(tmp_path, chat, privacy={"redact_pii": True})
    result = build_dataset(ws)
    assert contents(ws)[1:] == [
        "Alice: mail me at <EMAIL> or call <PHONE>", "ok mine is <EMAIL> [link: discord.com api webhooks]",
    ]
    pii = result.report["pii"]
    assert {t: n for t, n in pii["counts"].items() if n} == {"EMAIL": 2, "PHONE": 1}
    assert pii["samples"] == ["mail me at <EMAIL> or call <PHONE>", "ok mine is <EMAIL>"]
    assert result.report["media"]["withheld"] == 1  # the webhook URL holds a secret: never catalogued
    assert json.loads((ws.dataset_dir / "media.json").read_text())["items"] == []
    for path in ws.dataset_dir.glob("*.json*"):
        assert "example.com" not in path.read_text(encoding="utf-8")


def test_zero_examples_names_the_stage(tmp_path: Path) -> None:
    chat = Chat()
    chat.say(GENERAL, BOT, 0, "beep")
    chat.say(GENERAL, ME, 1, "!help")
    ws = make_ws(tmp_path / "a", chat)
    with pytest.raises(DatasetError) as err:
        build_dataset(ws)
    assert err.value.message == "No examples: all 2 messages were filtered out (bot 1, command 1)."
    assert "command_prefixes" in err.value.hint and "--write-dropped" in err.value.hint

    chat = Chat()
    chat.say(GENERAL, AL, 0, "hello")
    chat.say(GENERAL, ME, 1, "!help")
    ws = make_ws(tmp_path / "b", chat)
    with pytest.raises(DatasetError) as err:
        build_dataset(ws)
    assert err.value.message == "No examples: all 1 of your messages (ids 1) were filtered out (command 1)."

    chat = Chat()
    chat.say(DM, ME, 0, "talking to myself")
    chat.say(GENERAL, AL, 0, "hello?")
    ws = make_ws(tmp_path / "c", chat)
    with pytest.raises(DatasetError) as err:
        build_dataset(ws)
    assert err.value.message == (
        "No examples: in all 2 conversations either you speak alone (no-context: 1) or not at all (no-persona-turn: 1)."
    )
    assert "data package holds only your own messages" in err.value.hint
    assert not ws.dataset_dir.exists() and not (ws.root / ".dataset.partial").exists()


def test_a_failed_build_keeps_the_previous_dataset(tmp_path: Path) -> None:
    chat = Chat()
    _sessions(chat, DM, 0)
    ws = make_ws(tmp_path, chat)
    build_dataset(ws)
    before = (ws.dataset_dir / "train.jsonl").read_bytes()
    ws.config_path.write_text(ws.config_path.read_text().replace("[build]", "[build]\nmax_context_tokens = 32"))
    ws = Workspace(ws.root)
    with pytest.raises(DatasetError, match="max_context_tokens"):
        build_dataset(ws)
    assert (ws.dataset_dir / "train.jsonl").read_bytes() == before


def test_me_errors_list_the_same_candidates_as_stats(tmp_path: Path) -> None:
    chat = Chat()
    for minute in range(3):
        chat.say(GENERAL, AL, minute, f"a{minute}")
    chat.say(GENERAL, BO, 5, "b")
    ws = make_ws(tmp_path / "a", chat, me=())
    with pytest.raises(DatasetError) as err:
        build_dataset(ws)
    assert err.value.message.startswith("Shizu does not know which messages are yours")
    assert err.value.hint.splitlines()[1:] == [
        '  me = ["2"]   # Alice',
        "Who could be you (in the most DMs and group chats, then the most messages; `shizu stats` shows the same):",
        "  2  Alice (alice)  3 messages",
        "  3  Bob (bob)  1 message",
    ]
    ws = make_ws(tmp_path / "b", chat, me=("777",))
    with pytest.raises(DatasetError, match=r"None of your ids \(777\) wrote a message"):
        build_dataset(ws)
    ws = make_ws(tmp_path / "c", Chat())
    with pytest.raises(DatasetError, match="is empty"):
        build_dataset(ws)
    ws = make_ws(tmp_path / "d", chat, me=("2",), privacy={"opt_out": ["2"]})
    with pytest.raises(DatasetError, match="is in \\[privacy\\] opt_out"):
        build_dataset(ws)


def test_report_counts_channels_partners_and_samples(tmp_path: Path) -> None:
    chat = Chat()
    _sessions(chat, DM, 0)
    _sessions(chat, GENERAL, 100)
    chat.say(GENERAL, BO, 102, "me too")
    chat.say(GENERAL, ME, 103, "nice")
    ws = make_ws(tmp_path, chat)
    result = build_dataset(ws)
    report = json.loads((ws.dataset_dir / "report.json").read_text())
    assert report == json.loads(json.dumps(result.report))
    assert report["examples_per_channel"] == {"DM alice": 1, "#general (Cozy)": 1}
    assert report["examples_per_partner"] == {"Alice": 2, "Bob": 1}
    assert report["examples_per_month"] == {"2024-03": 2}
    assert report["media"] == {"items": 0, "by_kind": dict.fromkeys(["gif", "image", "video", "sticker", "file", "link"], 0),
                               "emoji": 0, "withheld": 0, "dropped": {}}
    assert len(report["samples"]) == 2 and report["tokens"]["cutoff"] == 768
    assert sum(report["tokens"]["histogram"]["counts"]) == 2
    html = (ws.dataset_dir / "report.html").read_text()
    assert "Examples per conversation partner" in html and "lengths.png" in html


def test_an_unwritable_dropped_file_is_a_user_error(tmp_path: Path) -> None:
    chat = Chat()
    _sessions(chat, DM, 0)
    ws = make_ws(tmp_path, chat)
    (tmp_path / "taken").mkdir()
    with pytest.raises(DatasetError, match="Cannot write .*taken: Is a directory"):
        build_dataset(ws, write_dropped=tmp_path / "taken")


def test_the_prompt_names_the_platform_of_the_messages(tmp_path: Path) -> None:
    chat = Chat()
    chat.say(DM, AL, 0, "привет", platform="telegram")
    chat.say(DM, ME, 1, "hi", platform="telegram")
    ws = make_ws(tmp_path, chat)
    build_dataset(ws)
    [example] = examples(ws)
    assert example["messages"][0]["content"].startswith("You are Mika, chatting on Telegram in a direct message with Alice.")
