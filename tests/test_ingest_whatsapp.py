"""WhatsApp .txt exports: Android and iOS layouts, locales, invisible characters, media, ids, real samples."""

from __future__ import annotations

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
from shizu.ingest.whatsapp import WhatsAppImporter, author_id, chat_name
from shizu.message import Attachment, Embed, Message, Sticker
from shizu.store import MessageStore

FIXTURES = Path(__file__).parent / "fixtures" / "whatsapp"
BOB = FIXTURES / "WhatsApp Chat with Bob.txt"
FAMILY = FIXTURES / "WhatsApp Chat - Family" / "_chat.txt"
ANA = FIXTURES / "WhatsApp Chat with Ana.txt"
JONAS = FIXTURES / "WhatsApp Chat mit Jonas.txt"
REAL = REAL_EXPORTS / "whatsapp"
# Every file: WhatsApp writes the phone's wall-clock time, with no zone.
AS_UTC = (
    "the times in this chat have no time zone; they were read as UTC"
    " (set [ingest] timezone in shizu.toml, or shizu ingest --timezone, to change it)"
)


def read(path: Path | Source) -> tuple[list[Message], FileReport]:
    source = path if isinstance(path, Source) else Source(path)
    report = FileReport(source=source)
    return list(WhatsAppImporter().read(source, report)), report


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def rows(messages: list[Message]) -> list[tuple]:
    return [(m.timestamp, m.author.id, m.kind, m.content) for m in messages]


def write(tmp_path: Path, text: str, name: str = "WhatsApp Chat with X.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- sniffing ----------------------------------------------------------------------------------


def test_sniff_txt_by_header_grammar(tmp_path: Path) -> None:
    imp = WhatsAppImporter()
    for path in (BOB, FAMILY, ANA, JONAS):
        assert imp.sniff(Source(path), path.read_bytes()[:65536]), path.name
    chat = tmp_path / "chat.txt"
    assert imp.sniff(Source(chat), "\u200e[3/6/18 1:55:00\u202fp. m.] a: m".encode())
    not_whatsapp = [
        b"==============================================================\nGuild: Cozy\n",  # DCE plain text
        b"Dear diary,\n12/9/20, 23:55 - Bob: hello\n",  # a header, but not on the first line
        b"12/9/20, 25:55 - Bob: hello\n",  # no such hour
        b"AuthorID,Author,Date,Content\n",
    ]
    for head in not_whatsapp:
        assert not imp.sniff(Source(chat), head), head
    assert not imp.sniff(Source(tmp_path / "chat.json"), BOB.read_bytes())  # only .txt files


def test_registered_and_claimed_by_no_other_importer() -> None:
    for path in (BOB, FAMILY, ANA, JONAS):
        source = Source(path)
        claims = [imp.format for imp in importers() if imp.sniff(source, source.head())]
        assert claims == ["whatsapp-txt"], path.name


# -- Android, US English, 12-hour clock with U+202F ----------------------------------------------


def test_android_us_export() -> None:
    messages, report = read(BOB)
    assert rows(messages) == [
        (utc(2023, 1, 6, 21, 58), "wa:system", "system",
         "Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can read or"
         " listen to them. Tap to learn more."),
        (utc(2023, 1, 6, 21, 59), "wa:Bob", "message", "hey are you coming tomorrow"),
        (utc(2023, 1, 6, 21, 59, 0, 1000), "wa:Mika_Sato", "message",
         "yes!!\nbringing snacks\n\n1/6/23, 10:00 - Bob: (a pasted line in another layout)"),
        (utc(2023, 1, 6, 22, 1), "wa:Bob", "media", ""),
        (utc(2023, 1, 6, 22, 1, 0, 1000), "wa:Mika_Sato", "media", "look at this"),
        (utc(2023, 1, 6, 22, 2), "wa:Bob", "deleted", ""),
        (utc(2023, 1, 6, 22, 3), "wa:Mika_Sato", "edited", "see you at 7"),
        (utc(2023, 1, 6, 22, 3, 0, 1000), "wa:Mika_Sato", "message", "ok"),
        (utc(2023, 1, 6, 22, 3, 0, 2000), "wa:Mika_Sato", "message", "ok"),
        (utc(2023, 1, 7, 0, 5), "wa:Bob", "message", "night"),  # 12:05 AM
        (utc(2023, 1, 7, 12, 30), "wa:Bob", "message", "lunch?"),  # 12:30 PM
        (utc(2023, 1, 13, 8, 0), "wa:system", "system", "Missed voice call"),  # 1/13: month first
    ]
    assert [m.is_system for m in messages] == [True] + [False] * 10 + [True]
    assert report.skipped == Counter() and report.accounts == []
    assert report.warnings == [
        "line 6 looks like a message header but it is written in another layout than the file's messages"
        " (a pasted message?); it was kept as text of the message before it",
        AS_UTC,
    ]
    assert {(m.channel.name, m.channel.kind, m.platform) for m in messages} == {("Bob", "dm", "whatsapp")}
    assert messages[1].author.display_name == "Bob" and messages[2].author.display_name == "Mika Sato"


def test_media_placeholders_and_attached_files() -> None:
    messages, _ = read(BOB)
    image = (FIXTURES / "IMG-20230106-WA0001.jpg").resolve()
    assert messages[3].attachments == (Attachment(url="", filename="media"),)
    assert messages[4].attachments == (
        Attachment(url=image.as_uri(), filename="IMG-20230106-WA0001.jpg", local_path=str(image)),
    )


def test_ids_are_unique_and_stable() -> None:
    first, _ = read(BOB)
    again, _ = read(BOB)
    assert [m.id for m in first] == [m.id for m in again]
    assert len({m.id for m in first}) == len(first)  # the two identical "ok" in one minute stay two
    assert all(m.id.startswith(first[0].channel.id + ":") for m in first)


# -- iOS group export ----------------------------------------------------------------------------


def test_ios_group_export() -> None:
    messages, report = read(FAMILY)
    assert rows(messages) == [
        (utc(2024, 2, 3, 18, 1, 10), "wa:system", "system",
         "Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can read or"
         " listen to them."),
        (utc(2024, 2, 3, 18, 1, 10, 1000), "wa:system", "system", 'Mum created group "Family: Sunday lunch"'),
        (utc(2024, 2, 3, 18, 1, 11), "wa:system", "system", "Mum added you"),
        (utc(2024, 2, 3, 18, 2), "wa:Mum", "message", "Who brings dessert?"),
        (utc(2024, 2, 3, 18, 3, 30), "wa:Mika_Sato", "media", ""),
        (utc(2024, 2, 3, 18, 3, 31), "wa:Mika_Sato", "media", ""),
        (utc(2024, 2, 3, 18, 3, 32), "wa:Dad", "media", ""),
        (utc(2024, 2, 3, 18, 3, 33), "wa:Mika_Sato", "media", ""),
        (utc(2024, 2, 3, 18, 3, 34), "wa:Dad", "media", ""),
        (utc(2024, 2, 4, 9, 15), "wa:Mum", "message", "Lunch at 1 pm"),  # U+00A0 became a space
        (utc(2024, 2, 4, 9, 16), "wa:+15550100199", "message", "it's Grandpa, new number"),
        (utc(2024, 2, 13, 20, 0), "wa:Dad", "message", "see you all"),
        (utc(2024, 2, 1, 7, 0), "wa:Mum", "deleted", ""),  # out of order in the file: kept where it is
    ]
    assert report.skipped == Counter() and report.warnings == [AS_UTC]
    assert {(m.channel.name, m.channel.kind) for m in messages} == {("Family", "group")}
    assert messages[10].author.display_name == "+1 555-010-0199"  # U+202A / U+202C removed


def test_ios_media_kinds() -> None:
    messages, _ = read(FAMILY)
    photo = (FAMILY.parent / "00000042-PHOTO-2024-02-03-18-03-30.jpg").resolve()
    assert [(m.attachments, m.embeds, m.stickers) for m in messages[4:9]] == [
        ((Attachment(url=photo.as_uri(), filename=photo.name, local_path=str(photo)),), (), ()),
        ((Attachment(url="", filename="image.jpg"),), (), ()),
        ((), (), (Sticker(id="", name="sticker"),)),
        ((), (Embed(url=None, title="GIF", kind="gif"),), ()),
        ((Attachment(url="", filename="Menu.pdf"),), (), ()),
    ]


def test_zipped_ios_export_is_the_same_chat(tmp_path: Path) -> None:
    """The zip WhatsApp shares and the unzipped folder give the same channel and message ids."""
    archive = tmp_path / "WhatsApp Chat - Family.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(FAMILY, "_chat.txt")
        zf.write(FAMILY.parent / "00000042-PHOTO-2024-02-03-18-03-30.jpg", "00000042-PHOTO-2024-02-03-18-03-30.jpg")
    found, ignored, _ = discover([archive])
    assert [(s.member, imp.format) for s, imp in found] == [("_chat.txt", "whatsapp-txt")]
    assert [s.member for s in ignored] == ["00000042-PHOTO-2024-02-03-18-03-30.jpg"]
    zipped, report = read(found[0][0])
    unzipped, _ = read(FAMILY)
    assert [m.id for m in zipped] == [m.id for m in unzipped]
    assert zipped[4].attachments == (Attachment(url="", filename="00000042-PHOTO-2024-02-03-18-03-30.jpg"),)
    assert report.warnings == [
        AS_UTC,
        "1 attached files named in the chat are not next to it"
        " (unzip the export and keep its files beside the .txt to use them)"
    ]


# -- locales -------------------------------------------------------------------------------------


def test_spanish_export() -> None:
    messages, _ = read(ANA)
    assert rows(messages) == [
        (utc(2018, 6, 3, 13, 55), "wa:Ana", "message", "hola"),  # "p. m." with U+00A0
        (utc(2018, 6, 3, 13, 56), "wa:Mika_Sato", "message", "qué tal"),
        (utc(2018, 6, 4, 0, 10), "wa:Ana", "media", ""),  # "12:10 a. m.", <multimedia omitido>
        (utc(2018, 6, 23, 11, 0), "wa:Ana", "deleted", ""),  # day 23 proves day-first
    ]


def test_german_export() -> None:
    messages, _ = read(JONAS)
    assert rows(messages) == [
        (utc(2016, 8, 6, 13, 18), "wa:Jonas", "message", "Servus"),
        (utc(2016, 8, 6, 13, 19), "wa:Mika_Sato", "media", ""),
        (utc(2016, 8, 7, 8, 0), "wa:Jonas", "deleted", ""),
    ]
    assert messages[0].channel.name == "Jonas"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("3/6/18, 1:55 p.m. - a: m", utc(2018, 6, 3, 13, 55)),
        ("03-06-2018, 01.55 PM - a: m", utc(2018, 6, 3, 13, 55)),
        ("13.06.18 21.25.15: a: m", utc(2018, 6, 13, 21, 25, 15)),
        ("[06.13.18 21:25:15] a: m", utc(2018, 6, 13, 21, 25, 15)),
        ("13.6.2018 klo 21.25.15 - a: m", utc(2018, 6, 13, 21, 25, 15)),
        ("13. 6. 2018. 21:25:15 a: m", utc(2018, 6, 13, 21, 25, 15)),
        ("[3/6/18 1:55:00 p.\u00a0m.] a: m", utc(2018, 6, 3, 13, 55)),
        ("\u200e[3/6/18 1:55:00 p. m.] a: m", utc(2018, 6, 3, 13, 55)),
        ("[2018/06/13, 21:25:15] a: m", utc(2018, 6, 13, 21, 25, 15)),
        ("[06/2018/13, 21:25:15] a: m", utc(2018, 6, 13, 21, 25, 15)),
        ("2019/01/02, 11:25 - a: m", utc(2019, 1, 2, 11, 25)),
        ("[15-01-20 02:22:56] a: m", utc(2020, 1, 15, 2, 22, 56)),
        ("1/6/23, 2:03\u202fPM - a: m", utc(2023, 1, 6, 14, 3)),  # US English: month first
        ("1/6/23, 12:00\u202fAM - a: m", utc(2023, 1, 6, 0, 0)),
        ("03/06/2023, 6:12 am - a: m", utc(2023, 6, 3, 6, 12)),  # English (India): day first
        ("\ufeff12/9/20, 23:55 - a: m", utc(2020, 9, 12, 23, 55)),
    ],
)
def test_header_layouts(tmp_path: Path, line: str, expected: datetime) -> None:
    messages, _ = read(write(tmp_path, line))
    assert rows(messages) == [(expected, "wa:a", "message", "m")]


def test_date_order_from_the_whole_file(tmp_path: Path) -> None:
    """No part exceeds 12: the reading under which messages follow each other closely wins."""
    expected = [utc(2021, 12, 10, 23, 50), utc(2021, 12, 11, 0, 10)]
    day_first = "10/12/21, 23:50 - a: late\n11/12/21, 00:10 - b: next day\n"
    assert [m.timestamp for m in read(write(tmp_path, day_first))[0]] == expected
    month_first = "12/10/21, 11:50 PM - a: late\n12/11/21, 12:10 AM - b: next day\n"
    assert [m.timestamp for m in read(write(tmp_path, month_first))[0]] == expected


# -- system lines --------------------------------------------------------------------------------


def test_system_lines_with_and_without_an_author(tmp_path: Path) -> None:
    text = (
        "15.04.16, 15:04 - Pokemon Chat: Messages and calls are end-to-end encrypted. Tap to learn more.\n"
        '15.04.16, 15:05 - Ash changed the subject from "Pokemon" to "Pokemon: Go"\n'
        "15.04.16, 15:06 - Misty left\n"
        "15.04.16, 15:07 - Brock: Misty left\n"
        "15.04.16, 15:08 - Ash: \n"
        "multi-line\n"
    )
    messages, _ = read(write(tmp_path, text, "chat.txt"))
    assert [(m.author.id, m.is_system, m.content) for m in messages] == [
        ("wa:system", True, "Messages and calls are end-to-end encrypted. Tap to learn more."),
        ("wa:system", True, 'Ash changed the subject from "Pokemon" to "Pokemon: Go"'),
        ("wa:system", True, "Misty left"),
        ("wa:Brock", False, "Misty left"),
        ("wa:Ash", False, "multi-line"),
    ]
    # no "WhatsApp Chat with" file name: the group's subject names the chat
    assert {(m.channel.name, m.channel.kind) for m in messages} == {("Pokemon: Go", "group")}


def test_an_old_group_notice_under_the_group_name(tmp_path: Path) -> None:
    """Old Android exports: the group's notice with the group's name as author, and no U+200E."""
    text = (
        "15.04.16, 15:04 - Laufgruppe: Nachrichten an diese Gruppe sind jetzt mit Ende-zu-Ende-Verschlüsselung"
        " geschützt. Tippe für mehr Infos.\n"
        "15.04.16, 15:05 - Ana: hallo\n"
        "15.04.16, 15:06 - Mika: hi\n"
    )
    messages, _ = read(write(tmp_path, text, "chat.txt"))
    assert [(m.author.id, m.is_system) for m in messages] == [("wa:system", True), ("wa:Ana", False), ("wa:Mika", False)]
    assert {(m.channel.name, m.channel.kind) for m in messages} == {("Laufgruppe", "group")}


def test_lines_before_the_first_header_are_counted(tmp_path: Path) -> None:
    messages, report = read(write(tmp_path, "garbage\n\n12/9/20, 23:55 - a: m\n"))
    assert rows(messages) == [(utc(2020, 9, 12, 23, 55), "wa:a", "message", "m")]
    assert report.skipped == Counter({"malformed": 1})
    assert report.warnings == ["1 lines before the first message were skipped", AS_UTC]


# -- names and ids -------------------------------------------------------------------------------


def test_author_ids() -> None:
    assert author_id("Mika  Sato") == "wa:Mika_Sato"
    assert author_id("Ｍｉｋａ") == "wa:Mika"  # NFKC
    assert author_id("+1 (555) 010-0199") == "wa:+15550100199"
    assert author_id("0176 1234567") == "wa:01761234567"
    assert author_id("Agent 007") == "wa:Agent_007"


@pytest.mark.parametrize(
    ("source", "name"),
    [
        (Source(Path("/x/WhatsApp Chat with Bob.txt")), "Bob"),
        (Source(Path("/x/WhatsApp_Chat_with_Dr_Who.txt")), "Dr Who"),
        (Source(Path("/x/Chat de WhatsApp con Ana.txt")), "Ana"),
        (Source(Path("/x/WhatsApp Chat - Family.zip"), "_chat.txt"), "Family"),
        (Source(Path("/x/WhatsApp Chat - Family/_chat.txt")), "Family"),
        (Source(Path("/x/exports/_chat.txt")), ""),
    ],
)
def test_chat_names(source: Source, name: str) -> None:
    assert chat_name(source) == name


def test_a_longer_export_adds_only_the_new_messages(tmp_path: Path) -> None:
    """Re-exports are idempotent: same chat name, same header time, author, text -> same id."""
    shorter = write(tmp_path, BOB.read_text(encoding="utf-8"), "WhatsApp Chat with Bob.txt")
    longer_dir = tmp_path / "later"
    longer_dir.mkdir()
    longer = write(longer_dir, BOB.read_text(encoding="utf-8") + "1/14/23, 9:00\u202fAM - Bob: ok\n", shorter.name)
    with MessageStore(tmp_path / "shizu.db") as store:
        (first,) = ingest_sources(store, discover([shorter])[0])
        (second,) = ingest_sources(store, discover([longer])[0])
        assert (first.counts.new, second.counts.new, second.counts.present) == (12, 1, 12)


def test_reimport_through_the_pipeline_adds_nothing(tmp_path: Path) -> None:
    found, ignored, _ = discover([FIXTURES])
    assert sorted((s.filename, imp.format) for s, imp in found) == [
        ("WhatsApp Chat mit Jonas.txt", "whatsapp-txt"),
        ("WhatsApp Chat with Ana.txt", "whatsapp-txt"),
        ("WhatsApp Chat with Bob.txt", "whatsapp-txt"),
        ("_chat.txt", "whatsapp-txt"),
        ("_chat.txt", "whatsapp-txt"),  # WhatsApp Chat - Lauftreff (test_ingest_whatsapp_ios.py)
    ]
    assert sorted(s.filename for s in ignored) == ["00000042-PHOTO-2024-02-03-18-03-30.jpg", "IMG-20230106-WA0001.jpg"]
    with MessageStore(tmp_path / "shizu.db") as store:
        first = ingest_sources(store, found)
        again = ingest_sources(store, found)
        assert [r.error for r in first + again] == [None] * 10
        assert sum(r.counts.new for r in first) == 55 == store.count()
        assert sum(r.counts.new for r in again) == 0
        assert store.account_ids() == []
        stored = list(store.iter_messages())
    assert Counter(m.platform for m in stored) == Counter({"whatsapp": 55})


# -- damaged input -------------------------------------------------------------------------------


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "WhatsApp Chat with Bob.txt"
    path.write_bytes(BOB.read_bytes().replace(b"lunch?", b"lunch\xe9?"))
    with pytest.raises(IngestError) as err:
        read(path)
    assert (err.value.position, err.value.message.split(": ", 1)[1]) == ("line 15", "is not UTF-8 text")


def test_no_header_at_all(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="no line starts with a valid date and time"):
        read(write(tmp_path, "just some notes\n99/99/99, 10:00 - a: impossible date\n"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_damage_is_a_shizu_error_or_messages(data: st.DataObject) -> None:
    original = data.draw(st.sampled_from([BOB, FAMILY, ANA, JONAS])).read_bytes()
    kind = data.draw(st.sampled_from(["truncate", "garble", "random", "text"]))
    if kind == "truncate":
        damaged = original[: data.draw(st.integers(0, len(original)))]
    elif kind == "garble":
        pos = data.draw(st.integers(0, len(original) - 1))
        damaged = original[:pos] + data.draw(st.binary(min_size=1, max_size=8)) + original[pos + 1 :]
    elif kind == "random":
        damaged = data.draw(st.binary(max_size=300))
    else:
        damaged = ("12/9/20, 23:55 - " + data.draw(st.text(max_size=200))).encode("utf-8", "surrogatepass")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "WhatsApp Chat with X.txt"
        path.write_bytes(damaged)
        try:
            messages, _ = read(path)
        except ShizuError:
            return
    assert messages and all(m.id.startswith(m.channel.id + ":") and m.timestamp.tzinfo is UTC for m in messages)


# -- the real samples ----------------------------------------------------------------------------


@needs_real(REAL)
def test_real_android_group() -> None:
    messages, report = read(REAL / "android_chat_analytics_4A_11M.txt")
    assert len(messages) == 14 and report.skipped == Counter() and report.warnings == [AS_UTC]
    assert Counter(m.author.id for m in messages) == Counter(
        {"wa:system": 3, "wa:Alice": 3, "wa:Bob": 2, "wa:Eve": 2, "wa:Mallory": 2, "wa:Trent": 2}
    )
    assert [m.content for m in messages[:3]] == [
        "Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can read or"
        " listen to them. Tap to learn more.",
        'Alice created group "Some cool group chat"',
        "Alice added you",
    ]
    assert messages[0].timestamp == utc(2020, 9, 12, 23, 55)
    assert messages[11].content == "👩🏻\u200d⚖️"  # the ZWJ inside an emoji is kept
    assert {(m.channel.name, m.channel.kind) for m in messages} == {("Some cool group chat", "group")}


@needs_real(REAL)
def test_real_ios_group() -> None:
    messages, report = read(REAL / "ios_sodascience__chat.txt")
    assert len(messages) == 10 and report.skipped == Counter() and report.warnings == [AS_UTC]
    assert [m.is_system for m in messages] == [True] + [False] * 9
    assert messages[5].content == "Location: https://maps.google.com/?q=52.089451,5.108469"  # LRM removed
    assert messages[6].content.startswith("I’m about to generate")
    assert messages[-1].timestamp == utc(2020, 7, 14, 22, 5, 54)  # the out-of-order last line
    assert messages[-1].content == "👍Bedankt"
    assert {m.channel.kind for m in messages} == {"group"}
