"""WhatsApp times: 12-hour clocks counting 0-11, header-like lines that cannot be read, the phone's time zone."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from shizu.ingest.base import FileReport
from shizu.ingest.pipeline import discover, ingest_sources
from shizu.ingest.source import Source
from shizu.ingest.whatsapp import WhatsAppImporter
from shizu.message import Message
from shizu.store import MessageStore

AS_UTC = (
    "the times in this chat have no time zone; they were read as UTC"
    " (set [ingest] timezone in shizu.toml, or shizu ingest --timezone, to change it)"
)


def read(path: Path, zone: ZoneInfo | None = None) -> tuple[list[Message], FileReport]:
    source = Source(path)
    report = FileReport(source=source, timezone=zone)
    return list(WhatsAppImporter().read(source, report)), report


def write(tmp_path: Path, text: str, name: str = "WhatsApp Chat with Ana.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def rows(messages: list[Message]) -> list[tuple]:
    return [(m.timestamp, m.author.id, m.content) for m in messages]


# -- 12-hour clocks that count 0-11 -----------------------------------------------------------------


def test_hour_zero_of_a_12_hour_clock_starts_a_message(tmp_path: Path) -> None:
    text = (
        "06/19/2020, 11:58 p.\u00a0m. - Bob: late\n"
        "06/20/2020, 00:08 a.\u00a0m. - Ana: still up\n"  # some locales count 0-11
        "06/20/2020, 12:09 a.\u00a0m. - Bob: yes\n"  # others 12, 1, ... 11
        "06/20/2020, 0:30 p.\u00a0m. - Ana: lunch\n"
        "06/20/2020, 11:59 a.\u00a0m. - Bob: ok\n"
    )
    messages, report = read(write(tmp_path, text))
    assert rows(messages) == [
        (utc(2020, 6, 19, 23, 58), "wa:Bob", "late"),
        (utc(2020, 6, 20, 0, 8), "wa:Ana", "still up"),
        (utc(2020, 6, 20, 0, 9), "wa:Bob", "yes"),
        (utc(2020, 6, 20, 12, 30), "wa:Ana", "lunch"),
        (utc(2020, 6, 20, 11, 59), "wa:Bob", "ok"),
    ]
    assert report.warnings == [AS_UTC]


def test_an_hour_past_12_on_a_12_hour_clock_is_not_a_header(tmp_path: Path) -> None:
    text = "1/6/23, 9:58\u202fPM - Bob: hi\n1/6/23, 13:05\u202fPM - Bob: impossible\n"
    messages, report = read(write(tmp_path, text))
    assert rows(messages) == [(utc(2023, 1, 6, 21, 58), "wa:Bob", "hi\n1/6/23, 13:05 PM - Bob: impossible")]
    assert report.warnings == [
        "line 2 looks like a message header but its time does not exist; it was kept as text of the message before it",
        AS_UTC,
    ]


# -- header-like lines that cannot be read: a warning with their line numbers, never silence --------


def test_unreadable_headers_are_warned_with_their_line_numbers(tmp_path: Path) -> None:
    text = (
        "12.03.21, 10:00 - Ana: one\n"
        "13.03.21, 25:10 - Ana: no such hour\n"  # line 2
        "14.03.21, 10:61 - Ana: no such minute\n"  # line 3
        "31.02.21, 10:00 - Ana: no such day\n"  # line 4
        "15.03.21, 10:00 - Ana: two\n"
        "[15/03/2021, 10:05:00] Bob: pasted from another chat\n"  # line 6: another layout
        "16.03.21, 10:00 - Ana: three\n"
    )
    messages, report = read(write(tmp_path, text))
    assert rows(messages) == [
        (utc(2021, 3, 12, 10), "wa:Ana", "one\n13.03.21, 25:10 - Ana: no such hour\n14.03.21, 10:61 - Ana: no such minute"
         "\n31.02.21, 10:00 - Ana: no such day"),
        (utc(2021, 3, 15, 10), "wa:Ana", "two\n[15/03/2021, 10:05:00] Bob: pasted from another chat"),
        (utc(2021, 3, 16, 10), "wa:Ana", "three"),
    ]
    assert report.warnings == [
        "2 lines look like message headers but their time does not exist (lines 2, 3);"
        " they were kept as text of the messages before them",
        "line 4 looks like a message header but its date does not exist in the day/month order the rest of the file"
        " uses; it was kept as text of the message before it",
        "line 6 looks like a message header but it is written in another layout than the file's messages"
        " (a pasted message?); it was kept as text of the message before it",
        AS_UTC,
    ]
    assert report.skipped == Counter()


def test_many_unreadable_headers_are_listed_up_to_ten(tmp_path: Path) -> None:
    text = "12.03.21, 10:00 - Ana: one\n" + "".join(f"12.03.21, 24:{i:02d} - Ana: x\n" for i in range(12))
    messages, report = read(write(tmp_path, text))
    assert len(messages) == 1 and messages[0].content.count("\n") == 12
    assert report.warnings[0] == (
        "12 lines look like message headers but their time does not exist (lines 2, 3, 4, 5, 6, 7, 8, 9, 10, 11"
        " and 2 more); they were kept as text of the messages before them"
    )


def test_an_unreadable_header_before_the_first_message(tmp_path: Path) -> None:
    messages, report = read(write(tmp_path, "12/9/20, 29:55 - a: m\n12/9/20, 23:55 - a: m\n"))
    assert rows(messages) == [(utc(2020, 9, 12, 23, 55), "wa:a", "m")]
    assert report.skipped == Counter({"malformed": 1})
    assert report.warnings == [
        "1 lines before the first message were skipped",
        "line 1 looks like a message header but its time does not exist; it was kept as text of the message before it",
        AS_UTC,
    ]


# -- the phone's time zone ----------------------------------------------------------------------


PARIS = "16.01.24, 21:58 - Bob: winter\n16.07.24, 21:58 - Bob: summer\n16.07.24, 21:58 - Bob: summer\n"


def test_times_are_read_in_the_configured_zone(tmp_path: Path) -> None:
    path = write(tmp_path, PARIS)
    in_paris, report = read(path, ZoneInfo("Europe/Paris"))
    assert rows(in_paris) == [
        (utc(2024, 1, 16, 20, 58), "wa:Bob", "winter"),  # UTC+1
        (utc(2024, 7, 16, 19, 58), "wa:Bob", "summer"),  # UTC+2
        (utc(2024, 7, 16, 19, 58, 0, 1000), "wa:Bob", "summer"),  # same minute: 1 ms later, file order kept
    ]
    assert report.warnings == ["the times in this chat have no time zone; they were read as Europe/Paris"]
    as_utc, report = read(path)
    assert [m.timestamp for m in as_utc] == [utc(2024, 1, 16, 21, 58), utc(2024, 7, 16, 21, 58), utc(2024, 7, 16, 21, 58, 0, 1000)]
    assert report.warnings == [AS_UTC]
    # the id hashes the time as written: changing [ingest] timezone stores nothing twice
    assert [m.id for m in in_paris] == [m.id for m in as_utc]


def test_the_zone_through_the_pipeline(tmp_path: Path) -> None:
    found = discover([write(tmp_path, PARIS)])[0]
    with MessageStore(tmp_path / "shizu.db") as store:
        (first,) = ingest_sources(store, found, timezone=ZoneInfo("Asia/Tokyo"))
        (again,) = ingest_sources(store, found, timezone=ZoneInfo("Asia/Tokyo"))
        (utc_read,) = ingest_sources(store, found)
        stored = sorted(m.timestamp for m in store.iter_messages())
    assert first.warnings == ["the times in this chat have no time zone; they were read as Asia/Tokyo"]
    assert (first.counts.new, again.counts.new, utc_read.counts.new) == (3, 0, 0)
    assert stored[0] == utc(2024, 1, 16, 12, 58)  # 21:58 in Tokyo (UTC+9)
