"""The facts ``shizu sample`` plants for recall tests (docs/sample-persona.md, "Facts to remember"):
stated by Mika across the months, asked about by friends in the held-out period, listed in
``facts.json`` exactly as the export has them."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shizu.cli import app
from shizu.sample import cast
from shizu.sample.generate import SampleInfo, write_sample

MIKA = cast.MIKA.id
CHANNEL_KEY = {spec.id: spec.key for spec in cast.CHANNELS}
PERSON_KEY = {p.id: p.key for p in cast.PEOPLE}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> SampleInfo:
    return write_sample(tmp_path_factory.mktemp("sample"), messages=3000, seed=0)


def load(info: SampleInfo) -> tuple[dict, dict[str, list[dict]]]:
    """facts.json, and every channel's messages in order (by channel id)."""
    channels: dict[str, list[dict]] = {}
    for path in info.export_files:
        doc = json.loads(path.read_text(encoding="utf-8"))
        channels.setdefault(doc["channel"]["id"], []).extend(doc["messages"])
    for messages in channels.values():
        messages.sort(key=lambda m: int(m["id"]))
    return json.loads(info.facts_file.read_text(encoding="ascii")), channels


def has_keyword(text: str, keywords: list[str]) -> bool:
    return any(k in text.lower() for k in keywords)


def check_consistent(info: SampleInfo) -> dict:
    """Every statement and question of facts.json is in the export as described; returns facts.json."""
    facts, channels = load(info)
    position = {m["id"]: (cid, i) for cid, messages in channels.items() for i, m in enumerate(messages)}
    questions_from = datetime.fromisoformat(facts["questions_from"])
    assert (facts["persona_id"], facts["seed"]) == (MIKA, info.seed)
    for fact in facts["facts"]:
        keywords = fact["keywords"]
        stated_in: Counter[str] = Counter()
        for s in fact["statements"]:
            cid, i = position[s["id"]]
            msg = channels[cid][i]
            assert (cid, msg["author"]["id"], msg["timestamp"]) == (s["channel_id"], MIKA, s["timestamp"])
            assert msg["type"] in ("Default", "Reply") and has_keyword(msg["content"], keywords)
            assert datetime.fromisoformat(s["timestamp"]) < questions_from
            if s["question_id"] is not None:  # a friend asked right before
                asked = channels[cid][i - 1]
                assert asked["id"] == s["question_id"] and asked["author"]["id"] not in (MIKA, cast.JUKEBOX.id)
                assert not has_keyword(asked["content"], keywords)
            stated_in[cid] += 1
        assert fact["channels"] == list(dict.fromkeys(s["channel_id"] for s in fact["statements"]))
        for q in fact["questions"]:
            cid, i = position[q["id"]]
            msg = channels[cid][i]
            assert (cid, msg["author"]["id"], msg["timestamp"]) == (q["channel_id"], q["author_id"], q["timestamp"])
            assert q["author_id"] not in (MIKA, cast.JUKEBOX.id) and not has_keyword(msg["content"], keywords)
            assert datetime.fromisoformat(q["timestamp"]) >= questions_from
            answer = channels[cid][i + 1 : i + 1 + len(q["answer_ids"])]
            assert [m["id"] for m in answer] == q["answer_ids"] and 2 <= len(answer) <= 4
            assert all(m["author"]["id"] == MIKA for m in answer) and has_keyword(answer[0]["content"], keywords)
            assert stated_in[cid] >= 1  # asked only where it was said (memory is scoped)
    return facts


def test_facts_json_matches_the_export(sample: SampleInfo) -> None:
    facts = check_consistent(sample)
    assert sample.facts_file == sample.export_dir.parent / "facts.json"
    assert [(f["id"], f["keywords"]) for f in facts["facts"]] == [
        ("cat", ["mochi"]), ("job", ["bookshop", "bookstore"]), ("city", ["osaka"]), ("show", ["gilmore"]),
        ("trip", ["seoul"]),
    ]
    stated = {f["id"]: dict(Counter(CHANNEL_KEY[s["channel_id"]] for s in f["statements"])) for f in facts["facts"]}
    assert stated == {
        "cat": {"general": 4, "group": 4, "dm_priya": 3},
        "job": {"general": 4, "dm_theo": 5},
        "city": {"general": 4, "group": 3, "dm_theo": 2},
        "show": {"dm_priya": 4},
        "trip": {"group": 4, "dm_priya": 3},
    }
    asked = sorted(
        (f["id"], CHANNEL_KEY[q["channel_id"]], PERSON_KEY[q["author_id"]]) for f in facts["facts"] for q in f["questions"]
    )
    assert asked == [
        ("cat", "general", "juno"), ("cat", "general", "kai"), ("city", "dm_theo", "theo"), ("city", "general", "kai"),
        ("city", "group", "juno"), ("job", "dm_theo", "theo"), ("job", "general", "kai"), ("job", "general", "theo"),
        ("show", "dm_priya", "priya"), ("trip", "dm_priya", "priya"), ("trip", "group", "juno"),
    ]
    for fact in facts["facts"]:  # spread over the months before the held-out period
        times = [datetime.fromisoformat(s["timestamp"]) for s in fact["statements"]]
        assert max(times) - min(times) > timedelta(days=20)
        for q in fact["questions"]:  # at least two statements where it is asked, all earlier
            here = [s for s in fact["statements"] if s["channel_id"] == q["channel_id"]]
            assert len(here) >= 2 and all(int(s["id"]) < int(q["id"]) for s in here)


def test_keywords_appear_only_where_the_facts_are_said(sample: SampleInfo) -> None:
    """Besides Mochi (everywhere in the sample: the control), a fact's keyword is in no other message."""
    facts, channels = load(sample)
    for fact in facts["facts"][1:]:
        found = {m["id"] for messages in channels.values() for m in messages if has_keyword(m["content"], fact["keywords"])}
        planted = {s["id"] for s in fact["statements"]} | {q["answer_ids"][0] for q in fact["questions"]}
        assert found == planted


def test_questions_are_held_out_and_statements_trained_on(sample: SampleInfo, tmp_path: Path) -> None:
    """``shizu build`` with its defaults: each question and Mika's answer are a val.jsonl turn, each
    statement is in train.jsonl; ingesting the whole OUT_DIR leaves facts.json out."""
    runner = CliRunner()
    ws = str(tmp_path / "ws")
    for args in (["init", ws], ["ingest", "-w", ws, str(sample.export_dir.parent)], ["build", "-w", ws]):
        result = runner.invoke(app, args, catch_exceptions=False)
        assert result.exit_code == 0, result.output
    split: dict[str, str] = {}
    answered: dict[tuple[str, ...], tuple[str, list[str]]] = {}  # persona turn's ids -> (split, ids of the turn before)
    for name in ("train", "val"):
        for line in (tmp_path / "ws" / "dataset" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            example = json.loads(line)
            for i, ids in enumerate(example["message_ids"]):
                split.update(dict.fromkeys(ids, name))
                if i > 1 and example["messages"][i]["role"] == "assistant":
                    answered[tuple(ids)] = (name, example["message_ids"][i - 1])
    facts = json.loads(sample.facts_file.read_text(encoding="ascii"))
    for fact in facts["facts"]:
        assert all(split[s["id"]] == "train" for s in fact["statements"])
        for q in fact["questions"]:
            where, before = answered[tuple(q["answer_ids"])]
            assert where == "val" and before[-1] == q["id"]


@pytest.mark.parametrize(("messages", "style", "counts"), [
    (200, "unmistakable", {"cat": (1, 0), "job": (2, 0), "city": (1, 0), "show": (0, 0), "trip": (1, 0)}),
    (1000, "subtle", {"cat": (9, 0), "job": (9, 2), "city": (8, 1), "show": (4, 1), "trip": (6, 1)}),
])
def test_other_sizes_and_styles_stay_exact_and_consistent(
    tmp_path: Path, messages: int, style: str, counts: dict[str, tuple[int, int]]
) -> None:
    """Smaller samples hold fewer sessions, so fewer statements and questions (statements, questions per fact)."""
    info = write_sample(tmp_path, messages=messages, seed=1, style=style)
    assert info.messages == messages
    assert sum(json.loads(p.read_text(encoding="utf-8"))["messageCount"] for p in info.export_files) == messages
    facts = check_consistent(info)
    assert {f["id"]: (len(f["statements"]), len(f["questions"])) for f in facts["facts"]} == counts
