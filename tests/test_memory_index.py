"""The memory index: incremental adds, embedding later, other processes, wiping, rendering, settings, the real model."""

from __future__ import annotations

import tomllib
from datetime import timedelta
from pathlib import Path

import pytest

from memory_helpers import COZY_GAMES, COZY_GENERAL, DM_ANA, DM_BEN, T0, Words, memory, open_index
from shizu.chat.layout import Place, Turn
from shizu.config import parse_config, render_template
from shizu.errors import ConfigError
from shizu.memory import Memory, Where, render, semantic_embedder
from test_extras import hide

FIRST = [
    memory("a", COZY_GENERAL, 0, "ramen tonight?", "ramen yes"),
    memory("b", COZY_GAMES, 1, "silksong trailer", "i screamed"),
    memory("c", DM_ANA, 2, "hows the cat", "she knocked the plant over"),
]
LATER = [memory("d", COZY_GENERAL, 3, "pho or ramen", "pho"), memory("e", DM_BEN, 4, "zelda?", "zelda")]


def counts(path: Path) -> dict[str, int]:
    idx = open_index(path)
    db = idx.tables.db
    return {
        "memories": idx.tables.count(),
        "postings": db.execute("SELECT count(*) FROM temp.memory_postings").fetchone()[0],
        "ramen df": (db.execute("SELECT df FROM memory_terms WHERE term = 'ramen'").fetchone() or (0,))[0],
        "vectors": db.execute("SELECT count(*) FROM memory_vectors").fetchone()[0],
    }


def test_a_later_add_indexes_only_what_is_new_and_re_adding_changes_nothing(tmp_path: Path) -> None:
    embedder = Words()
    idx = open_index(tmp_path / "shizu.db", embedder)
    assert idx.add(FIRST) == 3
    assert idx.add(FIRST + LATER) == 2
    assert embedder.embedded == 5  # the three known memories were not embedded again
    before = counts(tmp_path / "shizu.db")
    generation = idx.tables.generation()
    assert idx.add(FIRST + LATER + FIRST) == 0
    assert idx.tables.generation() == generation
    assert counts(tmp_path / "shizu.db") == before == {"memories": 5, "postings": 22, "ramen df": 2, "vectors": 5}
    assert [r.memory.key for r in idx.search("ramen", COZY_GENERAL)] == ["a", "d"]


def test_a_memory_whose_text_changed_is_replaced(tmp_path: Path) -> None:
    """A rebuild with stricter privacy settings (here: a secret now redacted) must not keep the old text."""
    idx = open_index(tmp_path / "shizu.db", Words())
    idx.add(FIRST + [memory("s", DM_ANA, 5, "my code is zanzibar4711", "ok")])
    assert idx.add(FIRST + [memory("s", DM_ANA, 5, "my code is <SECRET>", "ok")]) == 1
    assert idx.search("zanzibar4711", DM_ANA) == []
    assert [r.memory.context[0].texts for r in idx.search("code secret", DM_ANA)] == [("my code is <SECRET>",)]
    assert idx.tables.count() == 4 and idx.tables.frequencies(["zanzibar4711", "secret"]) == {"secret": 1}


def test_a_rebuild_forgets_what_it_no_longer_makes(tmp_path: Path) -> None:
    idx = open_index(tmp_path / "shizu.db", Words())
    idx.add(FIRST + [memory("live", COZY_GENERAL, 9, "ramen?", "ramen", origin="live")])
    assert idx.forget_missing({"a", "c"}) == 1
    assert sorted(m.key for _, m in idx.entries(idx.select())) == ["a", "c", "live"]


def test_memories_added_without_vectors_are_embedded_later_once(tmp_path: Path) -> None:
    idx = open_index(tmp_path / "shizu.db", None)  # no model yet: words only
    idx.add(FIRST + LATER)
    assert idx.embed_pending() == 0
    embedder = Words()
    events: list[tuple] = []

    class Recorder:
        def say(self, line: str) -> None: events.append(("say", line))
        def start(self, key: str, label: str, total: float, completed: float = 0, **fields: str) -> None: events.append(("start", label, total))
        def update(self, key: str, completed: float | None = None, **fields: str) -> None: events.append(("update", completed))
        def advance(self, key: str, amount: float = 1) -> None: events.append(("advance", amount))
        def stop(self, key: str) -> None: events.append(("stop",))

    later = open_index(tmp_path / "shizu.db", embedder)
    assert later.embed_pending(Recorder()) == 5
    assert events == [("start", "Embedding memories", 5), ("update", 5), ("stop",)]
    assert later.embed_pending() == 0 and embedder.embedded == 5
    found = later.search("she knocked the plant over", DM_ANA)
    assert [(r.memory.key, r.lexical_rank, r.semantic_rank) for r in found] == [("c", 1, 1)]


def test_the_bots_own_replies_are_remembered_only_when_asked(tmp_path: Path) -> None:
    made = [
        memory("own", COZY_GENERAL, 0, "ramen?", "ramen!", origin="live"),
        memory("bot", COZY_GENERAL, 1, "ramen again?", "ramen forever", origin="bot"),
    ]
    assert open_index(tmp_path / "a.db", Words()).add(made) == 1
    assert open_index(tmp_path / "a.db", Words()).select() == [1]
    assert open_index(tmp_path / "b.db", Words(), remember_own_replies=True).add(made) == 2


def test_another_process_sees_new_and_forgotten_memories(tmp_path: Path) -> None:
    bot = open_index(tmp_path / "shizu.db", Words())
    bot.add(FIRST)
    assert [r.memory.key for r in bot.search("ramen", COZY_GENERAL)] == ["a"]
    build = open_index(tmp_path / "shizu.db", Words())  # another connection, as another process
    build.add(LATER)
    assert [r.memory.key for r in bot.search("ramen", COZY_GENERAL)] == ["a", "d"]
    build.forget(build.select(where=COZY_GENERAL))
    assert bot.search("ramen", COZY_GENERAL) == []


def test_a_forgotten_memory_is_gone_from_the_files(tmp_path: Path) -> None:
    path = tmp_path / "shizu.db"
    idx = open_index(path, Words())
    idx.add(FIRST + [memory("secret", DM_ANA, 5, "my locker code is zanzibar4711", "safe with me")])
    [found] = idx.search("zanzibar4711", DM_ANA)
    assert idx.forget([found.id]) == 1
    assert idx.search("zanzibar4711", DM_ANA) == []
    assert idx.tables.frequencies(["zanzibar4711", "locker"]) == {}
    files = [p for p in tmp_path.iterdir() if p.name.startswith("shizu.db")]
    assert all(b"zanzibar" not in p.read_bytes() for p in files)
    assert [r.memory.key for r in idx.search("plant", DM_ANA)] == ["c"]  # the others are still there


def test_listing_and_wiping_everything(tmp_path: Path) -> None:
    idx = open_index(tmp_path / "shizu.db", Words())
    idx.add(FIRST + LATER)
    assert [(where.channel_id, place.label(), n) for where, place, n in idx.places()] == [
        ("300", "#general on Cozy", 2), ("301", "#games on Cozy", 1), ("100", "a direct message", 1), ("101", "a direct message", 1),
    ]
    assert idx.select(where=COZY_GAMES, scope="server") == [1, 2, 4]
    [(memory_id, remembered)] = idx.entries(idx.select(where=DM_ANA))
    assert remembered == FIRST[2]
    assert idx.forget_all() == 5
    assert idx.places() == [] and idx.select() == [] and idx.search("ramen", COZY_GENERAL) == []
    assert counts(tmp_path / "shizu.db") == {"memories": 0, "postings": 0, "ramen df": 0, "vectors": 0}
    assert idx.add(FIRST) == 3 and [r.memory.key for r in idx.search("ramen", COZY_GENERAL)] == ["a"]


def test_without_the_model_memory_search_is_lexical_with_one_line_saying_so(monkeypatch: pytest.MonkeyPatch) -> None:
    hide(monkeypatch, "sentence_transformers")
    lines: list[str] = []
    assert semantic_embedder("cpu", lines.append) is None
    assert lines == ["Memory search is lexical only: sentence-transformers is not installed. Install the extra: pip install 'shizu[memory]'"]


def test_rendering_keeps_the_best_memories_that_fit_oldest_first() -> None:
    dm = Memory(
        key="x", where=DM_ANA, place=Place(kind="dm"), time=T0, context=(Turn("Ana", False, ("hows the cat", "and the plant")),),
        reply=("she knocked it over", "again"),
    )
    block = "Saturday 2 March 2024, 21:00 UTC, a direct message with Ana:\nAna: hows the cat\nAna: and the plant\nMika: she knocked it over\nMika: again"
    assert render([dm], "Mika", 100) == block
    long = memory("long", COZY_GENERAL, 30, "word " * 60, "ok")
    later = memory("later", COZY_GAMES, 60, "zelda?", "zelda")
    fits = len(block) + 2 + len(render([later], "Mika", 100))
    text = render([later, long, dm], "Mika", -(-fits // 4))  # the long one does not fit, the one after it does
    assert text == block + "\n\n" + render([later], "Mika", 100)
    assert render([long], "Mika", 16) == ""


def test_the_memory_settings() -> None:
    config = parse_config(tomllib.loads(render_template()))
    assert (config.memory.enabled, config.memory.scope, config.memory.k, config.memory.max_tokens) == (False, "server", 3, 200)
    assert (config.memory.semantic, config.memory.remember_own_replies) == (True, False)
    with pytest.raises(ConfigError) as info:
        parse_config({"memory": {"scope": "global", "k": 0, "max_tokens": 8, "remember_replies": True}})
    problems = info.value.problems
    assert problems[0].startswith("unknown key 'remember_replies' in [memory]; did you mean 'remember_own_replies'?")
    assert problems[1] == "memory.scope: Invalid enum value 'global' (got 'global')"
    assert problems[2:] == ["memory.k must be in [1, 50] (for example 3)", "memory.max_tokens must be >= 16 (for example 200)"]


@pytest.mark.slow
def test_the_real_model_recalls_by_meaning(tmp_path: Path) -> None:
    from shizu.memory import load_minilm

    idx = open_index(tmp_path / "shizu.db", load_minilm("cpu"))
    here = Where("discord", "dm", "100")
    idx.add([
        memory("cat", here, 0, "how is your kitten doing", "she knocked my plant off the shelf again"),
        memory("game", here, 1, "did you finish elden ring", "nope the last boss destroys me"),
        memory("food", here, 2, "dinner plans?", "making curry tonight"),
    ])
    found = idx.search("kitty smashed a pot", here, before=T0 + timedelta(days=1))  # no word in common
    assert [(r.memory.key, r.lexical_rank) for r in found] == [("cat", None)]
    assert idx.search("lol", here) == []
