"""Fact recall: probes from a facts file or from answers the person repeated, and the Wilson interval."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from shizu.errors import EvalError
from shizu.eval.recall import Probe, probes_from_facts, probes_from_repeats, recall_rate, wilson

FACTS = {"facts": [
    {"id": "cat", "keywords": ["mochi"], "questions": [{"answer_ids": ["11", "12"]}, {"answer_ids": ["31"]}]},
    {"id": "job", "keywords": ["bookshop", "bookstore"], "questions": [{"answer_ids": ["21"]}]},
]}


def test_every_held_out_reply_answering_a_fact_question_probes_that_fact(tmp_path: Path) -> None:
    path = tmp_path / "facts.json"
    path.write_text(json.dumps(FACTS), encoding="utf-8")
    replies = [["11", "12"], ["12"], ["20", "21"], [], ["31"]]  # the store ids of each held-out reply
    assert probes_from_facts(path, replies) == [
        Probe(0, "cat", ("mochi",)), Probe(2, "job", ("bookshop", "bookstore")), Probe(4, "cat", ("mochi",)),
    ]  # turn 1 holds the rest of an answer, not the message stating the fact


@pytest.mark.parametrize(("text", "problem"), [(None, "does not exist"), ("[1, 2]", "is not a facts file"), ('{"facts": [{"id": "x"}]}', "is not a facts file")])
def test_a_missing_or_malformed_facts_file_is_named(tmp_path: Path, text: str | None, problem: str) -> None:
    path = tmp_path / "facts.json"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(EvalError, match=problem) as caught:
        probes_from_facts(path, [["11"]])
    assert str(path) in str(caught.value)


def by_topic(texts: list[str]) -> np.ndarray:
    """A stand-in sentence embedding: questions about cats, work or anything else point three ways."""
    vectors = np.array([[("cat" in t) * 1.0, ("work" in t) * 1.0, 0.1] for t in texts])
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_a_question_asked_again_probes_the_rare_words_both_answers_share() -> None:
    asked = [
        ("what's your cat called?", "her name is mochi and she is the best"),
        ("how's work?", "the bookshop was chaos"),
        ("how's work going?", "chaos at the bookshop again"),
        *[(f"random {i}", "the best day") for i in range(150)],  # "best" is common in the persona's answers; 2% is 3
    ]
    questions = ["what was your cat called again?", "how's work these days", "seen the game?", ""]
    replies = ["mochi the best girl", "still the bookshop", "mochi lol", "mochi"]
    assert probes_from_repeats(questions, replies, asked, by_topic) == [
        Probe(0, "mochi", ("mochi",)), Probe(1, "bookshop", ("bookshop",)),
    ]  # turn 2 is not the same question; turn 3 asks nothing


def test_the_recall_rate_counts_the_replies_that_give_the_fact() -> None:
    probes = [Probe(0, "cat", ("mochi",)), Probe(1, "cat", ("mochi",)), Probe(2, "job", ("bookshop", "bookstore"))]
    found = recall_rate(probes, ["MOCHI!!", "idk :mochi_pat: [gif: mochi]", "at the bookstore"])  # an emoji or a tag is not the word
    assert (found["recalled"], found["probes"], found["value"]) == (2, 3, 2 / 3)
    assert (found["low"], found["high"]) == wilson(2, 3)
    assert recall_rate([], []) == {"recalled": 0, "probes": 0, "value": None, "low": None, "high": None}


def test_the_wilson_interval() -> None:
    assert wilson(0, 6) == (0.0, pytest.approx(0.3903, abs=1e-4))
    assert wilson(6, 6) == (pytest.approx(0.6097, abs=1e-4), 1.0)
    assert wilson(5, 10) == (pytest.approx(0.2366, abs=1e-4), pytest.approx(0.7634, abs=1e-4))
    assert all(math.isnan(x) for x in wilson(0, 0))
