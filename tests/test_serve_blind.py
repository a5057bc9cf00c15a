"""The blind test: held-out contexts, the model's reply written once, answers and scores in SQLite;
questions are made only by POST, within limits."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from persona_helpers import ScriptedBackend, tokenizer
from serve_helpers import CAT, EXAMPLES, REAL, example, make_site, web_client, write_val
from shizu.chat.layout import Place, Turn
from shizu.chat.media import MediaItem
from shizu.chat.template import render_prompt
from shizu.cli import app
from shizu.frontends.web import blind
from shizu.frontends.web.blind import BlindTest
from shizu.frontends.web.site import Site
from shizu.persona.media import MediaCatalogue
from shizu.store.feedback import FeedbackTable

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
    with web_client(site) as http:
        question = http.post("/api/blind", json={"voter": VOTER}).json()
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
    with web_client(site) as http:
        seen = []
        outcomes = []
        for right in (True, False, True):
            question = http.post("/api/blind", json={"voter": VOTER}).json()
            seen.append(question["context"][-1]["text"])
            real = real_side(question)
            choice = real if right else ("b" if real == "a" else "a")
            outcomes.append(http.post(f"/api/blind/{question['id']}", params={"voter": VOTER}, json={"choice": choice}).json())
        again = http.post(f"/api/blind/{question['id']}", params={"voter": VOTER}, json={"choice": "a"})
        other = http.post("/api/blind", json={"voter": "someone-else"}).json()
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


def test_answers_are_kept_as_feedback_on_the_model_s_reply_under_the_held_out_turn(tmp_path: Path) -> None:
    site, _ = blind_site(tmp_path, [["lol same\nbrb<|im_end|>"]])
    with web_client(site) as http:
        for right in (True, False):
            question = http.post("/api/blind", json={"voter": VOTER}).json()
            real = real_side(question)
            http.post(f"/api/blind/{question['id']}", params={"voter": VOTER}, json={"choice": real if right else ("b" if real == "a" else "a")})
            turn = next(t for t in site.blind.turns if t.history[-1].text == question["context"][-1]["text"])
            with site.ws.open_store() as store:
                item = FeedbackTable(store).items(source="blind-test")[-1]
            # Spotted: the reply is judged "down"; taken for the real one: "up".
            assert (item.verdict, item.giver, item.exchange.platform, item.exchange.channel_id) == ("down" if right else "up", f"web:{VOTER}", "blind-test", turn.key)
            assert item.exchange.texts == ("lol same", "brb") and item.exchange.backend == "tiny"
            assert item.exchange.context is not None and [m.text for m in item.exchange.context.messages] == [m.text for m in turn.history]
    result = CliRunner().invoke(app, ["feedback", "list", "-w", str(site.ws.root), "--source", "blind-test", "--json"])
    assert [line["verdict"] for line in json.loads(result.stdout)] == ["down", "up"]


def test_a_run_is_never_asked_about_turns_it_learnt_from(tmp_path: Path) -> None:
    site, _ = blind_site(tmp_path, [["model says hi"]])
    learnt = sorted(turn.key for turn in site.blind.turns)[:-1]
    (site.ws.runs_dir / "tiny").mkdir(parents=True)
    (site.ws.runs_dir / "tiny" / "meta.json").write_text(json.dumps({"name": "tiny", "preference": {"heldout_trained": learnt}}), encoding="utf-8")
    with web_client(site) as http:
        asked = {http.post("/api/blind", json={"voter": f"voter-{i:04d}"}).json()["context"][-1]["text"] for i in range(4)}
    left = next(turn for turn in site.blind.turns if turn.key not in learnt)
    assert asked == {left.history[-1].text}


def test_a_rebuilt_dataset_gets_new_model_replies(tmp_path: Path) -> None:
    site, backend = blind_site(tmp_path, [["first"], ["second"]], examples=EXAMPLES[1:])
    with web_client(site) as http:
        first = http.post("/api/blind", json={"voter": VOTER}).json()
        changed = example("100:2:0", Place(kind="dm"), [
            Turn("Mika", True, ("anyone up?",)), Turn("Bob", False, ("me!!",)), Turn("Mika", True, ("nice",)),
        ])
        write_val(site, [changed])
        site.blind = BlindTest(site.ws, rng=random.Random(7))
        second = http.post("/api/blind", json={"voter": VOTER}).json()
    assert {"text": "first", "body": "first", "media": []} in first["a"] + first["b"]
    assert {"text": "second", "body": "second", "media": []} in second["a"] + second["b"]
    assert len(backend.prompts) == 2


def test_a_model_that_writes_nothing_gets_other_contexts_then_503(tmp_path: Path) -> None:
    site, backend = blind_site(tmp_path, [["<|im_end|>"]])
    with web_client(site) as http:
        response = http.post("/api/blind", json={"voter": VOTER})
    assert response.status_code == 503
    assert response.json()["error"]["message"] == "The model wrote nothing for 3 contexts in a row; try again"
    assert len(backend.prompts) == 3


def test_without_held_out_conversations_the_page_says_what_to_do(tmp_path: Path) -> None:
    site, _ = blind_site(tmp_path, [["x"]])
    (site.ws.dataset_dir / "val.jsonl").unlink()
    with web_client(site) as http:
        response = http.post("/api/blind", json={"voter": VOTER})
        bad_voter = http.post("/api/blind", json={"voter": "x"})
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
    with web_client(site) as http:
        question = http.post("/api/blind", json={"voter": VOTER}).json()
        response = http.post(f"/api/blind/{question['id']}", params={"voter": VOTER}, json={"choice": choice})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "choice: Input should be 'a' or 'b'"


def test_held_out_turns_that_answer_nobody_are_not_asked(tmp_path: Path) -> None:
    alone = example("100:3:0", Place(kind="dm"), [Turn("Mika", True, ("anyone up?",))])
    site, backend = blind_site(tmp_path, [["x"]], examples=[alone])
    with web_client(site) as http:
        response = http.post("/api/blind", json={"voter": VOTER})
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "No held-out persona reply in dataset/val.jsonl answers someone"
    assert backend.prompts == []


def stored(site: Site) -> tuple[list[tuple], int]:
    """The questions (voter, answered) in the order asked, and the number of model replies kept."""
    with site.ws.open_store() as store:
        questions = store.db.execute("SELECT voter, answer IS NOT NULL FROM blind_questions ORDER BY asked_ts, id").fetchall()
        replies = store.db.execute("SELECT count(*) FROM blind_replies").fetchone()[0]
    return [tuple(q) for q in questions], replies


def test_reading_the_scores_with_get_creates_nothing(tmp_path: Path) -> None:
    site, backend = blind_site(tmp_path, [["x"]])
    with web_client(site) as http:
        read = http.get("/api/blind", params={"voter": VOTER})
        again = http.get("/api/blind", params={"voter": VOTER, "model": "tiny"})
        unknown = http.get("/api/blind", params={"voter": VOTER, "model": "nope"})
        bad_voter = http.get("/api/blind", params={"voter": "x"})
        asked = http.post("/api/blind", json={"voter": VOTER})
    empty = {"answers": 0, "correct": 0, "rate": None}
    assert read.status_code == 200 and read.json() == {"model": "tiny", "persona": "Mika", "score": empty, "yours": empty}
    assert again.json() == read.json()
    assert (unknown.status_code, bad_voter.status_code) == (404, 400)
    assert backend.prompts == [backend.prompts[0]] and asked.status_code == 200  # only the POST wrote a reply
    assert stored(site) == ([(VOTER, 0)], 1)


def test_a_question_is_never_made_by_get(tmp_path: Path) -> None:
    site, backend = blind_site(tmp_path, [["x"]])
    with web_client(site) as http:
        for _ in range(3):
            http.get("/api/blind", params={"voter": VOTER})
    assert backend.prompts == []
    assert stored(site) == ([], 0)


def test_a_voter_holds_at_most_three_open_questions(tmp_path: Path) -> None:
    site, backend = blind_site(tmp_path, [["model says hi"]])
    with web_client(site) as http:
        ids = [http.post("/api/blind", json={"voter": VOTER}).json()["id"] for _ in range(5)]
        other = http.post("/api/blind", json={"voter": "someone-else"}).json()["id"]
        oldest = http.post(f"/api/blind/{ids[0]}", params={"voter": VOTER}, json={"choice": "a"})
        newest = http.post(f"/api/blind/{ids[-1]}", params={"voter": VOTER}, json={"choice": "a"})
    assert blind.OPEN_PER_VOTER == 3
    questions, replies = stored(site)
    assert sorted(questions) == sorted([(VOTER, 0), (VOTER, 0), (VOTER, 1), ("someone-else", 0)])
    assert oldest.status_code == 409 and newest.status_code == 200  # the oldest open ones were forgotten
    assert other not in ids and replies == len(backend.prompts) <= 3  # one model reply per context (3 here), ever


def test_the_global_limits_refuse_new_questions_before_any_generation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site, backend = blind_site(tmp_path, [["model says hi"]])
    monkeypatch.setattr(blind, "OPEN_TOTAL", 2)
    with web_client(site) as http:
        first = http.post("/api/blind", json={"voter": "voter-0001"}).json()
        http.post("/api/blind", json={"voter": "voter-0002"})
        before = len(backend.prompts)
        full = http.post("/api/blind", json={"voter": "voter-0003"})
        prompts = len(backend.prompts) - before
        http.post(f"/api/blind/{first['id']}", params={"voter": "voter-0001"}, json={"choice": "a"})
        room = http.post("/api/blind", json={"voter": "voter-0003"})
        monkeypatch.setattr(blind, "OPEN_TOTAL", 10)
        monkeypatch.setattr(blind, "STORED_TOTAL", 3)
        stored_full = http.post("/api/blind", json={"voter": "voter-0004"})
    assert full.status_code == 429 and full.json()["error"]["code"] == "blind_test_full"
    assert full.json()["error"]["message"] == (
        "2 blind-test questions are waiting for an answer, the most this server keeps; try again later"
    )
    assert prompts == 0  # the refused request wrote nothing
    assert room.status_code == 200
    assert stored_full.status_code == 429
    assert stored_full.json()["error"]["message"] == "The blind test holds 3 questions, the most this server keeps"
    assert len(stored(site)[0]) == 3


def test_unanswered_questions_expire(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site, _ = blind_site(tmp_path, [["model says hi"]])
    with web_client(site) as http:
        old = http.post("/api/blind", json={"voter": "voter-0001"}).json()
        with site.ws.open_store() as store, store.transaction() as db:
            db.execute("UPDATE blind_questions SET asked_ts = asked_ts - ?", (blind.OPEN_TTL_MS + 1,))
        http.post("/api/blind", json={"voter": "voter-0002"})
        late = http.post(f"/api/blind/{old['id']}", params={"voter": "voter-0001"}, json={"choice": "a"})
    assert late.status_code == 409
    assert stored(site)[0] == [("voter-0002", 0)]


def test_one_voter_prepares_one_question_at_a_time(tmp_path: Path) -> None:
    site, backend = blind_site(tmp_path, [["x"]])
    site.blind.preparing.add(VOTER)  # a question of this voter is being written
    with web_client(site) as http:
        busy = http.post("/api/blind", json={"voter": VOTER})
        site.blind.preparing |= {f"voter-{i:04d}" for i in range(10, 10 + blind.PREPARING)}
        everyone_busy = http.post("/api/blind", json={"voter": "voter-0002"})
    assert (busy.status_code, busy.json()["error"]["code"]) == (429, "busy")
    assert everyone_busy.status_code == 429
    assert backend.prompts == [] and stored(site) == ([], 0)
