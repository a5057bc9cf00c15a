"""WhatsApp iOS exports: notices under a name (U+200E), "~ " names, phone numbers, the same chat from Android."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shizu.ingest.base import FileReport
from shizu.ingest.pipeline import discover, ingest_sources
from shizu.ingest.source import Source
from shizu.ingest.whatsapp import WhatsAppImporter, author_id, person_name
from shizu.message import Attachment, Message
from shizu.store import MessageStore

FIXTURES = Path(__file__).parent / "fixtures" / "whatsapp"
# A hand-written iOS group export: every notice is written under a name, its text starting with U+200E.
LAUFTREFF = FIXTURES / "WhatsApp Chat - Lauftreff" / "_chat.txt"
LRM = "\u200e"
AS_UTC = (
    "the times in this chat have no time zone; they were read as UTC"
    " (set [ingest] timezone in shizu.toml, or shizu ingest --timezone, to change it)"
)


def read(path: Path | Source) -> tuple[list[Message], FileReport]:
    source = path if isinstance(path, Source) else Source(path)
    report = FileReport(source=source)
    return list(WhatsAppImporter().read(source, report)), report


def at(minute: int, second: int = 0, micro: int = 0) -> datetime:
    return datetime(2024, 3, 2, 9, minute, second, micro, tzinfo=UTC)


def test_notices_under_a_name_are_system_messages() -> None:
    messages, report = read(LAUFTREFF)
    assert [(m.timestamp, m.author.id, m.kind, m.is_system, m.content) for m in messages] == [
        (at(0), "wa:system", "system", True,
         "Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can read or"
         " listen to them."),
        (at(0, 0, 1000), "wa:system", "system", True, "Mika Sato created this group"),
        (at(0, 1), "wa:system", "system", True, "Mika Sato added Jonas Weber"),
        (at(0, 2), "wa:system", "system", True, "Mika Sato changed the subject to “Lauftreff: Sunday 9:00”"),
        (at(0, 3), "wa:system", "system", True, "Mika Sato changed this group’s icon"),
        (at(0, 4), "wa:system", "system", True, "Mika Sato changed the group description"),
        (at(1), "wa:system", "system", True, "~ Lucas joined using this group’s invite link"),
        (at(2), "wa:Mika_Sato", "message", False, "Welcome! We start at the bridge"),
        (at(2, 30), "wa:Lucas", "message", False, "hi all"),
        (at(3), "wa:Jonas_Weber", "media", False, ""),  # U+200E before the media marker: still media
        (at(3, 10), "wa:Jonas_Weber", "deleted", False, ""),
        (at(4), "wa:Mika_Sato", "edited", False, "see you there"),
        (at(5), "wa:system", "system", True, "+1 (435) 631\u20114606 joined using this group’s invite link"),
        (at(5, 30), "wa:+14356314606", "message", False, "count me in"),
        (at(6), "wa:system", "system", True, "Your security code with Jonas Weber changed. Tap to learn more."),
        (at(7), "wa:system", "system", True,
         "Mika Sato turned on disappearing messages. New messages will disappear from this chat 7 days after they’re"
         " sent, except when kept."),
        (at(7, 30), "wa:system", "system", True, "Mika Sato turned off disappearing messages."),
        (at(8), "wa:system", "system", True, "You’re now an admin"),
        # a notice no table knows (Polish), under the group's name: still a notice
        (at(8, 30), "wa:system", "system", True, "Mika Sato przypiął wiadomość"),
        (at(9), "wa:system", "system", True, "Jonas Weber left"),
        (at(10), "wa:Mika_Sato", "message", False, "Location: https://maps.google.com/?q=52.089451,5.108469"),
        (at(11), "wa:Mika_Sato", "message", False, "Jonas Weber left"),  # no U+200E: a person wrote it
        (at(12), "wa:Mika_Sato", "media", False, ""),
    ]
    assert report.warnings == [AS_UTC] and report.skipped == Counter()
    assert {(m.channel.name, m.channel.kind) for m in messages} == {("Lauftreff", "group")}
    assert messages[9].attachments == (Attachment(url="", filename="image.jpg"),)
    assert messages[22].attachments == (Attachment(url="", filename="contact.vcf"),)
    names = {(m.author.id, m.author.display_name) for m in messages}
    assert names == {
        ("wa:system", "WhatsApp"), ("wa:Mika_Sato", "Mika Sato"), ("wa:Lucas", "Lucas"),
        ("wa:Jonas_Weber", "Jonas Weber"), ("wa:+14356314606", "+1 (435) 631\u20114606"),
    }


def test_the_group_name_is_never_a_person(tmp_path: Path) -> None:
    """Through the pipeline: no author row for the group, the same ids on a second import."""
    with MessageStore(tmp_path / "shizu.db") as store:
        found = discover([LAUFTREFF])[0]
        (first,) = ingest_sources(store, found)
        (again,) = ingest_sources(store, found)
        authors = store.db.execute("SELECT id, display_name FROM authors ORDER BY id").fetchall()
        per_author = dict(store.db.execute("SELECT author_id, count(*) FROM messages GROUP BY author_id").fetchall())
        stored = sorted(m.id for m in store.iter_messages())
    assert (first.counts.new, again.counts.new, again.counts.present) == (23, 0, 23)
    assert authors == [
        ("wa:+14356314606", "+1 (435) 631\u20114606"), ("wa:Jonas_Weber", "Jonas Weber"), ("wa:Lucas", "Lucas"),
        ("wa:Mika_Sato", "Mika Sato"), ("wa:system", "WhatsApp"),
    ]
    assert per_author == {"wa:system": 14, "wa:Mika_Sato": 5, "wa:Lucas": 1, "wa:Jonas_Weber": 2, "wa:+14356314606": 1}
    assert stored == sorted(m.id for m in read(LAUFTREFF)[0])


def test_a_dm_from_an_iphone_stays_a_dm(tmp_path: Path) -> None:
    """In a DM the end-to-end notice is written under the contact's name: that makes no group."""
    folder = tmp_path / "WhatsApp Chat - Ana"
    folder.mkdir()
    (folder / "_chat.txt").write_text(
        f"[01/02/2024, 10:00:00] Ana: {LRM}Messages and calls are end-to-end encrypted. No one outside of this chat,"
        " not even WhatsApp, can read or listen to them.\n"
        "[01/02/2024, 10:01:00] Ana: hi\n"
        "[01/02/2024, 10:02:00] Mika Sato: hey\n"
        f"[01/02/2024, 10:03:00] Ana: {LRM}Missed voice call\n"
        f"[01/02/2024, 10:04:00] Ana: {LRM}Ana changed their phone number to a new number. Tap to message or add the"
        " new number.\n",
        encoding="utf-8",
    )
    messages, _ = read(folder / "_chat.txt")
    assert [(m.author.id, m.is_system) for m in messages] == [
        ("wa:system", True), ("wa:Ana", False), ("wa:Mika_Sato", False), ("wa:system", True), ("wa:system", True),
    ]
    assert {(m.channel.name, m.channel.kind) for m in messages} == {("Ana", "dm")}


def test_notice_phrases_need_the_mark_after_a_name(tmp_path: Path) -> None:
    """Without U+200E a group-event phrase after a name is what a person wrote."""
    path = tmp_path / "_chat.txt"
    path.write_text(
        f"[01/02/2024, 10:00:00] Grupo: {LRM}Ana creó el grupo “Corredores”\n"
        "[01/02/2024, 10:01:00] Ana: Ana creó el grupo “Corredores”\n"
        f"[01/02/2024, 10:02:00] Ana: {LRM}imagen omitida\n"
        f"[01/02/2024, 10:03:00] Ana: {LRM}Se eliminó este mensaje.\n"
        f"[01/02/2024, 10:04:00] Ana: {LRM}Ubicación: https://maps.google.com/?q=1,2\n",
        encoding="utf-8",
    )
    messages, _ = read(path)
    assert [(m.author.id, m.kind) for m in messages] == [
        ("wa:system", "system"), ("wa:Ana", "message"), ("wa:Ana", "media"), ("wa:Ana", "deleted"),
        ("wa:Ana", "message"),
    ]
    # no file name: the subject names the chat; the group's name made it a group
    assert {(m.channel.name, m.channel.kind) for m in messages} == {("Corredores", "group")}


# -- names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "+1 (435) 631\u20114606",  # U+2011 NON-BREAKING HYPHEN, as iOS writes it
        "+1 435-631-4606",
        "+1\u00a0435\u2010631\u20124606",  # U+00A0, U+2010, U+2012
        "+1\u202f435\u2013631\u22124606",  # U+202F, U+2013, U+2212
        "+1\u2007(435)\u2007631 4606",  # U+2007
        "\u202a+1 (435) 631-4606\u202c",  # LRE / PDF around it
        "+14356314606",
        "+１ ４３５ ６３１ ４６０６",  # full-width digits
    ],
)
def test_a_phone_number_is_one_id_however_written(written: str) -> None:
    assert author_id(written) == "wa:+14356314606"


@pytest.mark.parametrize("written", ["~ Lucas", "~\u202fLucas", "~\u00a0Lucas", "~Lucas", "\u200e~ Lucas", "Lucas"])
def test_the_tilde_of_names_not_in_contacts_is_not_part_of_the_name(written: str) -> None:
    assert (person_name(written), author_id(written)) == ("Lucas", "wa:Lucas")


def test_a_lone_tilde_stays_a_name() -> None:
    assert (person_name("~"), author_id("~")) == ("~", "wa:~")


def test_the_same_chat_from_android_and_iphone_has_the_same_authors(tmp_path: Path) -> None:
    android = tmp_path / "WhatsApp Chat with Lauftreff.txt"
    android.write_text(
        "02/03/2024, 09:02 - Mika Sato: Welcome! We start at the bridge\n"
        "02/03/2024, 09:02 - Lucas: hi all\n"
        "02/03/2024, 09:05 - +1 435-631-4606: count me in\n",
        encoding="utf-8",
    )
    from_android, _ = read(android)
    from_iphone, _ = read(LAUFTREFF)
    ids = {m.author.id for m in from_android}
    assert ids == {"wa:Mika_Sato", "wa:Lucas", "wa:+14356314606"}
    assert ids <= {m.author.id for m in from_iphone}
    assert {m.channel.id for m in from_android} == {m.channel.id for m in from_iphone}  # named "Lauftreff" both


def test_calls_and_security_codes_are_notices_even_without_the_mark(tmp_path: Path) -> None:
    """Older exports write them after a name with no U+200E; a longer text is a person's message."""
    path = tmp_path / "WhatsApp Chat with Ana.txt"
    path.write_text(
        "12/9/20, 10:00 - Ana: Llamada perdida\n"
        "12/9/20, 10:01 - Ana: Llamada perdida jaja\n"
        f"12/9/20, 10:02 - Ana: {LRM}Llamada perdida, toca para devolver la llamada\n"
        "12/9/20, 10:03 - Ana: Cambió tu código de seguridad con Mika. Toca para obtener más información.\n"
        "12/9/20, 10:04 - Ana: Mika salió\n"
        "12/9/20, 10:05 - Mika Sato: ok\n",
        encoding="utf-8",
    )
    messages, _ = read(path)
    assert [(m.author.id, m.is_system, m.content) for m in messages] == [
        ("wa:system", True, "Llamada perdida"),
        ("wa:Ana", False, "Llamada perdida jaja"),
        ("wa:system", True, "Llamada perdida, toca para devolver la llamada"),
        ("wa:system", True, "Cambió tu código de seguridad con Mika. Toca para obtener más información."),
        ("wa:Ana", False, "Mika salió"),
        ("wa:Mika_Sato", False, "ok"),
    ]
    assert {(m.channel.name, m.channel.kind) for m in messages} == {("Ana", "dm")}


def test_a_long_marked_line_is_never_a_notice(tmp_path: Path) -> None:
    """Events are short: a marked line longer than 500 characters is not tested against them."""
    long = "Mika added " + "Jonas and " * 60 + "Ana"
    path = tmp_path / "_chat.txt"
    path.write_text(
        f"[01/02/2024, 10:00:00] Ana: {LRM}{long}\n[01/02/2024, 10:01:00] Ana: {LRM}Mika added Jonas\n"
        "[01/02/2024, 10:02:00] Ana: hi\n",
        encoding="utf-8",
    )
    messages, _ = read(path)
    assert [(m.author.id, m.is_system, len(m.content)) for m in messages] == [
        ("wa:Ana", False, len(long)), ("wa:system", True, 16), ("wa:Ana", False, 2),
    ]
