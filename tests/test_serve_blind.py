"""The blind test: held-out contexts, the model's reply written once, answers and scores in SQLite."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from serve_helpers import CAT, EXAMPLES, REAL, ScriptedBackend, example, make_site, tokenizer, write_val
from shizu.chat.layout import Place, Turn
from shizu.frontends.web.app import create_app
from shizu.frontends.web.blind import BlindTest
from shizu.frontends.web.site import Site
from shizu.persona.media import MediaCatalogue, MediaItem
from shizu.chat.template import render_prompt

VOTER = "voter-0001"


def blind_site(tmp_path: Path, replies: list[list[str]], examples: list[dict] = EXAMPLES) -> tuple[Site, ScriptedBackend]:
    backend = ScriptedBackend(replies)
    site = make_site(tmp_path, backend, catalogue=MediaCatalogue([MediaItem("gif", "cat vibing", CAT)]))
    write_val(site, examples)
    site.blind = BlindTest(site.ws, rng=random.Random(7))
    return site, backend


def real_side(question: dict) -> str:
    real = REAL[question["context"][-1]["text"]]
    assert real in (question["a"], question["b"]) and question["a"] != question["b"]
    return "a" if question["a"] == real else "b"


def test_a_question_shows_a_held_out_context_and_both_replies(tmp_path: Path) -> None:
    site, backend = blind_site(tmp_path, [["lol same\nbrb<|im_end|>"]])
    with TestClient(create_app(site)) as http:
        question = http.get("/api/blind", params={"voter": VOTER}).json()
    last = question["context"][-1]["text"]
    model = [{"text": "lol same", "body": "lol same", "media": []}, {"text": "brb", "body": "brb", "media": []}]
    assert model in (question["a"], question["b"])
    assert real_side(question) in ("a", "b")
    assert question["persona"] == "Mika" and question["model"] == "tiny"
    assert question["time"] == "2024-03-02T21:14:00+00:00"
    assert question["score"] == question["yours"] == {"answers": 0, "correct": 0, "rate": None}
    # The model was asked exactly the held-out context, rendered as in training.
    source = next(e for e in EXAMPLES for i, m in enumerate(e["messages"]) if m["role"] == "user" and m["content"].endswith(last))
    cut = next(i for i, m in enumerate(source["messages"]) if m["role"] == "user" and m["content"].endswith(last)) + 1
    assert backend.prompts == [render_prompt(tokenizer(), source["messages"][:cut])]
    expected_context = {
        "did you see the trailer": [("Alice", "did you see the trailer", False)],
        "same": [("Alice", "did you see the trailer", False), ("Mika", "omg yes [gif: cat vibing]", True), ("Alice", "same", False)],
        "me": [("Mika", "anyone up?", True), ("Bob", "me", False)],
    }[last]
    assert [(m["speaker"], m["text"], m["persona"]) for m in question["context"]] == expected_context
    assert question["place"] == ("a direct message" if last == "me" else "#general on Cozy")


def test_answers_are_scored_and_stored(tmp_path: Path) -> None:
    site, backend = blind_site(tmp_path, [["model says hi"]])
    with TestClient(create_app(site)) as http:
        seen = []
        outcomes = []
        for right in (True, False, True):
            question = http.get("/api/blind", params={"voter": VOTER}).json()
            seen.append(question["context"][-1]["text"])
            real = real_side(question)
            choice = real if right else ("b" if real == "a" else "a")
            outcomes.append(http.post(f"/api/blind/{question['id']}", params={"voter": VOTER}, json={"choice": choice}).json())
        again = http.post(f"/api/blind/{question['id']}", params={"voter": VOTER}, json={"choice": "a"})
        other = http.get("/api/blind", params={"voter": "someone-else"}).json()
    assert sorted(seen) == sorted(REAL)  # each voter gets the contexts they have not answered first
    assert [o["correct"] for o in outcomes] == [True, False, True]
    assert outcomes[-1]["score"] == outcomes[-1]["yours"] == {"answers": 3, "correct": 2, "rate": 2 / 3}
    assert other["score"] == {"answers": 3, "correct": 2, "rate": 2 / 3}
    assert other["yours"] == {"answers": 0, "correct": 0, "rate": None}
    assert again.status_code == 409
    assert again.json()["error"]["message"] == "This question was already answered; take a new one"
    assert len(backend.prompts) == 3  # each context's model reply is written once, then reused
    with site.ws.open_store() as store:
        rows = store.db.execute("SELECT voter, answer IS NOT NULL, correct FROM blind_questions ORDER BY asked_ts").fetchall()
        replies = store.db.execute("SELECT count(*), min(raw), max(raw) FROM blind_replies").fetchone()
    assert [r[0] for r in rows] == [VOTER] * 3 + ["someone-else"]
    assert [r[2] for r in rows] == [1, 0, 1, None]
    assert replies == (3, "model says hi", "model says hi")


def test_a_rebuilt_dataset_gets_new_model_replies(tmp_path: Path) -> None:
    site, backend = blind_site(tmp_path, [["first"], ["second"]], examples=EXAMPLES[1:])
    with TestClient(create_app(site)) as http:
        first = http.get("/api/blind", params={"voter": VOTER}).json()
        changed = example("100:2:0", Place(kind="dm"), [
            Turn("Mika", True, ("anyone up?",)), Turn("Bob", False, ("me!!",)), Turn("Mika", True, ("nice",)),
        ])
        write_val(site, [changed])
        site.blind = BlindTest(site.ws, rng=random.Random(7))
        second = http.get("/api/blind", params={"voter": VOTER}).json()
    assert {"text": "first", "body": "first", "media": []} in first["a"] + first["b"]
    assert {"text": "second", "body": "second", "media": []} in second["a"] + second["b"]
    assert len(backend.prompts) == 2


def test_a_model_that_writes_nothing_gets_other_contexts_then_503(tmp_path: Path) -> None:
    site, backend = blind_site(tmp_path, [["<|im_end|>"]])
    with TestClient(create_app(site)) as http:
        response = http.get("/api/blind", params={"voter": VOTER})
    assert response.status_code == 503
    assert response.json()["error"]["message"] == "The model wrote nothing for 3 contexts in a row; try again"
    assert len(backend.prompts) == 3


def test_without_held_out_conversations_the_page_says_what_to_do(tmp_path: Path) -> None:
    site, _ = blind_site(tmp_path, [["x"]])
    (site.ws.dataset_dir / "val.jsonl").unlink()
    with TestClient(create_app(site)) as http:
        response = http.get("/api/blind", params={"voter": VOTER})
        bad_voter = http.get("/api/blind", params={"voter": "x"})
    assert response.status_code == 404
    assert response.json()["error"]["message"] == (
        f"{site.ws.dataset_dir / 'val.jsonl'} does not exist\n"
        "Run `shizu build` first: it holds out the latest conversations in val.jsonl."
    )
    assert bad_voter.status_code == 400
    assert bad_voter.json()["error"]["param"] == "voter"


@pytest.mark.parametrize("choice", ["c", ""])
def test_an_answer_must_be_a_or_b(tmp_path: Path, choice: str) -> None:
    site, _ = blind_site(tmp_path, [["x"]])
    with TestClient(create_app(site)) as http:
        question = http.get("/api/blind", params={"voter": VOTER}).json()
        response = http.post(f"/api/blind/{question['id']}", params={"voter": VOTER}, json={"choice": choice})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "choice: Input should be 'a' or 'b'"


def test_held_out_turns_that_answer_nobody_are_not_asked(tmp_path: Path) -> None:
    alone = example("100:3:0", Place(kind="dm"), [Turn("Mika", True, ("anyone up?",))])
    site, backend = blind_site(tmp_path, [["x"]], examples=[alone])
    with TestClient(create_app(site)) as http:
        response = http.get("/api/blind", params={"voter": VOTER})
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "No held-out persona reply in dataset/val.jsonl answers someone"
    assert backend.prompts == []
