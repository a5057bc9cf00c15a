"""The web page's API: streamed replies with media, the exchange log, stars, the collection, media files."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from clock import NOW
from persona_helpers import ScriptedBackend, tokenizer
from serve_helpers import make_site, web_client
from shizu.chat.layout import Place, Situation, Turn, render
from shizu.chat.media import MediaItem
from shizu.chat.template import render_prompt
from shizu.collection import ExchangeLog
from shizu.persona.media import MediaCatalogue
from shizu.store.feedback import FeedbackTable

CAT = "https://tenor.com/view/cat-vibing-gif-18376235"
PIC = "https://cdn.example.org/pics/sunset.png"


pytestmark = pytest.mark.usefixtures("web_clock")  # the page and the API see the time as NOW


def events(body: str) -> list[tuple[str, dict]]:
    out = []
    for block in body.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.split("\n"))
        out.append((lines["event"], json.loads(lines["data"])))
    return out


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF a jpeg"


def catalogue(tmp_path: Path) -> MediaCatalogue:
    """Item 1 has a local file: the export (folder ``export``) kept its copy in ``media/``."""
    photo = tmp_path / "export" / "media" / "IMG_0001.jpg"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(JPEG)
    return MediaCatalogue([
        MediaItem("gif", "cat vibing", CAT),
        MediaItem("image", "IMG 0001", "https://cdn.discordapp.com/attachments/1/2/IMG_0001.jpg?ex=1", str(photo), str(tmp_path / "export")),
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
    with web_client(site) as http:
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
        ("done", {"stop": "end-of-turn", "messages": 3, "memories": []}),
    ]
    turns = [Turn("Sam", False, ("hey mika",)), Turn("Mika", True, ("heyy",)), Turn("Sam", False, ("send pics",))]
    expected = render_prompt(tokenizer(), render(Situation("Mika", Place(kind="guild-text", channel="general"), NOW, ("Sam",)), turns))
    assert backend.prompts == [expected]


def test_a_reply_is_logged_and_a_star_puts_it_in_the_collection(tmp_path: Path) -> None:
    site = make_site(tmp_path, ScriptedBackend([["so **true**\nbrb"]]))
    history = [{"speaker": "Sam", "text": "pizza > sushi", "time": NOW.isoformat()}]
    with web_client(site) as http:
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
    assert (exchange.persona, exchange.backend, exchange.stop, item.by_name) == ("Mika", "scripted test model", "end", "Sam")
    assert gallery["title"] == "Mika Messages" and gallery["count"] == 1
    assert "so <strong>true</strong>" in gallery["html"] and "pizza &gt; sushi" in gallery["html"]
    assert ".shizu-gallery" in gallery["css"]


def test_media_files_come_only_from_the_catalogue(tmp_path: Path) -> None:
    site = make_site(tmp_path, ScriptedBackend([["x"]]), catalogue=catalogue(tmp_path))
    with web_client(site) as http:
        local = http.get("/media/1")
        remote_only = http.get("/media/0")
        outside = http.get("/media/7")
        negative = http.get("/media/-1")
    assert local.status_code == 200 and local.content == JPEG
    assert local.headers["content-type"] == "image/jpeg"  # from the bytes, not the name
    assert "content-disposition" not in local.headers  # shown inline
    assert (local.headers["x-content-type-options"], local.headers["content-security-policy"]) == ("nosniff", "sandbox")
    assert [r.status_code for r in (remote_only, outside, negative)] == [404, 404, 404]
    assert remote_only.json()["error"]["message"] == "No local file for media item 0"


def test_the_page_history_is_limited_too(tmp_path: Path) -> None:
    backend = ScriptedBackend([["x"]])
    site = make_site(tmp_path, backend, max_messages=2)
    history = [{"speaker": "Sam", "text": str(i), "time": NOW.isoformat()} for i in range(3)]
    with web_client(site) as http:
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
    with web_client(site) as http:
        html = http.get(page)
        css = http.get("/static/shizu.css")
        script = http.get("/static/common.js")
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert '<script src="/static/common.js"></script>' in html.text
    assert "<script>" not in html.text and "<style" not in html.text and "style=" not in html.text  # nothing inline (CSP)
    assert css.status_code == 200 and script.status_code == 200


VOTER = "voter-0001"


def test_thumbs_and_another_take_are_feedback_on_the_exchange(tmp_path: Path) -> None:
    backend = ScriptedBackend([["pineapple\nfight me"], ["margherita obviously"]])
    site = make_site(tmp_path, backend)
    history = [{"speaker": "Sam", "text": "best pizza?", "time": NOW.isoformat()}]
    with web_client(site) as http:
        first, second = (data["id"] for name, data in events(http.post("/api/chat", json={"history": history}).text) if name == "message")
        thumbs = [
            http.post("/api/feedback", json={"message_id": first, "verdict": "up", "voter": VOTER, "by": "Sam"}).json(),
            http.post("/api/feedback", json={"message_id": second, "verdict": "up", "voter": VOTER, "by": "Sam"}).json(),  # same exchange
            http.post("/api/feedback", json={"message_id": first, "verdict": "down", "voter": VOTER, "by": "Sam"}).json(),
            http.post("/api/feedback", json={"message_id": first, "verdict": "up", "voter": "voter-0002", "by": "Alex"}).json(),
        ]
        unknown = http.post("/api/feedback", json={"message_id": "web-nope-0", "verdict": "up", "voter": VOTER, "by": "Sam"})
        meh = http.post("/api/feedback", json={"message_id": first, "verdict": "rejected", "voter": VOTER, "by": "Sam"})
        no_voter = http.post("/api/feedback", json={"message_id": first, "verdict": "up", "voter": "x", "by": "Sam"})
        retake = {"message_id": first, "voter": VOTER, "by": "Sam"}
        lost = http.post("/api/chat", json={"history": history, "retake": {**retake, "message_id": "web-nope-0"}})
        again = events(http.post("/api/chat", json={"history": history, "retake": retake}).text)
    assert thumbs == [{"stored": True}, {"stored": False}, {"stored": True}, {"stored": True}]
    assert (unknown.status_code, unknown.json()["error"]["message"]) == (404, "No persona message 'web-nope-0' in the exchange log")
    assert (lost.status_code, lost.json()["error"]["param"]) == (404, "retake.message_id")
    assert (meh.status_code, no_voter.status_code) == (400, 400)
    assert [data["text"] for name, data in again if name == "message"] == ["margherita obviously"]
    assert len(backend.prompts) == 2 and backend.prompts[0] == backend.prompts[1]  # the same context, asked again
    with site.ws.open_store() as store:
        items = FeedbackTable(store).items()
    assert [(i.source, i.giver, i.giver_name, i.verdict, i.exchange.texts, i.retake.texts if i.retake else None) for i in items] == [
        ("web", f"web:{VOTER}", "Sam", "up", ("pineapple", "fight me"), None),
        ("web", f"web:{VOTER}", "Sam", "down", ("pineapple", "fight me"), None),
        ("web", "web:voter-0002", "Alex", "up", ("pineapple", "fight me"), None),
        ("reroll", f"web:{VOTER}", "Sam", "rejected", ("pineapple", "fight me"), ("margherita obviously",)),
    ]
    context = items[0].exchange.context
    assert context is not None and (context.place, context.time, context.participants) == (Place(kind="dm"), NOW, ("Sam",))
    assert [(m.speaker, m.text, m.time, m.is_persona) for m in context.messages] == [("Sam", "best pizza?", NOW, False)]


def test_feedback_needs_the_key_and_a_json_body(tmp_path: Path) -> None:
    site = make_site(tmp_path, ScriptedBackend([["x"]]), key="k")
    body = {"message_id": "web-x-0", "verdict": "up", "voter": VOTER, "by": "Sam"}
    with web_client(site) as http:
        locked = http.post("/api/feedback", json=body)
        as_text = http.post("/api/feedback", content=json.dumps(body).encode(), headers={"Content-Type": "text/plain", "Authorization": "Bearer k"})
    assert (locked.status_code, as_text.status_code) == (401, 400)
