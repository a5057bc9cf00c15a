"""The OpenAI-compatible API, driven by the official ``openai`` client against a live server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import httpx2
import openai
import pytest

from clock import NOW
from dataset_helpers import T0
from persona_helpers import ScriptedBackend, tokenizer
from serve_helpers import MODEL, live_server, make_site, memory_site
from shizu.chat.layout import Place, Situation, Turn, render
from shizu.chat.template import render_prompt
from shizu.frontends.web import models

pytestmark = pytest.mark.usefixtures("web_clock")  # the page and the API see the time as NOW


def client(url: str, key: str = "none") -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0, timeout=30)


def wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def prompt(place: Place, participants: tuple[str, ...], turns: list[Turn]) -> str:
    return render_prompt(tokenizer(), render(Situation("Mika", place, NOW, participants), turns))


def test_models_lists_the_served_run(tmp_path: Path) -> None:
    with live_server(make_site(tmp_path, ScriptedBackend([["hi"]]))) as url:
        listed = client(url).models.list()
        one = client(url).models.retrieve(MODEL)
    assert [(m.id, m.object, m.created, m.owned_by) for m in listed.data] == [(MODEL, "model", 1_700_000_000, "shizu")]
    assert one.id == MODEL


def test_a_reply_joins_the_burst_and_lists_it(tmp_path: Path) -> None:
    backend = ScriptedBackend([["hey!\nhow", " are u<|im_end|>never sent"]])
    with live_server(make_site(tmp_path, backend)) as url:
        reply = client(url).chat.completions.create(
            model=MODEL,
            messages=[
                {"role": "system", "content": "You are a helpful assistant."},
                {"role": "user", "content": "are you coming tonight?", "name": "Alice"},
                {"role": "assistant", "content": "Mika: maybe\nwho else is there"},
                {"role": "user", "content": "Bob: me!\nAlice: and me"},
            ],
        )
    choice = reply.choices[0]
    assert choice.message.content == "hey!\nhow are u"
    assert choice.message.model_extra["burst"] == ["hey!", "how are u"]
    assert choice.finish_reason == "stop"
    assert reply.model == MODEL and reply.object == "chat.completion"
    expected = prompt(Place(kind="dm"), ("Alice", "Bob"), [
        Turn("Alice", False, ("are you coming tonight?",)),
        Turn("Mika", True, ("maybe", "who else is there")),
        Turn("Bob", False, ("me!",)),
        Turn("Alice", False, ("and me",)),
    ])
    assert backend.prompts == [expected]
    assert reply.usage.prompt_tokens == len(tokenizer().encode(expected, add_special_tokens=False))
    written = "hey!\nhow are u<|im_end|>never sent"  # everything the model wrote counts, the part cut too
    assert reply.usage.completion_tokens == len(tokenizer().encode(written, add_special_tokens=False))


def test_streaming_sends_each_finished_message_as_a_chunk(tmp_path: Path) -> None:
    backend = ScriptedBackend([["omg", " yes\nsee", " u\nlater", "<|im_end|>"]])
    with live_server(make_site(tmp_path, backend)) as url:
        stream = client(url).chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "hi"}], stream=True, stream_options={"include_usage": True},
        )
        chunks = list(stream)
    deltas = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content is not None]
    assert deltas == ["omg yes", "\nsee u", "\nlater"]
    assert chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    written = len(tokenizer().encode("omg yes\nsee u\nlater<|im_end|>", add_special_tokens=False))
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == written
    assert backend.prompts == [prompt(Place(kind="dm"), ("Friend",), [Turn("Friend", False, ("hi",))])]


def test_request_settings_and_place_reach_the_persona(tmp_path: Path) -> None:
    backend = ScriptedBackend([["a b c d"]])
    with live_server(make_site(tmp_path, backend, max_tokens=64)) as url:
        reply = client(url).chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "yo", "name": "Sam"}], max_tokens=3, temperature=0.5,
            top_p=0.9, extra_body={"place": "#general", "participants": ["Alice"]},
        )
    settings = backend.settings[0]
    assert (settings.max_new_tokens, settings.temperature, settings.top_p) == (3, 0.5, 0.9)
    assert reply.choices[0].finish_reason == "length"
    assert backend.prompts == [prompt(Place(kind="guild-text", channel="general"), ("Sam", "Alice"), [Turn("Sam", False, ("yo",))])]


@pytest.mark.parametrize(
    ("request_fields", "message"),
    [
        (
            {"messages": [{"role": "user", "content": "hi"}] * 4},
            "Too many messages: 4; this server accepts at most 3 per request ([serve] max_messages in shizu.toml)."
            " Send only the recent part of the conversation.",
        ),
        (
            {"messages": [{"role": "user", "content": "x" * 101}]},
            "The messages are too long: 101 characters; this server accepts at most 100 per request"
            " ([serve] max_chars in shizu.toml). Send only the recent part of the conversation.",
        ),
        (
            {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 65},
            "max_tokens = 65 is above this server's limit of 64 ([serve] max_tokens in shizu.toml)",
        ),
        (
            {"messages": [{"role": "user", "content": "hi"}], "n": 2},
            "n = 2: the persona writes one reply per request; use n = 1",
        ),
        (
            {"messages": [{"role": "tool", "content": "42", "tool_call_id": "x"}]},
            "messages[0]: role 'tool' is not supported; use user, assistant or system",
        ),
        (
            {"messages": [{"role": "system", "content": "be nice"}]},
            "messages: nothing to answer; send at least one user message",
        ),
        (
            {"messages": [{"role": "user", "content": "hi"}], "extra_body": {"place": "general"}},
            "place must be \"dm\" or \"#channel\" (got 'general')",
        ),
        (
            {"messages": [{"role": "user", "content": "hi"}], "temperature": 3},
            "temperature: Input should be less than or equal to 2",
        ),
    ],
)
def test_requests_outside_the_limits_are_refused(tmp_path: Path, request_fields: dict, message: str) -> None:
    backend = ScriptedBackend([["never"]])
    with live_server(make_site(tmp_path, backend, max_messages=3, max_chars=100, max_tokens=64)) as url:
        with pytest.raises(openai.BadRequestError) as caught:
            client(url).chat.completions.create(model=MODEL, **request_fields)
    assert caught.value.status_code == 400
    assert caught.value.body["message"] == message
    assert backend.prompts == []


def test_an_unknown_model_is_404(tmp_path: Path) -> None:
    with live_server(make_site(tmp_path, ScriptedBackend([["x"]]))) as url:
        with pytest.raises(openai.NotFoundError) as caught:
            client(url).chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert caught.value.body["message"] == "The model 'gpt-4o' does not exist on this server; it serves: tiny"
    assert caught.value.body["code"] == "model_not_found"


def test_the_api_key_is_required_when_configured(tmp_path: Path) -> None:
    site = make_site(tmp_path, ScriptedBackend([["ok"]]), key="s3cret")
    with live_server(site) as url:
        with pytest.raises(openai.AuthenticationError) as caught:
            client(url, key="wrong").models.list()
        reply = client(url, key="s3cret").chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}])
        page = httpx2.get(f"{url}/", timeout=10)
        bare = httpx2.get(f"{url}/api/info", timeout=10)
        key_as_cookie = httpx2.get(f"{url}/api/info", cookies={"shizu_key": "s3cret"}, timeout=10)
        login = httpx2.post(f"{url}/api/login", json={"key": "s3cret"}, timeout=10)
        cookie = httpx2.get(f"{url}/api/info", cookies={"shizu_key": login.cookies["shizu_key"]}, timeout=10)
        media = httpx2.get(f"{url}/media/0", timeout=10)
    assert caught.value.status_code == 401
    assert caught.value.body["code"] == "invalid_api_key"
    assert reply.choices[0].message.content == "ok"
    assert page.status_code == 200 and "<title>Shizu</title>" in page.text
    assert bare.status_code == 401 and bare.headers["www-authenticate"] == "Bearer"
    assert key_as_cookie.status_code == 401  # the cookie holds a token the login derives from the key, not the key
    assert "s3cret" not in login.headers["set-cookie"]
    assert cookie.json() == {"persona": "Mika", "models": [MODEL], "speaker": "Friend"}
    assert media.status_code == 401


def test_twenty_clients_at_once_are_all_answered_one_generation_at_a_time(tmp_path: Path) -> None:
    backend = ScriptedBackend([["hello", " there\nfriend"]], delay=0.005)
    with live_server(make_site(tmp_path, backend)) as url:
        def ask(i: int) -> tuple[str | None, list[str]]:
            reply = client(url).chat.completions.create(
                model=MODEL, messages=[{"role": "user", "content": f"question {i}", "name": f"User{i}"}], stream=i % 2 == 0,
            )
            if i % 2:
                return reply.choices[0].message.content, reply.choices[0].message.model_extra["burst"]
            text = "".join(c.choices[0].delta.content or "" for c in reply if c.choices)
            return text, text.split("\n")

        with ThreadPoolExecutor(20) as pool:
            results = list(pool.map(ask, range(20)))
    assert results == [("hello there\nfriend", ["hello there", "friend"])] * 20
    assert len(backend.prompts) == 20
    assert backend.most_at_once == 1
    assert sorted(p.split("<|im_start|>user\n")[1].split("<|im_end|>")[0] for p in backend.prompts) == sorted(
        f"User{i}: question {i}" for i in range(20)
    )


def test_a_full_queue_answers_503(tmp_path: Path) -> None:
    gate = threading.Event()
    backend = ScriptedBackend([["ok"]], gate=gate)
    site = make_site(tmp_path, backend, max_queue=1)

    def ask() -> str | None:
        return client(url).chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}]).choices[0].message.content

    with live_server(site) as url, ThreadPoolExecutor(2) as pool:
        running = pool.submit(ask)
        wait_for(lambda: len(backend.prompts) == 1)
        waiting = pool.submit(ask)
        wait_for(lambda: site.default.queue.waiting == 1)
        with pytest.raises(openai.InternalServerError) as caught:
            ask()
        gate.set()
        answered = [running.result(), waiting.result()]
    assert caught.value.status_code == 503
    assert caught.value.body["message"] == "The persona is busy (its queue is full: 1 waiting, [serve] max_queue); try again in a moment"
    assert answered == ["ok", "ok"]


def test_a_server_error_mid_stream_is_an_error_event(tmp_path: Path) -> None:
    class Failing(ScriptedBackend):
        def stream(self, prompt, stop, settings):  # type: ignore[no-untyped-def]
            yield "first line\n"
            raise RuntimeError("the GPU caught fire")

    with live_server(make_site(tmp_path, Failing([["unused"]]))) as url:
        response = httpx2.post(
            f"{url}/v1/chat/completions", json={"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "stream": True},
            timeout=10,
        )
    events = [line[len("data: "):] for line in response.text.split("\n") if line.startswith("data: ")]
    assert json.loads(events[0])["choices"][0]["delta"] == {"role": "assistant", "content": "first line"}
    assert json.loads(events[1]) == {"error": {
        "message": "The persona failed to reply (RuntimeError: the GPU caught fire); the server log has the details",
        "type": "server_error", "param": None, "code": None,
    }}
    assert events[2:] == ["[DONE]"]


SECRET = "its 4711 dont tell anyone"
DM_ALICE = {"kind": "dm", "channel_id": "10"}


def test_the_api_recalls_only_for_the_place_it_names_and_returns_what_it_recalled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(models, "current_time", lambda: T0 + timedelta(days=6))
    backend = ScriptedBackend([["ok"]])
    site = memory_site(tmp_path / "ws", backend, settings="[memory]\nremember_own_replies = true\n")
    ask = [{"role": "user", "name": "Alice", "content": "the locker code again?"}]
    elsewhere = [{"kind": "dm", "channel_id": "11"}, {"kind": "guild-text", "channel_id": "20", "server_id": "5"}, None]
    with live_server(site) as url:
        api = client(url)
        alice = api.chat.completions.create(model=MODEL, messages=ask, extra_body={"where": DM_ALICE})
        others = [api.chat.completions.create(model=MODEL, messages=ask, extra_body={"where": where}) for where in elsewhere]
        chunks = list(api.chat.completions.create(model=MODEL, messages=ask, stream=True, extra_body={"where": DM_ALICE}))
        with pytest.raises(openai.BadRequestError):
            api.chat.completions.create(model=MODEL, messages=ask, extra_body={"where": {"kind": "server", "channel_id": "1"}})
        off = api.chat.completions.create(model=MODEL, messages=ask, extra_body={"where": DM_ALICE, "memory": False})  # last: after every remember
    assert alice.choices[0].message.content == "ok"
    [secret, again] = alice.model_extra["memories"]
    assert secret == {
        "id": secret["id"], "time": "2024-03-02T21:01:00+00:00", "place": "a direct message with Alice", "origin": "history",
        "lines": [{"speaker": "Alice", "text": "whats your locker code"}, {"speaker": "Mika", "text": SECRET}],
    }
    assert again["lines"][-1] == {"speaker": "Mika", "text": "4711 lol"}
    assert SECRET in backend.prompts[0]
    for reply, prompt in zip([*others, off], [*backend.prompts[1:4], backend.prompts[5]]):
        assert "4711" not in prompt and "a direct message with Alice" not in {m["place"] for m in reply.model_extra["memories"]}
    assert [m["place"] for m in others[0].model_extra["memories"]] == ["a direct message with Bob"]  # Bob's own DM, in scope
    assert others[2].model_extra["memories"] == off.model_extra["memories"] == []
    assert [c.model_extra.get("memories") for c in chunks if c.choices and c.choices[0].finish_reason] == [alice.model_extra["memories"]]
    # the replies given a place were remembered there (remember_own_replies; the same reply to the same words once)
    memory = site.default.persona.memory
    assert memory is not None
    remembered = [m for _, m in memory.index.entries(memory.index.select()) if m.origin == "bot"]
    assert sorted(m.where.channel_id for m in remembered) == ["10", "11", "20"]
