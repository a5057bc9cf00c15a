"""Held-out turns: read back from val.jsonl into live situations the runtime renders exactly as training did."""

from __future__ import annotations

import json
import warnings
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from shizu.chat.layout import Place, Situation, system_prompt
from shizu.config import BuildConfig
from shizu.errors import EvalError
from shizu.eval import heldout
from shizu.eval.heldout import read_corpus, read_heldout, spread
from shizu.persona.live import LiveMessage, render_live
from shizu.persona.media import MediaCatalogue

WHEN = datetime(2024, 3, 2, 21, 14, 5, tzinfo=UTC)


def row(i: int, place: Place, turns: list[dict[str, str]], *, split: str = "val", tz: str = "UTC", legacy: bool = False) -> dict:
    """One dataset line as `shizu build` writes it (system prompt rendered by the build's own function).

    ``legacy``: as datasets were written before rows carried the structured situation.
    """
    others = tuple(dict.fromkeys(line.split(": ")[0] for t in turns if t["role"] == "user" for line in t["content"].split("\n")))
    system = system_prompt(Situation("Mika", place, WHEN.astimezone(ZoneInfo(tz)), others))
    messages = [{"role": "system", "content": system}, *turns]
    situation = {} if legacy else {"persona": "Mika", "place": place.fields(), "participants": list(others)}
    return {
        "id": f"9:{i}:0", "conversation": f"9:{i}", "split": split, "channel_id": "9", "timestamp": "2024-03-02T21:14:05Z",
        **situation, "messages": messages, "message_ids": [[] for _ in messages],
    }


def write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def user(text: str) -> dict[str, str]:
    return {"role": "user", "content": text}


def persona(text: str) -> dict[str, str]:
    return {"role": "assistant", "content": text}


def test_every_persona_turn_is_held_out_with_the_context_before_it(tmp_path: Path) -> None:
    turns = [user("Alice: did you see it\nBob: so good"), persona("omg yes\nim SO hyped"), user("Alice: same"), persona("ok brb")]
    path = write(tmp_path / "val.jsonl", [row(0, Place(kind="dm"), turns)])
    examples, held = read_heldout(path, "UTC")
    assert [e.id for e in examples] == ["9:0:0"]
    assert [(t.key, t.reply, len(t.context)) for t in held] == [("9:0:0#0", "omg yes\nim SO hyped", 2), ("9:0:0#1", "ok brb", 4)]
    assert held[1].where == f"{path}:1"
    assert held[1].participants == ("Alice", "Bob")
    assert held[1].time == WHEN
    assert held[1].history == (
        LiveMessage("Alice", "did you see it", WHEN), LiveMessage("Bob", "so good", WHEN),
        LiveMessage("Mika", "omg yes", WHEN, is_persona=True), LiveMessage("Mika", "im SO hyped", WHEN, is_persona=True),
        LiveMessage("Alice", "same", WHEN),
    )


PLACES = [
    Place(kind="dm"),
    Place(kind="group"),
    Place(kind="group", channel="chaos gremlins"),
    Place(kind="guild-text", channel="general", server="the cozy corner"),
    Place(kind="guild-text", channel="general"),
    Place(kind="thread", channel="minecraft plans", server="Cozy", parent="gaming"),
    Place(kind="thread", channel="plans with Bob", server="Cozy"),
    Place(kind="group", channel="movie night with Alice"),
    Place(kind="guild-text", channel="off-topic", server="Cozy", platform="telegram"),
]


@pytest.mark.parametrize("timezone", ["UTC", "Europe/Paris"])
def test_the_runtime_renders_each_held_out_context_exactly_as_training_did(tmp_path: Path, timezone: str) -> None:
    turns = [
        persona("hii"), user("Alice: hey\u2028second line\nBob: yo"), persona("lol\n[gif: cat vibing] :mochi_pat:"),
        user("Bob: @Mika u coming?"), persona("ya"),
    ]
    rows = [row(i, place, turns, tz=timezone) for i, place in enumerate(PLACES)]
    _, held = read_heldout(write(tmp_path / "val.jsonl", rows), timezone)
    build = BuildConfig(timezone=timezone)
    assert len(held) == 3 * len(PLACES)
    assert [t.place for t in held[::3]] == PLACES
    for turn in held:
        rendered = render_live("Mika", turn.place, turn.history, turn.time, build, MediaCatalogue(), turn.participants).messages
        assert rendered == list(turn.context), turn.key


def test_a_conversation_the_persona_opens_has_only_the_system_prompt_as_context(tmp_path: Path) -> None:
    _, held = read_heldout(write(tmp_path / "val.jsonl", [row(0, Place(kind="dm"), [persona("anyone up")])]), "UTC")
    assert [(t.history, len(t.context), t.participants) for t in held] == [((), 1, ())]


def test_missing_or_empty_val_is_explained(tmp_path: Path) -> None:
    with pytest.raises(EvalError, match="does not exist") as missing:
        read_heldout(tmp_path / "val.jsonl", "UTC")
    assert "shizu build" in (missing.value.hint or "")
    with pytest.raises(EvalError, match="holds no example") as empty:
        read_heldout(write(tmp_path / "val.jsonl", []), "UTC")
    assert "val_fraction" in (empty.value.hint or "")


def test_a_broken_line_is_named_with_file_and_line(tmp_path: Path) -> None:
    good = row(0, Place(kind="dm"), [user("Alice: hi"), persona("yo")])
    bad = row(1, Place(kind="dm"), [user("no speaker here"), persona("yo")])
    path = write(tmp_path / "val.jsonl", [good, bad])
    with pytest.raises(EvalError, match=r"val.jsonl:2: the user line 'no speaker here' does not start with 'Name: '"):
        read_heldout(path, "UTC")
    stamp = {**good, "timestamp": "yesterday"}
    with pytest.raises(EvalError, match=r"val.jsonl:2: `timestamp` is missing or not an ISO time"):
        read_heldout(write(tmp_path / "val.jsonl", [good, {**stamp, "id": "x"}]), "UTC")


def test_the_corpus_splits_training_text_by_author(tmp_path: Path) -> None:
    train = write(tmp_path / "train.jsonl", [
        row(0, Place(kind="dm"), [user("Alice: a1\nAlice: a2\nBob: b1\nAlice: a3"), persona("m1\nm2"), user("Bob: b2"), persona("m3")], split="train"),
    ])
    val = write(tmp_path / "val.jsonl", [row(1, Place(kind="dm"), [user("Cleo: c1\nCleo: c2"), persona("held")])])
    examples, _ = read_heldout(val, "UTC")
    corpus = read_corpus(train, examples)
    assert corpus.persona == ["m1\nm2", "m3"]
    assert corpus.others == ["a1\na2", "b1", "a3", "b2"]
    assert corpus.heldout_others == ["c1\nc2"]
    assert corpus.names == frozenset({"Alice", "Bob", "Cleo"})


def test_limit_spreads_the_turns_evenly() -> None:
    assert spread(list(range(10)), 4) == [0, 2, 5, 7]
    assert spread(list(range(3)), 5) == [0, 1, 2]
    assert spread(list(range(3)), None) == [0, 1, 2]


def test_the_situation_comes_from_the_structured_fields(tmp_path: Path) -> None:
    place = Place(kind="group", channel='Alice with "Bob"', platform="telegram")
    path = write(tmp_path / "val.jsonl", [row(0, place, [user("Alice: hi"), persona("yo")])])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no deprecation note for a current dataset
        _, (turn,) = read_heldout(path, "UTC")
    assert (turn.place, turn.participants) == (place, ("Alice",))


def test_a_dataset_built_before_the_structured_fields_still_loads_with_a_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(heldout, "_warned", False)
    place = Place(kind="thread", channel="plans", server="Cozy", parent="general")
    path = write(tmp_path / "val.jsonl", [row(0, place, [user("Alice: hi"), persona("yo")], legacy=True)])
    with pytest.warns(FutureWarning, match=r"val.jsonl:1: this dataset was built before rows carried their situation .* Rebuild it with `shizu build`."):
        _, (turn,) = read_heldout(path, "UTC")
    assert (turn.place, turn.participants) == (place, ("Alice",))
