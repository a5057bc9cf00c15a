"""Replaying held-out contexts through the persona runtime, and checking the prompt is the training render."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path

from persona_helpers import chatml_tokenizer
from shizu.chat.layout import Place, Situation, system_prompt
from shizu.chat.template import render_prompt
from shizu.config import GenerationConfig
from shizu.eval.heldout import read_heldout
from shizu.eval.replay import replay
from shizu.persona import Persona

STAMP = "2024-03-02T21:14:05Z"


class Echo:
    """A backend that answers each prompt with a canned reply and keeps the prompts."""

    label = "echo"

    def __init__(self) -> None:
        self.tokenizer = chatml_tokenizer()
        self.prompts: list[str] = []

    def prepare(self) -> None:
        pass

    def stream(self, prompt: str, stop: Sequence[str], settings: GenerationConfig) -> Iterator[str]:
        self.prompts.append(prompt)
        yield f"reply {len(self.prompts)}<|im_end|>"


def val_file(tmp_path: Path) -> Path:
    from datetime import datetime

    place = Place(kind="guild-text", channel="general", server="Cozy")
    messages = [
        {"role": "system", "content": system_prompt(Situation("Mika", place, datetime.fromisoformat(STAMP), ("Alice", "Bob")))},
        {"role": "user", "content": "Alice: hi\nBob: yo"}, {"role": "assistant", "content": "hii"},
        {"role": "user", "content": "Alice: how are u"}, {"role": "assistant", "content": "good\nu?"},
    ]
    row = {"id": "1:2:0", "conversation": "1:2", "split": "val", "channel_id": "1", "timestamp": STAMP, "messages": messages, "message_ids": []}
    path = tmp_path / "val.jsonl"
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    return path


def test_each_context_is_answered_from_exactly_the_training_render(tmp_path: Path) -> None:
    _, turns = read_heldout(val_file(tmp_path), "UTC")
    backend = Echo()
    ticks: list[int] = []
    generated = replay(Persona("Mika", backend), turns, advance=lambda: ticks.append(1))
    assert [g.reply.texts for g in generated] == [["reply 1"], ["reply 2"]]
    assert [g.matches_training for g in generated] == [True, True]
    assert backend.prompts == [render_prompt(backend.tokenizer, turn.context) for turn in turns]
    assert len(ticks) == 2


def test_a_persona_whose_prompt_differs_from_training_is_caught(tmp_path: Path) -> None:
    _, turns = read_heldout(val_file(tmp_path), "UTC")
    generated = replay(Persona("Mika Renamed", Echo()), turns)
    assert [g.matches_training for g in generated] == [False, False]
