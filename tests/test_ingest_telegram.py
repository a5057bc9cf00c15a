"""Telegram Desktop JSON: both export shapes, old and new schemas, broken JSON, media, the real samples."""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from real_exports import REAL_EXPORTS, needs_real
from shizu.errors import IngestError, ShizuError
from shizu.ingest.base import FileReport
from shizu.ingest.pipeline import discover, importers, ingest_sources
from shizu.ingest.source import Source
from shizu.ingest.telegram import TelegramImporter
from shizu.message import Attachment, Author, Embed, Message, Reaction, Sticker
from shizu.store import MessageStore

FIXTURES = Path(__file__).parent / "fixtures" / "telegram"
FULL = FIXTURES / "full_export" / "result.json"
REAL = REAL_EXPORTS / "telegram"


def read(path: Path | Source) -> tuple[list[Message], FileReport]:
    source = path if isinstance(path, Source) else Source(path)
    report = FileReport(source=source)
    return list(TelegramImporter().read(source, report)), report


def by_id(messages: list[Message]) -> dict[str, Message]:
    return {m.id: m for m in messages}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# -- sniffing ----------------------------------------------------------------------------------


def test_sniff_recognises_both_shapes_by_content(tmp_path: Path) -> None:
    imp = TelegramImporter()
    for path in (FULL, FIXTURES / "old_schema_group.json", FIXTURES / "broken_escapes.json"):
        renamed = tmp_path / "export.dat"
        shutil.copyfile(path, renamed)
        assert imp.sniff(Source(renamed), renamed.read_bytes()[:65536]), path.name
    others = [
        b'{"guild": {"id": "1"}, "channel": {"id": "2"}, "messages": []}',  # DiscordChatExporter
        b'{"type": "personal_chat", "messages": []}',  # no id: not tdesktop's key order
        b'{"about": "x", "name": "y"}',
        b'[{"id": 1}]',
        b"name,type,id\n",
    ]
    for head in others:
        assert not imp.sniff(Source(tmp_path / "x.json"), head), head


def test_registered_and_claimed_by_no_other_importer() -> None:
    for path in (FULL, FIXTURES / "old_schema_group.json", FIXTURES / "broken_escapes.json"):
        source = Source(path)
        claims = [imp.format for imp in importers() if imp.sniff(source, source.head())]
        assert claims == ["telegram-json"], path.name


# -- a full export (new schema) ----------------------------------------------------------------


def test_full_export_reads_every_chat_in_order() -> None:
    messages, report = read(FULL)
    assert [(m.id, m.author.id, m.kind, m.is_system, m.content) for m in messages] == [
        ("tg:222:10", "tg:user222", "phone_call", True, ""),
        ("tg:222:11", "tg:user222", "message", False, "did you see this?!"),
        ("tg:222:12", "tg:user111", "message", False, "omg yes\nso hyped"),
        ("tg:222:13", "tg:user111", "message", False, ""),
        ("tg:222:14", "tg:user111", "message", False, ""),
        ("tg:222:15", "tg:user111", "message", False, ""),
        ("tg:222:16", "tg:user222", "message", False, ""),
        ("tg:222:17", "tg:user222", "forwarded", False, "read this"),
        ("tg:1555000111:1", "tg:user111", "create_group", True, ""),
        ("tg:1555000111:2", "tg:user333", "message", False, "hi all"),
        ("tg:1555000111:3", "tg:user111", "message", False, "@bob look 👀"),
        ("tg:555:20", "tg:user111", "message", False, "/start"),
        ("tg:555:21", "tg:user555", "message", False, "Hello! I can help."),
        ("tg:1999000222:77", "tg:channel1999000222", "message", False, "Happy new year!"),
    ]
    assert all(m.platform == "telegram" and m.source == str(FULL) for m in messages)
    # an "unsupported" entry and a message whose text is a number are skipped, the file is not
    assert report.skipped == Counter({"unsupported": 1, "malformed": 1})
    assert report.warnings == [
        "messages that could not be read (a field of the wrong type, or text that is not UTF-8) were skipped"
        " (the first: chat 'Cozy Crew', message #4)"
    ]


def test_a_message_with_invalid_utf8_is_skipped_not_the_file(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    path.write_bytes(FULL.read_bytes().replace(b'"text": "hi all"', b'"text": "hi \xff all"'))
    messages, report = read(path)
    assert "tg:1555000111:2" not in by_id(messages) and len(messages) == 13
    assert report.skipped == Counter({"unsupported": 1, "malformed": 2})


def test_personal_information_is_me() -> None:
    _, report = read(FULL)
    assert report.accounts == [Author(id="tg:user111", name="mika", display_name="Mika Sato")]


def test_chat_kinds_names_and_bots() -> None:
    msgs = by_id(read(FULL)[0])
    assert [(msgs[i].channel.id, msgs[i].channel.name, msgs[i].channel.kind) for i in (
        "tg:222:11", "tg:1555000111:2", "tg:555:21", "tg:1999000222:77"
    )] == [
        ("tg:222", "Alice", "dm"),
        ("tg:1555000111", "Cozy Crew", "group"),
        ("tg:555", "Helper Bot", "dm"),
        ("tg:1999000222", "Old News", "guild-text"),
    ]
    assert msgs["tg:555:21"].author == Author(id="tg:user555", display_name="Helper Bot", is_bot=True)
    assert not msgs["tg:555:20"].author.is_bot
    assert msgs["tg:1555000111:2"].author.display_name == "Deleted Account"  # "from": null


def test_unixtime_wins_over_local_date_and_edits_are_kept() -> None:
    msgs = by_id(read(FULL)[0])
    # "date" says 12:01 (the exporting PC was at UTC+2); "date_unixtime" is the real instant
    assert msgs["tg:222:11"].timestamp == utc(2023, 5, 1, 10, 1)
    assert msgs["tg:222:12"].edited_at == utc(2023, 5, 1, 10, 3)


def test_replies_are_prefixed_with_their_chat() -> None:
    msgs = by_id(read(FULL)[0])
    assert msgs["tg:222:12"].reply_to == "tg:222:11"
    assert msgs["tg:1555000111:3"].reply_to == "tg:1999000222:77"  # reply_to_peer_id: another chat
    assert msgs["tg:222:11"].reply_to is None


def test_media_local_files_and_placeholders() -> None:
    msgs = by_id(read(FULL)[0])
    folder = FULL.parent.resolve()
    photo = folder / "chats" / "chat_001" / "photos" / "photo_1@01-05-2023_10-04-00.jpg"
    sticker = folder / "chats" / "chat_001" / "stickers" / "sticker.webp"
    assert msgs["tg:222:13"].attachments == (
        Attachment(url=photo.as_uri(), filename=photo.name, size=4, local_path=str(photo)),
    )
    assert msgs["tg:222:14"].stickers == (Sticker(id=sticker.as_uri(), name="😹", format="webp", url=sticker.as_uri()),)
    assert msgs["tg:222:15"].embeds == (Embed(url=None, title="", kind="gif"),)  # animation, not exported
    assert msgs["tg:222:16"].attachments == (Attachment(url="", filename="voice message.ogg", size=20480),)
    assert msgs["tg:222:17"].attachments == (Attachment(url="", filename="holiday plan.pdf", size=73400320),)


def test_reactions() -> None:
    msgs = by_id(read(FULL)[0])
    assert msgs["tg:222:12"].reactions == (
        Reaction(emoji="🔥", count=2),
        Reaction(emoji="custom_emoji", emoji_id="5368324170671202286", count=1),
    )


def test_zip_member_has_no_local_files(tmp_path: Path) -> None:
    archive = tmp_path / "Telegram export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(FULL, "DataExport_2024-01-01/result.json")
        zf.write(FULL.parent / "chats/chat_001/photos/photo_1@01-05-2023_10-04-00.jpg",
                 "DataExport_2024-01-01/chats/chat_001/photos/photo_1@01-05-2023_10-04-00.jpg")
    msgs = by_id(read(Source(archive, "DataExport_2024-01-01/result.json"))[0])
    assert msgs["tg:222:13"].attachments == (Attachment(url="", filename="photo_1@01-05-2023_10-04-00.jpg", size=4),)


# -- the old schema (2020-2021) ------------------------------------------------------------------


def test_old_schema_numeric_ids_local_dates_and_text_arrays() -> None:
    messages, report = read(FIXTURES / "old_schema_group.json")
    assert [(m.id, m.author.id, m.author.display_name, m.timestamp, m.kind, m.is_system, m.reply_to, m.content)
            for m in messages] == [
        ("tg:4242:100", "tg:user777", "Carol", utc(2020, 3, 1, 18, 30), "message", False, None,
         "Chapter 3 is wild\nhttps://example.org/ch3"),
        ("tg:4242:101", "tg:user888", "Dan", utc(2020, 3, 1, 18, 31), "message", False, "tg:4242:100", "agreed"),
        ("tg:4242:102", "tg:user888", "Dan", utc(2020, 3, 1, 18, 32), "pin_message", True, None, ""),
    ]
    assert report.skipped == Counter({"bad-timestamp": 1, "no-id": 1, "no-author": 1})
    assert report.warnings == [
        "3 messages have only the exporting computer's local time (exports made before about 2022 have no"
        " date_unixtime); they were read as UTC (set [ingest] timezone in shizu.toml, or shizu ingest --timezone, to change it)"
    ]
    assert report.accounts == []  # a single-chat export does not say who exported it


def test_old_and_new_author_ids_agree(tmp_path: Path) -> None:
    """A user is ``tg:user<id>`` whether the export wrote ``from_id: 777`` or ``"user777"``."""
    old = (FIXTURES / "old_schema_group.json").read_text(encoding="utf-8")
    path = tmp_path / "result.json"
    path.write_text(old.replace('"from_id": 777', '"from_id": "user777"'), encoding="utf-8")
    assert by_id(read(path)[0])["tg:4242:100"].author.id == "tg:user777"


# -- invalid JSON --------------------------------------------------------------------------------


def test_invalid_escapes_and_bare_paths_are_repaired() -> None:
    messages, report = read(FIXTURES / "broken_escapes.json")
    assert [m.content for m in messages] == ["bell\x07 and tab\t end", "path C:\\x41 stays 🎉"]
    assert report.skipped == Counter()


def test_saved_messages_names_me(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    path.write_text(
        '{\n "type": "saved_messages",\n "id": 31337,\n "messages": [\n  {"id": 1, "type": "message",'
        ' "date_unixtime": "1700000000", "from": "Mika", "from_id": "user31337", "text": "note to self"}\n ]\n}',
        encoding="utf-8",
    )
    messages, report = read(path)
    assert [(m.channel.name, m.channel.kind, m.author.id) for m in messages] == [
        ("Saved Messages", "dm", "tg:user31337")
    ]
    assert report.accounts == [Author(id="tg:user31337", display_name="Mika")]


@pytest.mark.parametrize(
    ("mutate", "message", "position"),
    [
        (lambda b: b[: len(b) // 2], "ends in the middle of the JSON (an interrupted export?)", None),
        (lambda b: b.replace(b'"text": "hi all"', b'"text": hi all"'),
         "is not valid JSON: JSON is malformed: invalid character", "line 214, column 15"),
        (lambda b: b.replace(b"Cozy Crew", b"Cozy \xff Crew"), "is not valid UTF-8", "line 187, column 19"),
        (lambda b: b.replace(b'"list": [\n   {\n    "name": "Alice"', b'"list": 7, "x": [\n   {\n    "name": "Alice"'),
         "is not a Telegram Desktop export: Expected `array | null`, got `int` - at `$.chats.list`", None),
    ],
)
def test_damaged_files_name_the_problem(tmp_path: Path, mutate, message: str, position: str | None) -> None:
    path = tmp_path / "result.json"
    path.write_bytes(mutate(FULL.read_bytes()))
    with pytest.raises(IngestError) as err:
        read(path)
    assert err.value.position == position
    assert err.value.message.startswith(f"{path}{f' ({position})' if position else ''}: {message}")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_damage_is_a_shizu_error_or_messages(data: st.DataObject) -> None:
    original = FULL.read_bytes()
    kind = data.draw(st.sampled_from(["truncate", "garble", "random"]))
    if kind == "truncate":
        damaged = original[: data.draw(st.integers(0, len(original)))]
    elif kind == "garble":
        pos = data.draw(st.integers(0, len(original) - 1))
        damaged = original[:pos] + data.draw(st.binary(min_size=1, max_size=8)) + original[pos + 1 :]
    else:
        damaged = b'{"name": "x", "type": "personal_chat", "id": 1, "messages": [' + data.draw(st.binary(max_size=200))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "result.json"
        path.write_bytes(damaged)
        try:
            messages, _ = read(path)
        except ShizuError:
            return
    assert all(m.id.startswith("tg:") and m.timestamp.tzinfo is UTC for m in messages)


# -- through the pipeline ------------------------------------------------------------------------


def test_reimport_through_the_pipeline_adds_nothing(tmp_path: Path) -> None:
    found, ignored, _ = discover([FIXTURES])
    assert sorted((s.filename, imp.format) for s, imp in found) == [
        ("broken_escapes.json", "telegram-json"),
        ("old_schema_group.json", "telegram-json"),
        ("result.json", "telegram-json"),
    ]
    assert sorted(s.filename for s in ignored) == ["photo_1@01-05-2023_10-04-00.jpg", "sticker.webp"]
    with MessageStore(tmp_path / "shizu.db") as store:
        first = ingest_sources(store, found)
        again = ingest_sources(store, found)
        assert [r.error for r in first + again] == [None] * 6
        assert sum(r.counts.new for r in first) == 19 == store.count()
        assert [(r.counts.new, r.counts.present) for r in again] == [(0, 2), (0, 14), (0, 3)]
        assert store.account_ids() == ["tg:user111"]
        stored = by_id(list(store.iter_messages()))
    assert stored["tg:222:12"].reply_to == "tg:222:11"
    assert stored["tg:222:14"].stickers[0].name == "😹"


# -- the real samples ----------------------------------------------------------------------------


@needs_real(REAL)
def test_real_public_channel_2026() -> None:
    messages, report = read(REAL / "pachumarchive_public_channel_2026.json")
    assert len(messages) == 6 and report.skipped == Counter() and report.warnings == []
    first = messages[0]
    assert first.content == "Очень странные дела (S1 E1-5)\n\n📹 ТВИЧ | 💳 БУСТИ | 💬 ТЕЛЕГА\n\n#КиноСтрим #ОСД"
    assert (first.channel.kind, first.author.id) == ("guild-text", "tg:channel2447843635")
    assert first.timestamp == datetime.fromtimestamp(1781868410, UTC)
    assert first.edited_at == datetime.fromtimestamp(1781868414, UTC)
    assert first.reactions == (Reaction(emoji="🔥", count=12),)
    assert [m.attachments[0].filename for m in messages[1:]] == ["1.mp4", "2.mp4", "3.mp4", "4.mp4", "5.mp4"]
    assert all(m.attachments[0].url == "" for m in messages)


@needs_real(REAL)
def test_real_saved_messages_2020_old_format() -> None:
    messages, report = read(REAL / "tcp_saved_messages_2020_oldformat.json")
    assert len(messages) == 21 and report.skipped == Counter()
    assert Counter(m.kind for m in messages) == Counter({"message": 14, "forwarded": 6, "pin_message": 1})
    msgs = by_id(messages)
    assert msgs["tg:9999999999:225569"].content == (
        "Check out «Cat     @farsisticker» sticker set: https://t.me/addstickers/cat_farsi"
    )
    assert msgs["tg:9999999999:278329"].stickers == (Sticker(id="🤭", name="🤭", format="webp"),)
    assert msgs["tg:9999999999:226106"].embeds == (Embed(kind="gif"),)
    assert msgs["tg:9999999999:7"].reply_to == "tg:9999999999:6"
    assert report.accounts == [Author(id="tg:user9999999999", display_name="Ben")]


@needs_real(REAL)
def test_real_dm_mixing_old_and_new_dates() -> None:
    messages, report = read(REAL / "chat_analytics_DM_2A_7M.json")
    assert [(m.author.id, m.kind, m.content) for m in messages] == [
        ("tg:user700000000", "joined_telegram", ""),
        ("tg:user700000000", "message", "https://google.com 👀"),
        ("tg:user300000000", "message", "hello world"),
        ("tg:user700000000", "message", "world?"),
        ("tg:user300000000", "message", "blah blah"),
        ("tg:user300000000", "message", ""),
        ("tg:user300000000", "message", ""),
        ("tg:user300000000", "phone_call", ""),
    ]
    assert messages[3].timestamp == datetime.fromtimestamp(1652135033, UTC)
    assert messages[2].timestamp == utc(2022, 3, 8, 13, 7, 42)  # only "date": taken as UTC
    assert len(report.warnings) == 1 and report.warnings[0].startswith("3 messages have only")
