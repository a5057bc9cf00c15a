"""The OpenAI-compatible backend against a local test server: the prompt it gets is Shizu's render."""

from __future__ import annotations

from pathlib import Path

import pytest

from clock import NOW
from persona_helpers import chatml_tokenizer, completion_server, make_workspace, save_tiny_run
from shizu.chat.layout import Place, Situation, Turn, render
from shizu.chat.template import render_prompt
from shizu.config import GenerationConfig
from shizu.errors import ShizuError
from shizu.persona import LiveMessage, Persona
from shizu.persona.backends.remote import RemoteBackend

GENERAL = Place(kind="guild-text", channel="general", server="Cozy Corner")


@pytest.fixture(scope="module")
def tokenizer_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tok")
    chatml_tokenizer().save_pretrained(folder)
    return folder


def test_persona_over_a_server_gets_the_shared_render_and_streams_the_reply(tokenizer_dir: Path) -> None:
    history = [LiveMessage("Alice", "did you see the trailer", NOW), LiveMessage("Bob", "so good", NOW)]
    with completion_server([["omg", " yes\nim SO", " hyped\nBob: same"]]) as server:
        backend = RemoteBackend(server.url + "/v1/", tokenizer_dir, api_key="sk-test")
        mika = Persona("Mika", backend, generation=GenerationConfig(temperature=0.7, top_p=0.9, repetition_penalty=1.2, max_new_tokens=50))
        reply = mika.reply(history, GENERAL, now=NOW)
    situation = Situation("Mika", GENERAL, NOW, ("Alice", "Bob"))
    turns = [Turn("Alice", False, ("did you see the trailer",)), Turn("Bob", False, ("so good",))]
    expected_prompt = render_prompt(chatml_tokenizer(), render(situation, turns))
    assert reply.texts == ["omg yes", "im SO hyped"]
    assert reply.stop == "other-speaker"
    [request] = server.requests
    assert request == {
        "model": "tiny-lora",  # the server's first model, asked through /v1/models
        "prompt": expected_prompt,
        "max_tokens": 50,
        "temperature": 0.7,
        "top_p": 0.9,
        "stop": ["<|im_end|>", "<|im_start|>", "<|endoftext|>", "<|eot_id|>", "<|start_header_id|>", "</s>", "\nAlice:", "\nBob:"],
        "stream": True,
        "repetition_penalty": 1.2,
        "repeat_penalty": 1.2,
    }
    assert server.headers[0]["Authorization"] == "Bearer sk-test"


def test_a_server_that_does_not_stream_works_too(tokenizer_dir: Path) -> None:
    with completion_server([["hey", " there"]], streams=False) as server:
        backend = RemoteBackend(server.url, tokenizer_dir, model="mika")
        chunks = list(backend.stream("prompt", ["<|im_end|>"], GenerationConfig(repetition_penalty=1.0)))
    assert chunks == ["hey there"]
    assert "repetition_penalty" not in server.requests[0] and server.requests[0]["model"] == "mika"


def test_errors_name_the_server_and_the_fix(tokenizer_dir: Path) -> None:
    with completion_server([], models=[]) as server:
        with pytest.raises(ShizuError) as info:
            RemoteBackend(server.url, tokenizer_dir).prepare()
        assert info.value.message == f"The server at {server.url} serves no model"
        with pytest.raises(ShizuError) as info:
            list(RemoteBackend(server.url + "/nope", tokenizer_dir, model="m").stream("p", [], GenerationConfig()))
        assert info.value.message.startswith(f"The server at {server.url}/nope answered /v1/completions with HTTP 404")
        url = server.url
    with pytest.raises(ShizuError) as info:
        list(RemoteBackend(url, tokenizer_dir, model="m").stream("p", [], GenerationConfig()))
    assert info.value.message.startswith(f"Cannot reach the model server at {url}:")
    assert info.value.hint is not None and 'server = ""' in info.value.hint


def test_remote_servers_are_announced(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, generation={"server": "https://gpu.example.net/v1"})
    save_tiny_run(ws)
    said: list[str] = []
    assert isinstance(Persona.load(ws, say=said.append).backend, RemoteBackend)
    assert said[0] == "prompts go to https://gpu.example.net (a server elsewhere: your conversations leave this machine)"


def test_load_uses_the_configured_server_and_the_runs_tokenizer(tmp_path: Path) -> None:
    with completion_server([["hi!"]]) as server:
        ws = make_workspace(tmp_path, generation={"server": server.url, "server_model": "mika-lora"})
        save_tiny_run(ws)
        said: list[str] = []
        mika = Persona.load(ws, say=said.append)
        assert mika.reply([LiveMessage("Alice", "hey", NOW)], Place(kind="dm"), now=NOW).texts == ["hi!"]
    assert server.requests[0]["model"] == "mika-lora"
    assert server.requests[0]["prompt"].startswith("<|im_start|>system\nYou are Mika, chatting on Discord in a direct message with Alice.")
    assert said == [
        f"prompts go to {server.url} (a server on this machine)",
        "model: tiny-llama + run 'tiny'",
    ]
