"""``shizu stats``: exact figures from a hand-built store, "me" detection and guidance, the HTML report."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from shizu.cli import app
from shizu.errors import WorkspaceError
from shizu.message import Author, Channel, Message
from shizu.stats.report import median_length
from shizu.store.summary import LENGTH_CAP, activity
from shizu.workspace import Workspace

ME = Author(id="100", name="mika", display_name="Mika")
ALICE = Author(id="200", name="alice", display_name="[bold]Alice[/]")  # rich markup must print literally
BOB = Author(id="300", name="bob", display_name="Bob <3")  # HTML must escape it
BOT = Author(id="900", name="dj", display_name="DJ Bot", is_bot=True)
DM_ALICE = Channel(id="10", name="alice", kind="dm")
DM_BOB = Channel(id="11", name="bob", kind="dm")
GENERAL = Channel(id="20", name="general", kind="guild-text", guild_id="5", guild_name="Guild")
THREAD = Channel(
    id="21", name="plans", kind="thread", guild_id="5", guild_name="Guild", parent_id="20", parent_name="general"
)
T0 = datetime(2024, 1, 1, 9, 30, tzinfo=UTC)

runner = CliRunner()


def msg(mid: int, channel: Channel, author: Author, hours: float, content: str = "hi", **kw) -> Message:
    return Message(
        id=str(mid), channel=channel, author=author, timestamp=T0 + timedelta(hours=hours), content=content, **kw
    )


# 9 messages: Mika 3 (two DMs and the thread), Alice 3, Bob 1, the bot 1, one system message by Alice.
MESSAGES = [
    msg(1, DM_ALICE, ALICE, 0, "hey"),
    msg(2, DM_ALICE, ME, 1, "hello there"),
    msg(3, DM_BOB, ME, 24, "yo"),
    msg(4, DM_BOB, BOB, 25, "sup"),
    msg(5, GENERAL, ALICE, 48, "x" * 500),
    msg(6, GENERAL, BOT, 49, "Now playing"),
    msg(7, GENERAL, ALICE, 50, "", kind="ChannelPinnedMessage", is_system=True),
    msg(8, THREAD, ME, 24 * 40, "see you"),
    msg(9, THREAD, ALICE, 24 * 40 + 3, "bye"),
]


def make_ws(tmp_path: Path, messages: list[Message], *, me: list[str] | None = None,
            accounts: tuple[Author, ...] = ()) -> Workspace:
    ws = Workspace.create(tmp_path / "ws", me=me or [])
    with ws.open_store() as store:
        store.write_source(messages, path="export.json", format="test", sha256="0" * 64, quality=2, accounts=accounts)
    return ws


def stats(ws: Workspace, *args: str) -> Result:
    return runner.invoke(app, ["stats", "--workspace", str(ws.root), *args], env={"COLUMNS": "200"})


def stats_json(ws: Workspace) -> dict:
    result = stats(ws, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_json_has_exact_figures(tmp_path: Path) -> None:
    data = stats_json(make_ws(tmp_path, MESSAGES, me=["100"]))
    assert data == {
        "messages": 9,
        "channels": 4,
        "authors": [
            {"id": "200", "name": "[bold]Alice[/]", "username": "alice", "messages": 4, "bot": False, "me": False},
            {"id": "100", "name": "Mika", "username": "mika", "messages": 3, "bot": False, "me": True},
            {"id": "300", "name": "Bob <3", "username": "bob", "messages": 1, "bot": False, "me": False},
            {"id": "900", "name": "DJ Bot", "username": "dj", "messages": 1, "bot": True, "me": False},
        ],
        "first": "2024-01-01T09:30:00Z",
        "last": "2024-02-10T12:30:00Z",
        "me": ["100"],
        "me_accounts": [],
        "me_messages": 3,
        "me_without_messages": [],
        "me_candidates": [],
        "channels_by_kind": {"dm": 2, "guild-text": 1, "thread": 1},
        "messages_by_kind": {"dm": 4, "guild-text": 3, "thread": 2},
        "per_channel": [
            {"id": "20", "name": "general", "kind": "guild-text", "guild": "Guild", "parent": None, "messages": 3},
            {"id": "10", "name": "alice", "kind": "dm", "guild": None, "parent": None, "messages": 2},
            {"id": "11", "name": "bob", "kind": "dm", "guild": None, "parent": None, "messages": 2},
            {"id": "21", "name": "plans", "kind": "thread", "guild": "Guild", "parent": "general", "messages": 2},
        ],
        "bot_messages": 1,
        "system_messages": 1,
    }


def test_terminal_summary_names_authors_and_me(tmp_path: Path) -> None:
    result = stats(make_ws(tmp_path, MESSAGES, me=["100"]))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Messages  9  (2024-01-01 → 2024-02-10, UTC)" in out
    assert "1 from bots, 1 system messages" in out
    assert "Channels  4 (dm 2, guild-text 1, thread 1)" in out
    assert "Guild / #general / plans" in out
    assert "[bold]Alice[/] @alice" in out
    assert "Me  100 (Mika): 3 messages (33.3%)" in out
    assert "not set" not in out and "warning" not in out


def test_me_from_accounts_table_and_config_id_without_messages(tmp_path: Path) -> None:
    ws = make_ws(tmp_path, MESSAGES, me=["555"], accounts=(Author(id="100", name="mika"),))
    data = stats_json(ws)
    assert (data["me"], data["me_accounts"], data["me_messages"]) == (["100", "555"], ["100"], 3)
    assert data["me_without_messages"] == ["555"]
    assert [a["id"] for a in data["authors"] if a["me"]] == ["100"]
    out = stats(ws).stdout
    assert f'warning: "me" id 555 (from [persona] me in {ws.config_path}) has no messages in the store.' in out
    assert "Me  100 (Mika), 555: 3 messages (33.3%)" in out


def test_unknown_me_lists_candidates_and_the_line_to_add(tmp_path: Path) -> None:
    # Alice has the most messages, but only Mika is in both DMs: the exporter is in every DM.
    ws = make_ws(tmp_path, MESSAGES)
    data = stats_json(ws)
    assert data["me"] == [] and data["me_messages"] == 0
    assert data["me_candidates"] == [
        {"id": "100", "name": "Mika", "username": "mika", "messages": 3, "dm_channels": 2},
        {"id": "200", "name": "[bold]Alice[/]", "username": "alice", "messages": 4, "dm_channels": 1},
        {"id": "300", "name": "Bob <3", "username": "bob", "messages": 1, "dm_channels": 1},
    ]
    out = stats(ws).stdout
    assert '"me" is not set' in out
    assert f"Set your id in the [persona] section of {ws.config_path}, for example:\n" in out
    assert '    me = ["100"]\n' in out
    assert "DJ Bot" not in out.split('"me" is not set')[1]  # bots are never offered


def test_html_report_writes_plots(tmp_path: Path) -> None:
    ws = make_ws(tmp_path, MESSAGES, me=["100"])
    result = stats(ws, "--html")
    assert result.exit_code == 0, result.output
    index = ws.reports_dir / "stats" / "index.html"
    assert f"Report: {index}" in result.stdout
    page = index.read_text(encoding="utf-8")
    for name in ("over_time.png", "hour_of_day.png", "lengths.png"):
        png = index.parent / name
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 1000
        assert f'src="{name}"' in page
    assert "<td>Bob &lt;3</td>" in page and "Bob <3" not in page
    assert "<tr class=me><td>100</td><td>Mika</td>" in page
    assert "you 7, others 3" in page  # median lengths: Mika 2/7/11 chars, other people 3/3/3/300+


def test_html_with_json_keeps_stdout_json(tmp_path: Path) -> None:
    ws = make_ws(tmp_path, MESSAGES)
    result = stats(ws, "--json", "--html")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["messages"] == 9
    assert "Report: " in result.stderr
    assert (ws.reports_dir / "stats" / "lengths.png").stat().st_size > 1000


def test_activity_series_are_exact(tmp_path: Path) -> None:
    ws = make_ws(tmp_path, MESSAGES)
    with ws.open_store() as store:
        act = activity(store, ["100"], MESSAGES[0].timestamp, MESSAGES[-1].timestamp)
    # 41 days: weekly, Monday-aligned; 2024-01-01 is a Monday. Bots and system messages left out.
    assert act.period == "week"
    assert act.period_starts == [date(2024, 1, 1) + timedelta(weeks=w) for w in range(6)]
    assert act.period_mine == [2, 0, 0, 0, 0, 1]
    assert act.period_others == [3, 0, 0, 0, 0, 1]
    assert {h: n for h, n in enumerate(act.hour_mine) if n} == {9: 2, 10: 1}
    assert {h: n for h, n in enumerate(act.hour_others) if n} == {9: 2, 10: 1, 12: 1}
    assert {n: c for n, c in enumerate(act.length_mine) if c} == {2: 1, 7: 1, 11: 1}
    assert {n: c for n, c in enumerate(act.length_others) if c} == {3: 3, LENGTH_CAP: 1}


def test_activity_is_monthly_over_long_spans(tmp_path: Path) -> None:
    messages = [msg(1, GENERAL, ME, 0), msg(2, GENERAL, BOB, 24 * 200)]  # 2024-01-01 and 2024-07-19
    ws = make_ws(tmp_path, messages)
    with ws.open_store() as store:
        act = activity(store, [], messages[0].timestamp, messages[1].timestamp)
    assert act.period == "month"
    assert act.period_starts == [date(2024, m, 1) for m in range(1, 8)]
    assert act.period_mine == [0] * 7
    assert act.period_others == [1, 0, 0, 0, 0, 0, 1]


def test_median_length() -> None:
    assert median_length([0, 0, 0]) is None
    assert median_length([1, 0, 1, 1]) == 2
    assert median_length([2, 0, 0, 2]) == 0


def test_empty_store_is_explained(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "ws")
    result = stats(ws)
    assert result.exit_code == 0, result.output
    assert "The message store is empty: nothing has been ingested yet." in result.stdout
    assert "shizu ingest PATH..." in result.stdout
    data = stats_json(ws)
    assert (data["messages"], data["first"], data["last"], data["authors"]) == (0, None, None, [])
    result = stats(ws, "--html")
    assert isinstance(result.exception, WorkspaceError)
    assert "is empty" in result.exception.message and "shizu ingest" in result.exception.hint
    assert not (ws.reports_dir / "stats").exists()


@pytest.mark.parametrize("me", [[], ["100"]])
def test_html_for_empty_persona_series(tmp_path: Path, me: list[str]) -> None:
    """Only bots and system messages: the plots are drawn empty instead of failing."""
    ws = make_ws(tmp_path, [MESSAGES[5], MESSAGES[6]], me=me)
    result = stats(ws, "--html")
    assert result.exit_code == 0, result.output
    assert (ws.reports_dir / "stats" / "lengths.png").stat().st_size > 1000


def test_opted_out_people_are_not_listed_nor_named_in_places(tmp_path: Path) -> None:
    ws = make_ws(tmp_path, MESSAGES, me=["100"])
    text = ws.config_path.read_text(encoding="utf-8").replace("opt_out = []", 'opt_out = ["300"]', 1)
    ws.config_path.write_text(text, encoding="utf-8")
    data = stats_json(Workspace(ws.root))
    assert "300" not in [a["id"] for a in data["authors"]]
    assert data["messages"] == len(MESSAGES)  # the totals still count their messages
    assert {c["id"]: c["name"] for c in data["per_channel"]}["11"] == ""  # the DM named after Bob
    result = stats(Workspace(ws.root), "--html")
    assert result.exit_code == 0, result.output
    page = (ws.reports_dir / "stats" / "index.html").read_text(encoding="utf-8")
    assert "bob" not in page.lower()
    assert "bob" not in result.stdout.lower()
