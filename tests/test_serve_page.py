"""The web page's API: streamed replies with media, the exchange log, stars, the collection, media files."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from serve_helpers import ScriptedBackend, make_site, tokenizer
from shizu.chat.layout import Place, Situation, Turn, render
from shizu.collection import ExchangeLog
from shizu.frontends.web import models
from shizu.frontends.web.app import create_app
from shizu.persona.media import MediaCatalogue, MediaItem
from shizu.chat.template import render_prompt

NOW = datetime(2024, 3, 2, 21, 14, tzinfo=UTC)
CAT = "https://tenor.com/view/cat-vibing-gif-18376235"
PIC = "https://cdn.example.org/pics/sunset.png"


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(models, "current_time", lambda: NOW)


def events(body: str) -> list[tuple[str, dict]]:
    out = []
    for block in body.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.split("\n"))
        out.append((lines["event"], json.loads(lines["data"])))
    return out


def catalogue(tmp_path: Path) -> MediaCatalogue:
    photo = tmp_path / "media" / "IMG_0001.jpg"
    photo.parent.mkdir()
    photo.write_bytes(b"\xff\xd8 a jpeg")
    return MediaCatalogue([
        MediaItem("gif", "cat vibing", CAT),
        MediaItem("image", "IMG 0001", "https://cdn.discordapp.com/attachments/1/2/IMG_0001.jpg?ex=1", str(photo)),
        MediaItem("image", "sunset", PIC),
    ])


def test_a_reply_streams_message_by_message_with_its_media(tmp_path: Path) -> None:
    backend = ScriptedBackend([["omg [gif: cat vibin]\nlook [image: IMG 0001] and [image: sunset]", "\nhttps://made.up/x lol<|im_end|>"]])
    site = make_site(tmp_path, backend, catalogue=catalogue(tmp_path))
    history = [
        {"speaker": "Sam", "text": "hey mika", "time": (NOW - timedelta(minutes=3)).isoformat()},
        {"speaker": "Mika", "text": "heyy", "persona": True, "time": (NOW - timedelta(minutes=2)).isoformat()},
        {"speaker": "Sam", "text": "send pics", "time": (NOW - timedelta(minutes=1)).isoformat()},
    ]
    with TestClient(create_app(site)) as http:
        response = http.post("/api/chat", json={"place": "#general", "history": history})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    got = events(response.text)
    ids = [data.pop("id") for name, data in got if name == "message"]
    assert len(set(ids)) == 3 and all(i.startswith("web-") for i in ids)
    assert got == [
        ("message", {"text": f"omg {CAT}", "body": "omg", "media": [
            {"kind": "gif", "label": "cat vibing", "url": CAT, "src": CAT, "show": "link"}]}),
        ("message", {
            "text": f"look https://cdn.discordapp.com/attachments/1/2/IMG_0001.jpg?ex=1 and {PIC}", "body": "look and",
            "media": [
                {"kind": "image", "label": "IMG 0001", "url": "https://cdn.discordapp.com/attachments/1/2/IMG_0001.jpg?ex=1",
                 "src": "/media/1", "show": "image"},
                {"kind": "image", "label": "sunset", "url": PIC, "src": PIC, "show": "image"},
            ]}),
        ("message", {"text": "lol", "body": "lol", "media": []}),
        ("done", {"stop": "end-of-turn", "messages": 3}),
    ]
    turns = [Turn("Sam", False, ("hey mika",)), Turn("Mika", True, ("heyy",)), Turn("Sam", False, ("send pics",))]
    expected = render_prompt(tokenizer(), render(Situation("Mika", Place(kind="guild-text", channel="general"), NOW, ("Sam",)), turns))
    assert backend.prompts == [expected]


def test_a_reply_is_logged_and_a_star_puts_it_in_the_collection(tmp_path: Path) -> None:
    site = make_site(tmp_path, ScriptedBackend([["so **true**\nbrb"]]))
    history = [{"speaker": "Sam", "text": "pizza > sushi", "time": NOW.isoformat()}]
    with TestClient(create_app(site)) as http:
        sent = events(http.post("/api/chat", json={"history": history}).text)
        first = sent[0][1]["id"]
        starred = http.post("/api/star", json={"message_id": first, "by": "Sam"}).json()
        twice = http.post("/api/star", json={"message_id": sent[1][1]["id"], "by": "Alex"}).json()
        unknown = http.post("/api/star", json={"message_id": "web-nope-0", "by": "Sam"})
        gallery = http.get("/api/collection").json()
    assert starred == {"starred": True, "added": True}
    assert twice == {"starred": True, "added": False}  # the same exchange: the first star counts
    assert unknown.status_code == 404
    assert unknown.json()["error"]["message"] == "No persona message 'web-nope-0' in the exchange log"
    with site.ws.open_store() as store:
        [item] = ExchangeLog(store).collection()
    exchange = item.exchange
    assert (exchange.platform, exchange.place, exchange.trigger_author, exchange.trigger_text) == (
        "web", "a direct message (web page)", "Sam", "pizza > sushi")
    assert [(m.ids, m.text) for m in exchange.messages] == [((first,), "so **true**"), ((sent[1][1]["id"],), "brb")]
    assert (exchange.persona, exchange.backend, exchange.stop, item.by_name) == ("Mika", "scripted test backend", "end", "Sam")
    assert gallery["title"] == "Mika Messages" and gallery["count"] == 1
    assert "so <strong>true</strong>" in gallery["html"] and "pizza &gt; sushi" in gallery["html"]
    assert ".shizu-gallery" in gallery["css"]


def test_media_files_come_only_from_the_catalogue(tmp_path: Path) -> None:
    site = make_site(tmp_path, ScriptedBackend([["x"]]), catalogue=catalogue(tmp_path))
    with TestClient(create_app(site)) as http:
        local = http.get("/media/1")
        remote_only = http.get("/media/0")
        outside = http.get("/media/7")
        negative = http.get("/media/-1")
    assert local.status_code == 200 and local.content == b"\xff\xd8 a jpeg"
    assert local.headers["content-type"] == "image/jpeg"
    assert [r.status_code for r in (remote_only, outside, negative)] == [404, 404, 404]
    assert remote_only.json()["error"]["message"] == "No local file for media item 0"


def test_the_page_history_is_limited_too(tmp_path: Path) -> None:
    backend = ScriptedBackend([["x"]])
    site = make_site(tmp_path, backend, max_messages=2)
    history = [{"speaker": "Sam", "text": str(i), "time": NOW.isoformat()} for i in range(3)]
    with TestClient(create_app(site)) as http:
        response = http.post("/api/chat", json={"history": history})
        empty = http.post("/api/chat", json={"history": []})
    assert response.status_code == 400
    assert response.json()["error"] == {
        "message": "Too many messages: 3; this server accepts at most 2 per request ([serve] max_messages in shizu.toml)."
                   " Send only the recent part of the conversation.",
        "type": "invalid_request_error", "param": "history", "code": None,
    }
    assert empty.json()["error"]["message"] == "history: List should have at least 1 item after validation, not 0"
    assert backend.prompts == []


@pytest.mark.parametrize("page", ["/", "/collection", "/blind"])
def test_pages_and_their_assets_are_served(tmp_path: Path, page: str) -> None:
    site = make_site(tmp_path, ScriptedBackend([["x"]]), key="k")
    with TestClient(create_app(site)) as http:
        html = http.get(page)
        css = http.get("/static/shizu.css")
        script = http.get("/static/common.js")
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert '<script src="/static/common.js"></script>' in html.text
    assert css.status_code == 200 and script.status_code == 200
