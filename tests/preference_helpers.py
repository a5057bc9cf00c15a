"""Helpers for the preference tests: a workspace whose train.jsonl and store agree, and a tiny parent run.

Every persona turn of :data:`WINDOWS` is one stored message of Mika's (the user lines are Alice's
and Bob's), so ``message_ids`` point at real rows; :data:`REACTIONS` puts reactions on some of
them. The parent run is :func:`persona_helpers.save_tiny_run`'s (a random LoRA adapter on a random
2-layer Llama, byte-level ChatML tokenizer) with the base's real weights hash, as ``shizu train``
records it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from persona_helpers import make_workspace, save_tiny_run
from shizu.chat.layout import Place, Situation, system_prompt
from shizu.message import Author, Channel, Message, Reaction
from shizu.train.base_model import resolve_base
from shizu.workspace import Workspace

ME = Author(id="1", name="mika", display_name="Mika")
AL = Author(id="2", name="alice", display_name="Alice")
BO = Author(id="3", name="bob", display_name="Bob")
SPEAKERS = {"Alice": AL, "Bob": BO}
GENERAL = Channel(id="20", name="general", kind="guild-text", guild_id="5", guild_name="Cozy")
PLACE = Place(kind="guild-text", channel="general", server="Cozy")
T0 = datetime(2024, 3, 2, 21, 0, tzinfo=UTC)

# Each window: its turns, user turns as "Name: text" lines, persona turns as plain text.
WINDOWS = [
    ["Alice: did you see the trailer", "omg yes", "Bob: it looks so good", "ok brb"],
    ["Bob: wanna play tonight", "sure"],
    ["Alice: how was the exam", "dont ask"],
    ["Bob: look at this", "lmao no way"],
]
REACTIONS = {"omg yes": (Reaction(emoji="😂", count=1), Reaction(emoji="🔥", count=3)), "sure": (Reaction(emoji="👎", count=2),)}


def train_rows() -> tuple[list[dict], list[Message]]:
    """The rows of train.jsonl and the stored messages behind them."""
    rows, messages = [], []
    for w, turns in enumerate(WINDOWS):
        time = T0 + timedelta(hours=w)
        names = tuple(dict.fromkeys(t.split(": ")[0] for t in turns if ": " in t))
        chat = [{"role": "system", "content": system_prompt(Situation("Mika", PLACE, time, names))}]
        ids: list[list[str]] = [[]]
        for t, text in enumerate(turns):
            message_id = f"{w}{t:02d}"
            speaker, sep, said = text.partition(": ")
            author = SPEAKERS[speaker] if sep else ME
            messages.append(Message(
                id=message_id, channel=GENERAL, author=author, timestamp=time, content=said if sep else text,
                reactions=REACTIONS.get(text, ()),
            ))
            chat.append({"role": "user" if sep else "assistant", "content": text})
            ids.append([message_id])
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ")
        rows.append({
            "id": f"20:{w}:0", "conversation": f"20:{w}", "split": "train", "channel_id": "20", "timestamp": stamp, "persona": "Mika",
            "place": {"kind": "guild-text", "channel": "general", "server": "Cozy", "parent": "", "platform": "discord"},
            "participants": list(names), "messages": chat, "message_ids": ids,
        })
    return rows, messages


def preference_workspace(root: Path, *, opt_out: tuple[str, ...] = (), parent: bool = True) -> Workspace:
    """A workspace with train.jsonl, val.jsonl (one window), the store behind them and (``parent``) a tiny run ``sft``."""
    ws = make_workspace(root)
    if opt_out:
        text = ws.config_path.read_text(encoding="utf-8")
        ws.config_path.write_text(text.replace("opt_out = []", f"opt_out = {json.dumps(list(opt_out))}", 1), encoding="utf-8")
        ws = Workspace(root)
    rows, messages = train_rows()
    ws.dataset_dir.mkdir()
    (ws.dataset_dir / "train.jsonl").write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    (ws.dataset_dir / "val.jsonl").write_text(json.dumps(rows[0], ensure_ascii=False) + "\n", encoding="utf-8")
    with ws.open_store() as store:
        store.write_source(messages, path="t.json", format="test", sha256="abc", quality=2)
    if parent:
        save_parent(ws, "sft")
    return ws


def save_parent(ws: Workspace, name: str) -> Path:
    """:func:`save_tiny_run` with the base's weights hash recorded as ``shizu train`` records it."""
    run = save_tiny_run(ws, name, base=ws.root / "base" if (ws.root / "base").is_dir() else None)
    meta = json.loads((run / "meta.json").read_text(encoding="utf-8"))
    meta["base"]["sha256"] = resolve_base(meta["base"]["path"]).sha256
    (run / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    return run
