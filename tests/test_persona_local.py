"""The transformers + PEFT backend: a tiny random Llama and a fresh adapter, through the full interface.

The reply must be exactly what ``model.generate`` writes for the shared prompt (greedy), cut by
the guard; the adapter must be applied, and ``--base-only`` must leave it out.
"""

from __future__ import annotations

import pytest

from clock import NOW
from persona_helpers import make_workspace, save_tiny_run
from shizu.chat.layout import Place
from shizu.persona import LiveMessage, Persona, Reply
from shizu.persona.backends.local import LocalBackend
from shizu.persona.guards import Guard, stop_strings
from shizu.workspace import Workspace

HISTORY = [LiveMessage("Alice", "did you see the trailer", NOW), LiveMessage("Bob", "it looks so good", NOW)]
PLACE = Place(kind="guild-text", channel="general")


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws = make_workspace(tmp_path_factory.mktemp("ws"), generation={"temperature": 0, "max_new_tokens": 40})
    save_tiny_run(ws)
    return ws


def reference(ws: Workspace, reply: Reply, *, adapter: bool) -> tuple[str, str | None]:
    """What greedy ``generate`` writes for the reply's prompt, cut by a fresh guard."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(ws.runs_dir / "tiny")
    model = AutoModelForCausalLM.from_pretrained(ws.root / "base")
    if adapter:
        model = PeftModel.from_pretrained(model, ws.runs_dir / "tiny")
    inputs = tokenizer(reply.prompt, return_tensors="pt", add_special_tokens=False)
    with torch.inference_mode():
        out = model.eval().generate(
            **inputs, max_new_tokens=40, do_sample=False, repetition_penalty=1.1,
            eos_token_id=tokenizer.convert_tokens_to_ids("<|im_end|>"), pad_token_id=tokenizer.pad_token_id,
        )
    text = tokenizer.decode(out[0, inputs["input_ids"].shape[1]:], skip_special_tokens=False)
    guard = Guard(stop_strings(tokenizer, "<|im_end|>", reply.situation.participants), reply.situation.participants)
    released = guard.feed(text) + guard.finish()
    return released.rstrip(), guard.stopped


def test_a_trained_run_answers_through_the_full_interface(ws: Workspace) -> None:
    mika = Persona.load(ws)
    assert isinstance(mika.backend, LocalBackend)
    reply = mika.reply(HISTORY, PLACE, now=NOW)
    assert reply.prompt.startswith("<|im_start|>system\nYou are Mika, chatting on Discord in #general with Alice and Bob.")
    assert reply.prompt.endswith("Alice: did you see the trailer\nBob: it looks so good<|im_end|>\n<|im_start|>assistant\n")
    assert reply.messages  # a random model still writes something
    assert (reply.raw, reply.stop if reply.stop not in ("end", "token-limit") else None) == reference(ws, reply, adapter=True)
    assert mika.backend.label == f"base + adapter {ws.runs_dir / 'tiny'} (transformers, cpu)"


def test_base_only_leaves_the_adapter_out(ws: Workspace) -> None:
    tuned = Persona.load(ws).reply(HISTORY, PLACE, now=NOW)
    base = Persona.load(ws, base_only=True).reply(HISTORY, PLACE, now=NOW)
    assert base.prompt == tuned.prompt
    assert (base.raw, base.stop if base.stop not in ("end", "token-limit") else None) == reference(ws, base, adapter=False)
    assert base.generated != tuned.generated


def test_the_adapter_can_be_switched_off_on_the_loaded_weights(ws: Workspace) -> None:
    mika = Persona.load(ws)
    twin = Persona(mika.name, mika.backend.without_adapter(), generation=mika.generation)
    assert twin.reply(HISTORY, PLACE, now=NOW).generated == Persona.load(ws, base_only=True).reply(HISTORY, PLACE, now=NOW).generated
    assert mika.reply(HISTORY, PLACE, now=NOW).generated == Persona.load(ws).reply(HISTORY, PLACE, now=NOW).generated


def test_closing_the_stream_early_stops_generation(ws: Workspace) -> None:
    mika = Persona.load(ws)
    chunks = mika.backend.stream(mika.prompt(HISTORY, PLACE, now=NOW).text, [], mika.generation)
    first = next(chunks)
    chunks.close()  # joins the worker thread: it must stop instead of writing all 40 tokens
    assert first
    assert mika.reply(HISTORY, PLACE, now=NOW).generated  # the model is free again
