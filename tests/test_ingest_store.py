"""DCE exports through discovery and the store: idempotent, overlap-aware, one transaction per file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shizu.cli import app
from shizu.ingest.base import FileReport
from shizu.ingest.pipeline import discover, ingest_sources
from shizu.store import MessageStore

FIXTURES = Path(__file__).parent / "fixtures" / "dce"
LAYOUT = FIXTURES / "layout"
DAMAGED = FIXTURES / "damaged"
CHAT = "Part guild - Text Channels - chat [340000000000000010]"


def ingest(store: MessageStore, *paths: Path) -> list[FileReport]:
    sources, _ignored, _ = discover(list(paths))
    return ingest_sources(store, sources)


def snapshot(store: MessageStore) -> tuple:
    """Everything stored except provenance (which file, when)."""
    db = store.db
    return (
        db.execute(
            "SELECT id, platform, channel_id, author_id, author_name, ts, content, reply_to, kind, is_system,"
            " edited_ts, extras, quality FROM messages ORDER BY id"
        ).fetchall(),
        db.execute("SELECT * FROM channels ORDER BY id").fetchall(),
        db.execute("SELECT * FROM authors ORDER BY id").fetchall(),
    )


def counts(reports: list[FileReport]) -> list[tuple[str, str, int, int, int]]:
    return [(Path(r.source.name).name, r.format, r.counts.read, r.counts.new, r.counts.present) for r in reports]


@pytest.fixture
def store(tmp_path: Path):
    with MessageStore(tmp_path / "shizu.db") as s:
        yield s


def test_same_export_twice_changes_nothing(store: MessageStore) -> None:
    first = ingest(store, FIXTURES / "versions", FIXTURES / "csv" / "Server - general [350000000000000001].csv")
    assert [r.error for r in first] == [None] * 6
    assert sorted(counts(first)) == sorted([
        ("Cool server - Text Channels - general [320000000000000010].json", "dce-json", 10, 10, 0),
        ("Cool server - Text Channels - memes [320000000000000011].json", "dce-json", 7, 7, 0),
        ("Cool server - Text Channels - random [320000000000000012].json", "dce-json", 2, 2, 0),
        ("Cool server - general - plans [320000000000000030].json", "dce-json", 6, 6, 0),
        ("Direct Messages - Private - wumpus [310000000000000001].json", "dce-json", 6, 6, 0),
        ("Server - general [350000000000000001].csv", "dce-csv", 2, 2, 0),
    ])
    assert store.count() == 33
    before = snapshot(store)
    again = ingest(store, FIXTURES / "versions", FIXTURES / "csv" / "Server - general [350000000000000001].csv")
    assert [(name, read, new, present) for name, _, read, new, present in counts(again)] == [
        (name, read, 0, read) for name, _, read, _, _ in counts(first)
    ]
    assert snapshot(store) == before
    assert store.count() == 33
    # What was stored reads back as the importer produced it.
    channels = store.channels()
    assert channels["320000000000000030"].kind == "thread" and channels["320000000000000030"].parent_name == "general"
    assert channels["310000000000000001"].kind == "dm" and channels["310000000000000001"].guild_id is None
    replies = {m.id: m.reply_to for m in store.iter_messages("320000000000000010") if m.reply_to}
    assert len(replies) == 4
    memes = {m.id: m for m in store.iter_messages("320000000000000011")}
    assert memes["1100000000000000001"].custom_emoji == {"kekw": "782589696621805568", "dance": "123456789012345678"}
    assert [e.kind for e in memes["1100000000000000004"].embeds] == ["image", "gif", "link"]


def test_newer_overlapping_export_adds_only_what_is_new(store: MessageStore) -> None:
    (old,) = ingest(store, LAYOUT / f"{CHAT} old.json")
    assert (old.counts.read, old.counts.new) == (5, 5)
    (new,) = ingest(store, LAYOUT / f"{CHAT} new.json")
    assert (new.counts.read, new.counts.new, new.counts.present) == (6, 3, 3)
    assert [m.id for m in store.iter_messages()] == [f"15000000000000000{i:02d}" for i in range(1, 9)]


def test_partitions_reversed_and_minified_files_make_one_channel(store: MessageStore, tmp_path: Path) -> None:
    parts = ingest(store, LAYOUT / f"{CHAT} [part 1].json", LAYOUT / f"{CHAT} [part 2].json")
    assert [(r.counts.read, r.counts.new) for r in parts] == [(4, 4), (4, 4)]
    others = ingest(store, LAYOUT / f"{CHAT} crlf.json", LAYOUT / f"{CHAT} reversed.json", LAYOUT / f"{CHAT} minified.json")
    assert [(r.counts.read, r.counts.new) for r in others] == [(8, 0)] * 3
    with MessageStore(tmp_path / "single.db") as single:
        ingest(single, LAYOUT / f"{CHAT} reversed.json")
        assert snapshot(single) == snapshot(store)
    messages = list(store.iter_messages())
    assert [m.id for m in messages] == [f"15000000000000000{i:02d}" for i in range(1, 9)]  # time order
    assert messages[4].reply_to == messages[3].id


def test_a_damaged_file_leaves_the_store_unchanged(store: MessageStore) -> None:
    ingest(store, LAYOUT / f"{CHAT} [part 1].json")
    before = snapshot(store)
    sources_before = store.db.execute("SELECT count(*) FROM sources").fetchone()[0]
    garbage = DAMAGED / f"{CHAT} garbage.json"
    reports = ingest(store, garbage, LAYOUT / f"{CHAT} [part 2].json")
    failed, ok = reports
    data = garbage.read_bytes()
    offset = data.index(b"\x07")
    line = data[:offset].count(b"\n") + 1
    assert failed.counts is None
    assert failed.error.startswith(f"{garbage} (byte {offset}, line {line}): ")
    assert (ok.error, ok.counts.new) == (None, 4)  # the next file still goes in
    assert store.count() == 8
    # The failed file wrote nothing: take part 2 out again and compare.
    store.db.execute("DELETE FROM messages WHERE source_id = (SELECT max(id) FROM sources)")
    assert snapshot(store)[0] == before[0]
    assert store.db.execute("SELECT count(*) FROM sources").fetchone()[0] == sources_before + 1


def test_truncated_file_is_stored_up_to_its_last_complete_message(store: MessageStore) -> None:
    (report,) = ingest(store, DAMAGED / f"{CHAT} truncated.json")
    assert report.error is None and report.counts.new == 6
    assert "recovered 6 complete messages" in report.warnings[0]
    (header,) = ingest(store, DAMAGED / f"{CHAT} truncated header.json")
    assert "ends before its first message" in header.error
    assert store.count() == 6


def test_csv_reimport_and_every_csv_fixture(store: MessageStore) -> None:
    csv = FIXTURES / "csv"
    good = [p for p in sorted(csv.glob("*.csv")) if "broken" not in p.name]
    first = ingest(store, *good)
    assert [r.error for r in first] == [None] * len(good)
    total = store.count()
    assert total == sum(r.counts.new for r in first) == 20
    again = ingest(store, *good)
    assert sum(r.counts.new for r in again) == 0 and store.count() == total


def test_discover_sniffs_by_content_in_folders_and_zips(tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    shutil.copytree(FIXTURES / "media", folder)
    (folder / "renamed.txt").write_bytes((LAYOUT / f"{CHAT} [part 1].json").read_bytes())
    (folder / "table.dat").write_bytes((FIXTURES / "csv" / "Server - general [350000000000000001].csv").read_bytes())
    archive = tmp_path / "exports.zip"
    shutil.make_archive(str(tmp_path / "exports"), "zip", folder)
    found, ignored, _ = discover([folder, archive])
    kinds = sorted((s.member or s.path.name, imp.format) for s, imp in found)
    assert kinds == sorted([
        ("Media guild - Text Channels - pics [330000000000000010].json", "dce-json"),
        ("renamed.txt", "dce-json"),
        ("table.dat", "dce-csv"),
        ("Media guild - Text Channels - pics [330000000000000010].json", "dce-json"),
        ("renamed.txt", "dce-json"),
        ("table.dat", "dce-csv"),
    ])
    assert len(ignored) == 4  # the two media files, in the folder and in the archive


# -- the CLI -----------------------------------------------------------------------------------


def test_cli_ingest_prints_format_and_counts_per_file(tmp_path: Path) -> None:
    runner = CliRunner()
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws)]).exit_code == 0
    files = [str(LAYOUT / f"{CHAT} old.json"), str(FIXTURES / "csv" / "Server - general [350000000000000001].csv")]
    result = runner.invoke(app, ["ingest", *files, "--workspace", str(ws), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert [(Path(f["path"]).name, f["format"], f["read"], f["new"], f["present"]) for f in summary["files"]] == [
        (f"{CHAT} old.json", "dce-json", 5, 5, 0),
        ("Server - general [350000000000000001].csv", "dce-csv", 2, 2, 0),
    ]
    assert summary["messages_in_store"] == 7

    table = runner.invoke(app, ["ingest", str(LAYOUT / f"{CHAT} new.json"), "--workspace", str(ws)],
                          env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    line = next(row for row in table.output.splitlines() if "new.json" in row)
    assert [cell for cell in line.split() if cell != "│"][-5:] == ["dce-json", "6", "3", "3", "0"]
    assert "The store now holds 10 messages." in table.output


def test_cli_ingest_reports_a_damaged_file_and_fails(tmp_path: Path) -> None:
    runner = CliRunner()
    ws = tmp_path / "ws"
    runner.invoke(app, ["init", str(ws)])
    garbage = DAMAGED / f"{CHAT} garbage.json"
    result = runner.invoke(app, ["ingest", str(garbage), str(LAYOUT / f"{CHAT} [part 1].json"), "--workspace", str(ws)],
                           env={"COLUMNS": "300"})
    assert result.exit_code == 1
    out = " ".join(result.output.split())
    assert "failed" in out and "is not valid JSON" in out and "(byte 2641, line 97)" in out
    assert "Nothing from this file was stored" in out
    assert "The store now holds 4 messages." in out
