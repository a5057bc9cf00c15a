"""One bad file never costs the rest, whatever the exception; archive members cannot expand without bound."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from shizu.errors import IngestError
from shizu.ingest.dce_json import DceJsonImporter
from shizu.ingest.pipeline import discover, ingest_sources
from shizu.ingest.source import Source, check_member
from shizu.store import MessageStore

MESSAGE = {
    "id": "100", "type": "Default", "timestamp": "2023-03-01T10:00:00+00:00", "content": "hi",
    "author": {"id": "9", "name": "mika", "isBot": False}, "attachments": [],
}
DEEP = 200_000


def dce(channel_id: str, **extra: object) -> str:
    """A one-message DiscordChatExporter JSON; a value "DEEP" becomes an array nested 200,000 deep."""
    data = {"guild": {"id": "1", "name": "G"}, "channel": {"id": channel_id, "type": "GuildTextChat", "name": f"c{channel_id}"},
            "messages": [{**MESSAGE, "id": f"{channel_id}00", **extra}]}
    return json.dumps(data).replace('"DEEP"', "[" * DEEP + "]" * DEEP)


@pytest.mark.parametrize("worker", [False, True])
def test_a_file_nested_200000_deep_fails_alone(tmp_path: Path, worker: bool) -> None:
    (tmp_path / "G - deep [3].json").write_text(dce("3", extra_field="DEEP"), encoding="utf-8")
    (tmp_path / "G - ok [2].json").write_text(dce("2"), encoding="utf-8")
    found, _, _ = discover([tmp_path])
    with MessageStore(tmp_path / "db.sqlite") as store:
        deep, ok = ingest_sources(store, found, worker=worker)
        assert store.count() == 1
    assert deep.error == (
        f"{tmp_path / 'G - deep [3].json'}: is nested too deeply to read (JSON deeper than about 1,000 levels); no real export"
        " nests like that, so the file is damaged or crafted. Nothing from it was stored."
    )
    assert ok.error is None and ok.counts is not None and ok.counts.new == 1


def test_an_importer_bug_fails_that_file_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "G - a [2].json").write_text(dce("2"), encoding="utf-8")
    (tmp_path / "G - b [3].json").write_text(dce("3"), encoding="utf-8")
    real = DceJsonImporter.read

    def read(self: DceJsonImporter, source: Source, report: object):  # type: ignore[no-untyped-def]
        if "[2]" in source.name:
            raise KeyError("surprise")
        return real(self, source, report)

    monkeypatch.setattr(DceJsonImporter, "read", read)
    found, _, _ = discover([tmp_path])
    with MessageStore(tmp_path / "db.sqlite") as store:
        bug, ok = ingest_sources(store, found, worker=False)
        assert store.count() == 1
    assert bug.error is not None and bug.error.startswith(f"{tmp_path / 'G - a [2].json'}: could not be read: KeyError: 'surprise'.")
    assert "This is a bug in Shizu's DiscordChatExporter JSON importer" in bug.error
    assert ok.error is None


def test_a_zip_bomb_member_is_refused_by_name_and_the_rest_ingests(tmp_path: Path) -> None:
    bomb = tmp_path / "export.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("G - ok [2].json", dce("2"))
        padding = " " * (80 * 1024 * 1024)  # 80 MB of spaces after the JSON: compresses about 1000x
        zf.writestr("G - bomb [3].json", dce("3") + padding)
    assert bomb.stat().st_size < 1_000_000
    found, _, _ = discover([bomb])
    with MessageStore(tmp_path / "db.sqlite") as store:
        reports = {r.source.member: r for r in ingest_sources(store, found, worker=False)}
        assert store.count() == 1
    error = reports["G - bomb [3].json"].error
    assert error is not None and error.startswith(f"{bomb}!G - bomb [3].json: expands ")
    assert "over the 100x limit for archive members" in error and "SHIZU_MAX_ZIP_RATIO=" in error
    assert reports["G - ok [2].json"].error is None


def test_member_limits_can_be_raised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.json", " " * (70 * 1024 * 1024))
    member = Source(archive, "big.json")
    with pytest.raises(IngestError, match=r"over the 100x limit"):
        check_member(member)
    monkeypatch.setenv("SHIZU_MAX_ZIP_RATIO", "100000")
    check_member(member)
    monkeypatch.setenv("SHIZU_MAX_MEMBER_MB", "10")
    with pytest.raises(IngestError, match=r"expands to 73 MB, over the 10 MB limit for one archive member"):
        check_member(member)
