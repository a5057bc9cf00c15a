"""The Discord data package importer: every era's layout, a zipped package, localised folder names,
the real 2020 package, errors, and the upgrade to a DiscordChatExporter export of the same messages."""

from __future__ import annotations

import shutil
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from real_exports import REAL_EXPORTS, needs_real
from shizu.errors import IngestError
from shizu.ingest.base import FileReport
from shizu.ingest.data_package import PLACEHOLDER_OWNER, DataPackageImporter
from shizu.ingest.source import Source, zip_members
from shizu.message import Attachment, Author, Channel, Embed, Message
from shizu.store import MessageStore

FIXTURES = Path(__file__).parent / "fixtures" / "data_package"
REAL = REAL_EXPORTS / "discord_data_package_2020"

ME = "283746519204872193"
ALICE = "290182736451928064"
GUILD = "317743050724081665"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def read_all(sources: list[Source]) -> tuple[dict[str, Message], list[FileReport]]:
    """Every message the importer reads from the sources it recognises, by id, and the reports."""
    importer = DataPackageImporter()
    messages: dict[str, Message] = {}
    reports = []
    for source in sources:
        if importer.sniff(source, source.head()):
            report = FileReport(source=source, format=importer.format)
            for msg in importer.read(source, report):
                assert msg.id not in messages
                messages[msg.id] = msg
            reports.append(report)
    return messages, reports


def folder_sources(root: Path) -> list[Source]:
    return [Source(p) for p in sorted(root.rglob("*")) if p.is_file()]


def test_2020_era_csv_without_c_prefix() -> None:
    messages, reports = read_all(folder_sources(FIXTURES / "2020_csv"))
    assert [r.source.filename for r in reports] == ["messages.csv"]
    report = reports[0]
    owner = Author(id=ME, name="rin")
    assert report.accounts == [owner]
    assert dict(report.skipped) == {"no-id": 1, "bad-timestamp": 1}
    assert report.warnings == []
    channel = Channel(id="397690483507200001", name="Alice", kind="dm")
    first, second, third = (messages[i] for i in ("489082187048550405", "489082695188480006", "489083150203355143"))
    assert list(messages) == [third.id, second.id, first.id]  # the file is newest first
    assert {m.channel for m in messages.values()} == {channel}
    assert {m.author for m in messages.values()} == {owner}
    assert first.content == 'she said "hi"'
    assert first.timestamp == at("2018-09-11T14:38:00.100")
    # Recipient Alice is named by the DM's index.json label; Bob is unknown to the package.
    assert second.content == "hi @Alice and @Unknown"
    assert second.attachments == (
        Attachment(url="https://cdn.discordapp.com/attachments/397690483507200001/489082695188480005/a.png",
                   filename="a.png"),
        Attachment(url="https://cdn.discordapp.com/attachments/397690483507200001/489082695188480004/b%20c.png",
                   filename="b c.png"),
    )
    assert third.content == "multi\nline, with comma"
    # The file says 14:41:49 (no fraction); the id knows the millisecond.
    assert third.timestamp == at("2018-09-11T14:41:49.734")


def test_2022_era_csv_with_c_prefix_keeps_custom_emoji_and_gifs() -> None:
    messages, reports = read_all(folder_sources(FIXTURES / "2022_csv_c"))
    assert len(reports) == 1 and dict(reports[0].skipped) == {}
    channel = Channel(id="574565965103104003", name="memes", kind="guild-text", guild_id=GUILD,
                      guild_name="Rin's Server")
    assert {m.channel for m in messages.values()} == {channel}
    attachment_only = messages["948308646301794305"]
    assert attachment_only.content == ""
    assert attachment_only.attachments == (Attachment(
        url="https://cdn.discordapp.com/attachments/574565965103104003/948308646301794305/unknown.png"
            "?ex=65f0a1b2&is=65de2cb2&hm=0a1b2c3d&",
        filename="unknown.png",
    ),)
    markup = messages["948308669366272002"]
    assert markup.content == "go to #general :kekw: :party: @deleted-role"
    assert markup.custom_emoji == {"kekw": "782589696621805568", "party": "782589696621805569"}
    assert markup.timestamp == at("2022-03-01T20:00:05.500")
    gif = messages["948308897955840003"]
    assert gif.content == "https://tenor.com/view/cat-vibing-gif-18376235"
    assert gif.embeds == (Embed(url="https://tenor.com/view/cat-vibing-gif-18376235", kind="gif"),)


def test_2024_era_json_with_int64_ids_and_numeric_types() -> None:
    messages, reports = read_all(folder_sources(FIXTURES / "2024_json"))
    by_channel = {r.source.parts[-2]: r for r in reports}
    assert dict(by_channel["c849074769100800004"].skipped) == {"no-id": 1, "malformed": 1}
    owner = Author(id=ME, name="rin", display_name="Rin")
    assert {m.author for m in messages.values()} == {owner}
    group = Channel(id="849074769100800004", name="the trio", kind="group")
    thread = Channel(id="1070493754982400005", name="raid planning", kind="thread", guild_id=GUILD,
                     guild_name="Rin's Server")
    # IDs above 2**53 survive exactly, and times come from them (the file has whole seconds).
    assert {i: (m.channel, m.timestamp, m.content) for i, m in messages.items()} == {
        "1224282612952989699": (group, at("2024-04-01T09:02:00.999"), "ok see you 😭"),
        "1224282134810722306": (group, at("2024-04-01T09:00:07.001"), "@Unknown wanna play"),
        "1224282109007364097": (group, at("2024-04-01T09:00:00.849"), "hey"),
        "1236746781065216001": (thread, at("2024-05-05T18:30:10.250"), "tuesday works"),
    }


def test_2025_era_capitalised_folders_string_types_and_friend_names() -> None:
    messages, reports = read_all(folder_sources(FIXTURES / "2025_json"))
    owner = Author(id=ME, name="rin.dev", display_name="Rin")
    assert all(r.accounts == [owner] for r in reports) and len(reports) == 2
    dm = Channel(id="673347364978688006", name="Alice", kind="dm")
    general = Channel(id="574565969297408007", name="general", kind="guild-text", guild_id=GUILD,
                      guild_name="Rin's Server")
    assert {i: (m.channel, m.content, m.timestamp) for i, m in messages.items()} == {
        "1391677115727872002": (dm, "thanks @Alice!", at("2025-07-07T07:08:00.500")),
        "1391676891361968129": (dm, "morning", at("2025-07-07T07:07:07.007")),
        "1392082786713600003": (general, "hello server", at("2025-07-08T10:00:00")),
    }


def _expected_2025() -> dict[str, tuple]:
    messages, _ = read_all(folder_sources(FIXTURES / "2025_json"))
    return {i: (m.channel, m.author, m.timestamp, m.content) for i, m in messages.items()}


def test_zipped_package_reads_like_the_folder(tmp_path: Path) -> None:
    archive = tmp_path / "package.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted((FIXTURES / "2025_json").rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(FIXTURES / "2025_json").as_posix())
    messages, reports = read_all(zip_members(archive))
    assert len(reports) == 2
    assert {i: (m.channel, m.author, m.timestamp, m.content) for i, m in messages.items()} == _expected_2025()


def test_localised_folder_names_are_found_by_layout(tmp_path: Path) -> None:
    root = tmp_path / "paquete"
    shutil.copytree(FIXTURES / "2025_json", root)
    (root / "Messages").rename(root / "Mensajes")
    (root / "Account").rename(root / "Cuenta")
    (root / "Actividad").mkdir()  # other top-level folders do not confuse the search for user.json
    messages, _ = read_all(folder_sources(root))
    assert {i: (m.channel, m.author, m.timestamp, m.content) for i, m in messages.items()} == _expected_2025()


def test_missing_user_json_uses_a_placeholder_and_warns_once(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "2024_json", tmp_path / "pkg")
    shutil.rmtree(tmp_path / "pkg" / "account")
    messages, reports = read_all(folder_sources(tmp_path / "pkg"))
    assert {m.author for m in messages.values()} == {Author(id=PLACEHOLDER_OWNER)}
    assert all(r.accounts == [] for r in reports)
    warnings = [w for r in reports for w in r.warnings]
    assert len(warnings) == 1
    assert "shizu init --me" in warnings[0] and "[persona]" in warnings[0] and PLACEHOLDER_OWNER in warnings[0]


def test_sniff_claims_only_channel_message_files(tmp_path: Path) -> None:
    importer = DataPackageImporter()
    claimed = [s.path.relative_to(FIXTURES).as_posix() for s in folder_sources(FIXTURES)
               if importer.sniff(s, s.head())]
    assert sorted(claimed) == sorted(
        p.relative_to(FIXTURES).as_posix() for p in FIXTURES.rglob("messages.*")
    )
    loose = tmp_path / "messages.csv"  # right header, but not inside a channel folder
    loose.write_text("ID,Timestamp,Contents,Attachments\r\n", encoding="utf-8")
    dce = tmp_path / "c123" / "messages.json"  # in a channel folder, but a DCE document
    dce.parent.mkdir()
    dce.write_text('{"guild": {"id": "0"}, "messages": [{"id": "1"}]}', encoding="utf-8")
    assert not importer.sniff(Source(loose), loose.read_bytes())
    assert not importer.sniff(Source(dce), dce.read_bytes())


def test_truncated_json_names_the_file_and_line_and_stores_nothing(tmp_path: Path) -> None:
    target = tmp_path / "pkg" / "messages" / "c849074769100800004" / "messages.json"
    shutil.copytree(FIXTURES / "2024_json", tmp_path / "pkg")
    target.write_bytes(target.read_bytes()[:-40])
    importer = DataPackageImporter()
    source = Source(target)
    assert importer.sniff(source, source.head())
    with MessageStore(tmp_path / "store.db") as store:
        with pytest.raises(IngestError) as info:
            store.write_source(importer.read(source, FileReport(source=source)), path=source.name,
                               format=importer.format, sha256="x", quality=importer.quality)
        assert store.count() == 0
    assert str(target) in info.value.message and info.value.position == "line 6"
    assert info.value.hint
    target.write_bytes(target.read_bytes().replace(b'"lost id",', b'"lost id"'))  # now broken on line 3
    with pytest.raises(IngestError) as info:
        list(importer.read(source, FileReport(source=source)))
    assert info.value.position == "line 3"


def test_csv_without_an_id_column_is_an_error(tmp_path: Path) -> None:
    target = tmp_path / "messages" / "c1" / "messages.csv"
    target.parent.mkdir(parents=True)
    target.write_text("ID,Timestamp,Contents,Attachments\r\n", encoding="utf-8")
    source = Source(target)
    assert DataPackageImporter().sniff(source, source.head())
    target.write_text("Id,Timestamp,Contents,Attachments\r\n1,2020-01-01 00:00:00+00:00,x,\r\n", encoding="utf-8")
    with pytest.raises(IngestError, match="has no ID column"):
        list(DataPackageImporter().read(source, FileReport(source=source)))


@needs_real(REAL)
def test_real_2020_package_exact_counts() -> None:
    messages, reports = read_all(folder_sources(REAL))
    counts = {r.source.parts[-2]: r.counts for r in reports}
    assert sorted(counts) == ["364055685807210506", "487633937825398784"]
    assert all(not r.skipped for r in reports)
    by_channel: dict[str, list[Message]] = {}
    for msg in messages.values():
        by_channel.setdefault(msg.channel.id, []).append(msg)
    assert {cid: len(msgs) for cid, msgs in by_channel.items()} == {
        "364055685807210506": 48, "487633937825398784": 417,
    }
    dm = by_channel["364055685807210506"][0].channel
    guild = by_channel["487633937825398784"][0].channel
    assert dm == Channel(id="364055685807210506", name="PeriodicTableBot", kind="dm")
    assert guild == Channel(id="487633937825398784", name="coding-and-programming-nerd-stuff", kind="guild-text",
                            guild_id="317743050724081665", guild_name="The Big Magic Gays")
    with_files = [m for m in messages.values() if m.attachments]
    assert len(with_files) == 32
    assert sum(1 for m in with_files if m.content == "") == 28
    assert {m.author for m in messages.values()} == {Author(id=PLACEHOLDER_OWNER)}
    assert len([w for r in reports for w in r.warnings]) == 1
    assert messages["364114385700126721"].timestamp == at("2017-10-01T18:20:34.469")
    assert messages["364114385700126721"].content == "Mg"
    assert any("\\n" in m.content for m in messages.values())  # a literal backslash-n stays as written


def test_a_dce_export_of_the_same_messages_upgrades_them(tmp_path: Path) -> None:
    pytest.importorskip("shizu.ingest.dce_json")
    from shizu.ingest.dce_json import DceJsonImporter
    from shizu.sample.generate import write_sample

    info = write_sample(tmp_path / "sample", messages=300, seed=3)
    package = DataPackageImporter()
    dce = DceJsonImporter()
    with MessageStore(tmp_path / "store.db") as store:
        for path in sorted(info.package_dir.rglob("messages.json")):
            source = Source(path)
            report = FileReport(source=source)
            counts = store.write_source(package.read(source, report), path=source.name, format=package.format,
                                        sha256=path.name, quality=package.quality, accounts=report.accounts)
            assert counts.upgraded == 0
        assert store.count() == info.persona_messages
        assert store.account_ids() == [info.persona_id]
        upgraded = new = 0
        for path in info.export_files:
            source = Source(path)
            counts = store.write_source(dce.read(source, FileReport(source=source)), path=source.name,
                                        format=dce.format, sha256=path.name, quality=dce.quality)
            upgraded += counts.upgraded
            new += counts.new
        assert upgraded == info.persona_messages
        assert new == info.messages - info.persona_messages
        assert store.db.execute("SELECT DISTINCT quality FROM messages").fetchall() == [(dce.quality,)]


def test_a_zipped_package_is_opened_once_however_many_members_it_has(tmp_path: Path, monkeypatch) -> None:
    from shizu.ingest.pipeline import discover, ingest_sources

    package = tmp_path / "package.zip"
    with zipfile.ZipFile(package, "w") as zf:
        for file in sorted((FIXTURES / "2025_json").rglob("*")):
            if file.is_file():
                zf.write(file, file.relative_to(FIXTURES / "2025_json").as_posix())
    opened: list[Path] = []
    real_init = zipfile.ZipFile.__init__

    def counting_init(self, file, *args, **kwargs) -> None:
        opened.append(Path(file))
        real_init(self, file, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "__init__", counting_init)
    with MessageStore(tmp_path / "shizu.db") as store:
        sources, _, _ = discover([package])
        reports = ingest_sources(store, sources, worker=False)
        assert [r.error for r in reports] == [None, None] and store.count() > 0
    assert opened == [package.resolve()]  # not once per member (and per sniff, read and sibling lookup)
