"""DiscordChatExporter JSON: every era's quirks, from small hand-written fixtures and the real samples."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
import pytest

from real_exports import REAL_EXPORTS, needs_real
from shizu.errors import IngestError
from shizu.ingest import dce_common, dce_json
from shizu.ingest.base import SKIP_BAD_TIMESTAMP, SKIP_MALFORMED, SKIP_NO_AUTHOR, SKIP_NO_ID, FileReport
from shizu.ingest.dce_csv import DceCsvImporter
from shizu.ingest.dce_json import DceJsonImporter
from shizu.ingest.source import Source
from shizu.message import Attachment, Embed, Message, Reaction, Sticker

FIXTURES = Path(__file__).parent / "fixtures" / "dce"
VERSIONS = FIXTURES / "versions"
LAYOUT = FIXTURES / "layout"
DAMAGED = FIXTURES / "damaged"
REAL = REAL_EXPORTS / "discord_dce"

CHAT = "Part guild - Text Channels - chat [340000000000000010]"


def read(path: Path | Source) -> tuple[list[Message], FileReport]:
    source = path if isinstance(path, Source) else Source(path)
    report = FileReport(source=source)
    return list(DceJsonImporter().read(source, report)), report


def unsourced(messages: list[Message]) -> list[Message]:
    """The messages without the file they came from, to compare reads of different files."""
    return [msgspec.structs.replace(m, source="") for m in messages]


def by_id(messages: list[Message]) -> dict[str, Message]:
    return {m.id: m for m in messages}


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# -- sniffing ----------------------------------------------------------------------------------


def test_sniff_by_content_not_name(tmp_path: Path) -> None:
    imp = DceJsonImporter()
    for path in [*VERSIONS.glob("*.json"), *LAYOUT.glob("*.json")]:
        renamed = tmp_path / "export.txt"
        renamed.write_bytes(path.read_bytes())
        assert imp.sniff(Source(renamed), renamed.read_bytes()[:65536]), path.name
    not_dce = [
        b'{"name": "x", "type": "personal_chat", "id": 1, "messages": []}',  # Telegram
        b'[{"ID": 1, "Timestamp": "2022-09-09 00:14:25", "Contents": "", "Attachments": ""}]',  # data package
        b'{"id": "1", "type": 0, "guild": {"id": "2", "name": "g"}}',  # data package channel.json
        b"AuthorID,Author,Date,Content,Attachments,Reactions\n",
        b"",
    ]
    for head in not_dce:
        assert not imp.sniff(Source(tmp_path / "x.json"), head)
    csv_head = (FIXTURES / "csv" / "Server - general [350000000000000001].csv").read_bytes()
    assert not imp.sniff(Source(tmp_path / "x.json"), csv_head)
    for path in VERSIONS.glob("*.json"):
        assert not DceCsvImporter().sniff(Source(path), path.read_bytes()[:65536])


# -- versions ----------------------------------------------------------------------------------


def test_2_18_dm_escaped_text_numeric_types_and_fraction_digits() -> None:
    path = VERSIONS / "Direct Messages - Private - wumpus [310000000000000001].json"
    assert b"\\uD83D\\uDC4F" in path.read_bytes()  # surrogate pairs escaped like DCE 2.18 writes them
    messages, report = read(path)
    assert report.warnings == [] and not report.skipped
    m = by_id(messages)
    assert len(messages) == 6
    first = m["670000000000000001"]
    assert first.content == "café 👏"
    assert first.channel.kind == "dm" and first.channel.guild_id is None and first.channel.guild_name is None
    assert first.channel.name == "wumpus"
    assert first.author.name == "clyde" and first.author.display_name == "clyde"  # no nickname before 2.27
    assert first.reactions == (Reaction(emoji="👍", emoji_id=None, count=2),)  # emoji id null before 2.33
    assert [(x.kind, x.is_system) for x in messages] == [
        ("Default", False), ("19", False), ("Call", True), ("8", True), ("Default", False), ("Default", False)
    ]
    assert m["670000000000000002"].reply_to is None  # "19" without a reference (pre-2.26)
    assert [x.timestamp for x in messages] == [
        utc(2020, 2, 1, 10, 0, 0), utc(2020, 2, 1, 10, 0, 1, 500000), utc(2020, 2, 1, 10, 0, 2, 250000),
        utc(2020, 2, 1, 10, 0, 3, 123000), utc(2020, 2, 1, 10, 0, 4, 123456), utc(2020, 2, 1, 10, 0, 5, 123400),
    ]
    assert m["670000000000000006"].edited_at == utc(2020, 2, 1, 10, 5, 0, 990000)
    assert all(x.timestamp.tzinfo is UTC for x in messages)


def test_2_26_replies_and_references_that_are_not_replies() -> None:
    messages, report = read(VERSIONS / "Cool server - Text Channels - general [320000000000000010].json")
    assert len(messages) == 10 and report.warnings == []
    replies = {x.id: x.reply_to for x in messages if x.reply_to}
    assert replies == {
        "1000000000000000002": "1000000000000000001",  # "Reply"
        "1000000000000000003": "1000000000000000002",  # Default + reference into this channel, with text
        "1000000000000000009": "999999999999999999",  # target outside the export: kept
        "1000000000000000010": "1000000000000000009",  # numeric "19"
    }
    # Not replies: an empty pre-2.47 forward, a crosspost, a pin, a thread-created notice.
    system = {x.id for x in messages if x.is_system}
    assert system == {"1000000000000000006", "1000000000000000007", "1000000000000000008"}
    m = by_id(messages)
    assert m["1000000000000000008"].content == "Joined the server."
    ch = messages[0].channel
    assert (ch.id, ch.name, ch.kind, ch.guild_id, ch.guild_name, ch.parent_id) == (
        "320000000000000010", "general", "guild-text", "320000000000000001", "Cool server", None
    )
    assert m["1000000000000000001"].author.display_name == "Ally" and m["1000000000000000001"].author.name == "alice"


def test_2_40_raw_markup_offsets_embeds_stickers_and_bots() -> None:
    messages, report = read(VERSIONS / "Cool server - Text Channels - memes [320000000000000011].json")
    assert len(messages) == 7 and report.warnings == []
    m = by_id(messages)
    raw = m["1100000000000000001"]
    assert raw.content == "@Ally look :kekw: :dance: in #memes for @deleted-role at 2023-11-14 22:13 UTC"
    assert raw.custom_emoji == {"kekw": "782589696621805568", "dance": "123456789012345678"}
    # Local offsets (2.41+) become UTC.
    assert raw.timestamp == utc(2023, 9, 1, 18, 0, 0, 123000)
    assert m["1100000000000000002"].timestamp == utc(2023, 9, 1, 18, 0, 1)
    assert m["1100000000000000003"].timestamp == utc(2023, 9, 1, 18, 0, 2, 500000)
    assert m["1100000000000000002"].embeds == (
        Embed(url="https://tenor.com/view/cat-vibing-gif-18376235", title="", kind="gif"),
    )
    assert m["1100000000000000003"].embeds[0].kind == "video"
    assert [e.kind for e in m["1100000000000000004"].embeds] == ["image", "gif", "link"]
    assert m["1100000000000000004"].embeds[2].title == "GitHub - Tyrrrz/DiscordChatExporter"
    assert m["1100000000000000005"].stickers == (
        Sticker(id="749054660769218631", name="Wumpus wave", format="Apng",
                url="https://cdn.discordapp.com/stickers/749054660769218631.png"),
        Sticker(id="816087792291282944", name="old style", format="PngAnimated",
                url="https://cdn.discordapp.com/stickers/816087792291282944.png"),
    )
    gif_sticker = m["1100000000000000006"]
    assert gif_sticker.stickers[0].format == "Gif"
    assert gif_sticker.attachments == (
        Attachment(
            url="https://cdn.discordapp.com/attachments/320000000000000011/1100000000000000900/IMG_4821.png"
            "?ex=65&is=64&hm=ab&",
            filename="IMG_4821.png", size=204800, local_path=None,
        ),
    )
    bot = m["1100000000000000007"]
    assert bot.author.is_bot and bot.author.label == "Jukebox"
    assert not raw.author.is_bot


def test_2_44_inline_emojis_give_custom_emoji_ids() -> None:
    messages, _ = read(VERSIONS / "Cool server - Text Channels - random [320000000000000012].json")
    first, second = messages
    assert first.content == ":kekw: hi 🙂 :blobwave:"
    assert first.custom_emoji == {"kekw": "782589696621805568", "blobwave": "550000000000000001"}
    assert first.reactions == (
        Reaction(emoji="kekw", emoji_id="782589696621805568", count=3),
        Reaction(emoji="👍", emoji_id=None, count=1),
    )
    assert first.timestamp == utc(2024, 11, 20, 8, 0, 0, 500000)
    assert second.custom_emoji == {}
    assert messages[0].channel.parent_id is None  # categoryId null (2.41+)


def test_2_47_forwards_threads_and_numeric_kinds() -> None:
    messages, report = read(VERSIONS / "Cool server - general - plans [320000000000000030].json")
    assert report.warnings == []
    m = by_id(messages)
    ch = messages[0].channel
    assert (ch.kind, ch.parent_id, ch.parent_name, ch.name) == ("thread", "320000000000000010", "general", "plans")
    starter = m["1300000000000000001"]  # "21": thread starter, reference into the parent channel
    assert (starter.kind, starter.is_system, starter.reply_to) == ("21", False, None)
    forward = m["1300000000000000002"]
    assert forward.content == "look at this" and forward.reply_to is None
    assert [a.filename for a in forward.attachments] == ["cat.jpg"]
    assert m["1300000000000000003"].reply_to == "1300000000000000002"
    assert (m["1300000000000000004"].kind, m["1300000000000000004"].is_system) == ("20", False)
    assert (m["1300000000000000005"].kind, m["1300000000000000005"].is_system) == ("46", False)
    assert (m["1300000000000000006"].kind, m["1300000000000000006"].is_system) == ("18", True)


def test_media_export_with_windows_paths(tmp_path: Path) -> None:
    media = FIXTURES / "media"
    path = next(media.glob("*.json"))
    messages, report = read(path)
    files = media / f"{path.name}_Files"
    first, second, third = messages
    assert first.attachments[0].local_path == str((files / "photo-1A2B3.png").resolve())
    assert first.attachments[0].filename == "photo.png" and first.attachments[0].size == 16
    assert second.attachments[0].local_path == str((files / "my file-7E8F9.png").resolve())
    assert second.attachments[1].local_path is None  # clip-4C5D6.mp4 was not downloaded
    assert third.attachments[0].local_path is None  # a CDN URL
    assert any("1 attachment(s)" in w for w in report.warnings)
    # In a zip archive the files are not on disk: no local paths.
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(path, f"exports/{path.name}")
        for f in files.iterdir():
            zf.write(f, f"exports/{files.name}/{f.name}")
    zipped, _ = read(Source(archive, f"exports/{path.name}"))
    assert [a.local_path for x in zipped for a in x.attachments] == [None, None, None, None]
    assert [x.id for x in zipped] == [x.id for x in messages]


# -- layouts -----------------------------------------------------------------------------------


def test_every_layout_reads_the_same_messages() -> None:
    full, _ = read(LAYOUT / f"{CHAT} crlf.json")
    assert [m.id for m in full] == [f"15000000000000000{i:02d}" for i in range(1, 9)]
    assert full[3].content == 'line one\nline two "quoted"\n    }\n  ]'  # looks like a message end, is a string
    assert full[0].content == 'message 1 {"braces": [1, 2]} \\o/ \\'
    assert full[4].reply_to == full[3].id
    expected = unsourced(full)
    for name in ("minified", "reversed"):
        messages, report = read(LAYOUT / f"{CHAT} {name}.json")
        assert sorted(unsourced(messages), key=lambda m: m.id) == expected, name
        assert report.warnings == []
    reversed_ids = [m.id for m in read(LAYOUT / f"{CHAT} reversed.json")[0]]
    assert reversed_ids == [m.id for m in full][::-1]
    parts = read(LAYOUT / f"{CHAT} [part 1].json")[0] + read(LAYOUT / f"{CHAT} [part 2].json")[0]
    assert unsourced(parts) == expected


def test_small_chunks_and_the_scanner_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches cut anywhere (tiny reads) give the same messages as one big read."""
    expected = unsourced(read(LAYOUT / f"{CHAT} crlf.json")[0])
    for chunk in (1, 7, 64, 333):
        monkeypatch.setattr(dce_json, "CHUNK", chunk)
        for name in ("crlf", "minified"):
            assert unsourced(read(LAYOUT / f"{CHAT} {name}.json")[0]) == expected, (chunk, name)


def test_progress_reports_every_byte() -> None:
    path = LAYOUT / f"{CHAT} crlf.json"
    source = Source(path)
    seen: list[int] = []
    report = FileReport(source=source)
    report.progress = seen.append
    list(DceJsonImporter().read(source, report))
    assert sum(seen) == path.stat().st_size


def test_message_count_mismatch_is_a_warning(tmp_path: Path) -> None:
    doc = json.loads((LAYOUT / f"{CHAT} [part 1].json").read_text("utf-8"))
    doc["messageCount"] = 5
    path = tmp_path / "x.json"
    path.write_text(json.dumps(doc, indent=2), "utf-8")
    messages, report = read(path)
    assert len(messages) == 4
    assert report.warnings == ["the file says it has 5 messages but 4 were found"]


def test_bom_and_empty_export(tmp_path: Path) -> None:
    doc = json.loads((LAYOUT / f"{CHAT} [part 1].json").read_text("utf-8"))
    doc["messages"], doc["messageCount"] = [], 0
    path = tmp_path / "empty.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(doc, indent=2).encode())
    assert DceJsonImporter().sniff(Source(path), path.read_bytes())
    assert read(path) == ([], FileReport(source=Source(path)))


# -- skips -------------------------------------------------------------------------------------


def test_incomplete_messages_are_skipped_with_reasons(tmp_path: Path) -> None:
    doc = json.loads((LAYOUT / f"{CHAT} [part 1].json").read_text("utf-8"))
    good = doc["messages"][0]
    doc["messages"] = [
        {**good, "id": None},
        {k: v for k, v in good.items() if k != "id"},
        {**good, "id": "2", "timestamp": "yesterday"},
        {**good, "id": "3", "timestamp": None},
        {**good, "id": "4", "author": None},
        {**good, "id": "5", "author": {"name": "no id"}},
        {**good, "id": 6},  # a number where a string belongs
        {**good, "id": "7", "attachments": "nope"},
        {**good, "id": "8", "timestampEdited": "garbage"},  # a bad edit time only loses the edit time
        good,
    ]
    doc["messageCount"] = 10
    path = tmp_path / "skips.json"
    path.write_text(json.dumps(doc, indent=2), "utf-8")
    messages, report = read(path)
    assert [m.id for m in messages] == ["8", good["id"]]
    assert messages[0].edited_at is None
    assert report.skipped == {SKIP_NO_ID: 2, SKIP_BAD_TIMESTAMP: 2, SKIP_NO_AUTHOR: 2, SKIP_MALFORMED: 2}
    assert any("wrong type" in w and "line" in w for w in report.warnings)


# -- damaged files -----------------------------------------------------------------------------


def test_truncated_export_keeps_complete_messages() -> None:
    for name, expected_warning in [
        ("truncated", "recovered 6 complete messages"),
        ("truncated after message", "recovered 6 complete messages"),
        ("truncated after array", "all 8 were read"),
    ]:
        messages, report = read(DAMAGED / f"{CHAT} {name}.json")
        n = 8 if name == "truncated after array" else 6
        assert [m.id for m in messages] == [f"15000000000000000{i:02d}" for i in range(1, n + 1)], name
        assert len(report.warnings) == 1 and expected_warning in report.warnings[0], report.warnings


def test_truncated_everywhere_never_fails_after_the_header(tmp_path: Path) -> None:
    """Cut the file at every byte: either the header is incomplete (error) or a prefix is recovered."""
    data = (LAYOUT / f"{CHAT} crlf.json").read_bytes()
    full = read(LAYOUT / f"{CHAT} crlf.json")[0]
    header_end = data.index(b'"messages": [') + len(b'"messages": [')
    path = tmp_path / "cut.json"
    for cut in range(0, len(data), 7):
        path.write_bytes(data[:cut])
        if cut < header_end:
            with pytest.raises(IngestError):
                read(path)
            continue
        messages, report = read(path)
        assert unsourced(messages) == unsourced(full[: len(messages)])
        assert len(report.warnings) == 1


def test_garbage_in_the_middle_names_byte_and_line() -> None:
    path = DAMAGED / f"{CHAT} garbage.json"
    data = path.read_bytes()
    offset = data.index(b"\x07")
    with pytest.raises(IngestError) as err:
        read(path)
    line = data[:offset].count(b"\n") + 1
    assert err.value.path == str(path)
    assert err.value.position == f"byte {offset}, line {line}"
    assert "not valid JSON" in err.value.message and "Export the channel again" in err.value.hint


def test_garbage_between_messages_and_after_the_array(tmp_path: Path) -> None:
    data = (LAYOUT / f"{CHAT} crlf.json").read_bytes()
    between = data.replace(b"},\r\n    {", b"} oops,\r\n    {", 1)
    after = data.replace(b'"messageCount"', b'oops "messageCount"')
    invalid_utf8 = data.replace(b"message 5", b"message \xff")
    assert between != data and after != data and invalid_utf8 != data
    for name, data in [("between", between), ("after", after), ("utf8", invalid_utf8)]:
        path = tmp_path / f"{name}.json"
        path.write_bytes(data)
        with pytest.raises(IngestError) as err:
            read(path)
        marker = {"between": b"oops", "after": b"oops", "utf8": b"\xff"}[name]
        assert err.value.position.startswith(f"byte {data.index(marker)}, line "), (name, err.value.position)


def test_broken_header_and_non_exports(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="ends before its first message"):
        read(DAMAGED / f"{CHAT} truncated header.json")
    cases = {
        "array.json": b"[1, 2, 3]",
        "nomessages.json": b'{"guild": {"id": "1"}, "channel": {"id": "2"}}',
        "nochannel.json": b'{"guild": {"id": "1"}, "messages": []}',
        "badtype.json": b'{"guild": {"id": "1"}, "channel": {"id": 2}, "messages": []}',
        "notjson.json": b"hello",
    }
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(IngestError):
            read(path)


# -- the real samples --------------------------------------------------------------------------


@needs_real(REAL)
def test_real_dcef_general_export() -> None:
    messages, report = read(REAL / "dcef_example_guild_general.json")
    assert len(messages) == 35 and not report.skipped
    assert report.warnings == [
        "7 attachment(s) point to files next to the export that are missing"
        " (keep the export's _Files folder beside the JSON to use them)"
    ]
    m = by_id(messages)
    assert sum(x.is_system for x in messages) == 4
    assert sorted(x.kind for x in messages if x.is_system) == ["GuildMemberJoin"] * 3 + ["ThreadCreated"]
    assert {x.id: x.reply_to for x in messages if x.reply_to} == {
        "1060926346089476176": "1060926317920538735",
        "1060926395313827840": "1060926346089476176",
    }
    assert sum(len(x.attachments) for x in messages) == 7
    assert [a.filename for x in messages for a in x.attachments if a.filename.startswith("SPOILER_")] == [
        "SPOILER_memes_traffic.png"
    ]
    embeds = [e for x in messages for e in x.embeds]
    assert [e.kind for e in embeds] == ["link", "gif", "link"]
    assert sum(len(x.stickers) for x in messages) == 1
    assert m["1045179638760091709"].stickers[0].name == "pepecute"
    assert sum(1 for x in messages if x.reactions) == 4
    assert m["1060927254248558702"].reactions == (Reaction(emoji="kekw", emoji_id="782589696621805568", count=2),)
    assert m["1060926197556588725"].content == "Hello 👏"  # escaped surrogate pair
    assert m["1060926487911485582"].edited_at == utc(2023, 1, 6, 14, 23, 25, 845000)
    assert m["1060926317920538735"].timestamp == utc(2023, 1, 6, 14, 22, 25, 250000)  # 2 fraction digits
    assert m["1060927310439657532"].content.startswith("@Thomas that is")
    assert {x.author.label for x in messages} == {"Adam", "Thomas", "Patrick", "RICK NITRO"}
    assert not any(x.author.is_bot for x in messages)
    assert {x.channel for x in messages} == {messages[0].channel}
    assert messages[0].channel.kind == "guild-text" and messages[0].channel.guild_name == "Example guild"


@needs_real(REAL)
def test_real_dcef_thread_export() -> None:
    messages, report = read(REAL / "dcef_example_guild_thread.json")
    assert len(messages) == 5 and report.warnings == [] and not report.skipped
    ch = messages[0].channel
    assert (ch.id, ch.kind, ch.parent_id, ch.parent_name, ch.name) == (
        "1060927310439657577", "thread", "1012224565567721552", "general", "Thomas is Thomas"
    )
    assert [x.reply_to for x in messages] == [None, None, None, "1060927520008065176", "1060927555093413928"]
    assert messages[3].reactions == (Reaction(emoji="thisisfine", emoji_id="962450296309678100", count=1),)


def test_offsets_and_fraction_digits_parse_to_utc() -> None:
    parse = dce_common.parse_dce_timestamp
    base = utc(2024, 1, 2, 3, 4, 5)
    cases = {
        "2024-01-02T03:04:05+00:00": base,
        "2024-01-02T03:04:05.1+00:00": base + timedelta(microseconds=100000),
        "2024-01-02T03:04:05.12+00:00": base + timedelta(microseconds=120000),
        "2024-01-02T03:04:05.123456+00:00": base + timedelta(microseconds=123456),
        "2024-01-02T03:04:05.1234567+00:00": base + timedelta(microseconds=123456),
        "2024-01-02T05:04:05+02:00": base,
        "2024-01-01T22:04:05.5-05:00": base + timedelta(microseconds=500000),
        "2024-01-02T08:34:05+05:30": base,
        "2024-01-02T03:04:05Z": base,
        "2024-01-02T03:04:05": base,
    }
    for text, expected in cases.items():
        assert parse(text) == expected, text
        assert parse(text).tzinfo is UTC
    for bad in ("", "yesterday", "2024-13-02T03:04:05+00:00"):
        with pytest.raises(ValueError):
            parse(bad)
