"""The real embedded SmolLM2-135M-Instruct, base model only: it answers, and never as someone else."""

from __future__ import annotations

from pathlib import Path

import pytest

from clock import NOW
from persona_helpers import make_workspace
from shizu.chat.layout import Place
from shizu.persona import LiveMessage, Persona, self_talk


@pytest.mark.slow
def test_smollm2_base_answers_in_turn(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, generation={"temperature": 0, "max_new_tokens": 48})
    mika = Persona.load(ws, base_only=True)
    history = [
        LiveMessage("Alice", "hey mika!! are you coming tonight?", NOW),
        LiveMessage("Bob", "she better be", NOW),
    ]
    reply = mika.reply(history, Place(kind="guild-text", channel="general"), now=NOW)
    assert reply.messages
    assert not self_talk("\n".join(reply.texts), reply.situation.participants)
    assert all("<|" not in text for text in reply.texts)
    assert reply.prompt.endswith("Alice: hey mika!! are you coming tonight?\nBob: she better be<|im_end|>\n<|im_start|>assistant\n")
