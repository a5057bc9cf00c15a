"""Memory scope and opt-outs: what was said in one place never comes back where the scope does not reach."""

from __future__ import annotations

from pathlib import Path

import pytest

from memory_helpers import COZY_GAMES, COZY_GENERAL, COZY_THREAD, DM_ANA, DM_BEN, GROUP, OTHER_GENERAL, Words, memory, open_index
from shizu.memory import MemoryIndex, Where, visible
from shizu.memory import index as memory_index


@pytest.fixture(autouse=True)
def fixed_center(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bits' centre is final from the first memory on (else each add of these few refits it and reloads)."""
    monkeypatch.setattr(memory_index, "CENTER_ROWS", 1)

# Every memory mentions the locker, so a search for it returns everything the scope allows.
MEMORIES = [
    memory("dm-ana", DM_ANA, 0, "my locker code is 4711, dont tell anyone", "safe with me", by="1"),
    memory("dm-ben", DM_BEN, 1, "did you get a locker", "yes by the stairs", by="2"),
    memory("group", GROUP, 2, "who has the locker key", "cleo does", by="3"),
    memory("cozy-general", COZY_GENERAL, 3, "the locker room smells", "lol", by="2"),
    memory("cozy-games", COZY_GAMES, 4, "raid loot goes in the guild locker", "noted", by="3"),
    memory("cozy-thread", COZY_THREAD, 5, "locker at 9 before the raid", "bet", by="1"),
    memory("other", OTHER_GENERAL, 6, "their locker code is 5555", "nice", by="2"),
]
NEW_DM = Where("discord", "dm", "102")
PLACES = [DM_ANA, DM_BEN, GROUP, COZY_GENERAL, COZY_GAMES, COZY_THREAD, OTHER_GENERAL, NEW_DM]
QUERY = "what was the locker code again"


def index(tmp_path: Path, scope: str, *, search_first: bool = False) -> MemoryIndex:
    """Every memory of :data:`MEMORIES` in a fresh index; ``search_first``: all but the last added
    after a search loaded the snapshot, so they are searched in its unsorted tail."""
    idx = open_index(tmp_path / "shizu.db", Words(), scope=scope, k=10)
    if search_first:
        idx.add(MEMORIES[-1:])
        assert idx.search(QUERY, OTHER_GENERAL)[0].memory.key == "other"
        assert idx.add(MEMORIES[:-1]) == len(MEMORIES) - 1
        assert idx._snapshot is not None and idx._snapshot.sorted == 1 and len(idx._snapshot) == len(MEMORIES)
    else:
        assert idx.add(MEMORIES) == len(MEMORIES)
    return idx


def keys(idx: MemoryIndex, here: Where, query: str = QUERY, **options: object) -> set[str]:
    return {r.memory.key for r in idx.search(query, here, **options)}  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("scope", "here", "expected"),
    [
        ("server", DM_ANA, {"dm-ana"}),
        ("server", DM_BEN, {"dm-ben"}),
        ("server", GROUP, {"group"}),
        ("server", COZY_GENERAL, {"cozy-general", "cozy-games", "cozy-thread"}),
        ("server", COZY_THREAD, {"cozy-general", "cozy-games", "cozy-thread"}),
        ("server", OTHER_GENERAL, {"other"}),
        ("server", NEW_DM, set()),
        ("channel", DM_ANA, {"dm-ana"}),
        ("channel", COZY_GENERAL, {"cozy-general"}),
        ("channel", COZY_THREAD, {"cozy-thread"}),
        ("channel", NEW_DM, set()),
        ("everywhere", NEW_DM, {m.key for m in MEMORIES}),
        ("everywhere", COZY_GENERAL, {m.key for m in MEMORIES}),
    ],
)
@pytest.mark.parametrize("search_first", [False, True], ids=["loaded", "tail"])
def test_a_search_returns_exactly_the_memories_its_scope_allows(tmp_path: Path, scope: str, here: Where, expected: set[str], search_first: bool) -> None:
    assert keys(index(tmp_path, scope, search_first=search_first), here) == expected


@pytest.mark.parametrize("scope", ["channel", "server", "everywhere"])
def test_search_agrees_with_the_scope_rule_everywhere(tmp_path: Path, scope: str) -> None:
    idx = index(tmp_path, scope)
    for here in PLACES:
        assert keys(idx, here) == {m.key for m in MEMORIES if visible(m.where, here, scope)}  # type: ignore[arg-type]


@pytest.mark.parametrize("scope", ["channel", "server"])
@pytest.mark.parametrize("search_first", [False, True], ids=["loaded", "tail"])
def test_a_secret_told_in_a_dm_with_ana_never_comes_back_elsewhere(tmp_path: Path, scope: str, search_first: bool) -> None:
    idx = index(tmp_path, scope, search_first=search_first)
    secret = "my locker code is 4711, dont tell anyone"
    for here in PLACES:
        found = keys(idx, here, secret)
        assert ("dm-ana" in found) == (here == DM_ANA), here
    assert idx.search(secret, DM_ANA)[0].memory.key == "dm-ana"


def test_the_scope_rule() -> None:
    no_server = Where("discord", "guild-text", "500")  # a server channel whose server is unknown: only itself
    assert visible(COZY_GENERAL, COZY_THREAD, "server") and not visible(COZY_GENERAL, COZY_THREAD, "channel")
    assert not visible(COZY_GENERAL, OTHER_GENERAL, "server")
    assert not visible(DM_ANA, DM_BEN, "server") and not visible(DM_ANA, COZY_GENERAL, "server") and not visible(GROUP, DM_ANA, "server")
    assert not visible(no_server, COZY_GENERAL, "server") and visible(no_server, no_server, "server")
    assert visible(DM_ANA, COZY_GENERAL, "everywhere")
    telegram_dm = Where("telegram", "dm", "100")  # the same id on another platform is another chat
    assert not visible(DM_ANA, telegram_dm, "server") and not visible(DM_ANA, telegram_dm, "channel")


def test_nothing_that_answered_an_opted_out_person_is_recalled(tmp_path: Path) -> None:
    idx = index(tmp_path, "everywhere")
    assert keys(idx, COZY_GENERAL, opt_out=["3"]) == {"dm-ana", "dm-ben", "cozy-general", "cozy-thread", "other"}
    assert keys(idx, COZY_GENERAL, opt_out=["3", "1"]) == {"dm-ben", "cozy-general", "other"}
    assert keys(idx, COZY_GENERAL) == {m.key for m in MEMORIES}  # the cached exclusion follows the opt-out list
    idx.add([memory("late", COZY_GENERAL, 7, "cleo left her locker open", "classic", by="3")])
    assert "late" not in keys(idx, COZY_GENERAL, opt_out=["3"])  # a memory added since is excluded too


def test_opted_out_names_are_written_as_someone(tmp_path: Path) -> None:
    idx = index(tmp_path, "server")
    [found] = idx.search(QUERY, GROUP, hidden_names=["Cleo"])
    assert found.memory.reply == ("someone does",)
    assert found.memory.context[0].speaker == "someone"
    assert found.memory.place.channel == "ana, ben"


def test_forgetting_a_person_forgets_what_answered_them(tmp_path: Path) -> None:
    idx = index(tmp_path, "everywhere")
    assert idx.forget(idx.select(person="3")) == 2
    assert keys(idx, COZY_GENERAL) == {"dm-ana", "dm-ben", "cozy-general", "cozy-thread", "other"}
