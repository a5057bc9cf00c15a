"""DiscordChatExporter CSV of 2018-2019 (DCE 2.x): semicolons, a trailing ``;``, minute dates, page files.

Public archives of such exports rename the partition files to bare page numbers in a folder named
after the channel. The fixture is generated here, shaped exactly like those files.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from shizu.ingest.base import FileReport
from shizu.ingest.dce_csv import DceCsvImporter
from shizu.ingest.pipeline import discover, ingest_sources
from shizu.ingest.source import Source
from shizu.message import Reaction
from shizu.store import MessageStore

HEADER = '"AuthorID";"Author";"Date";"Content";"Attachments";"Reactions";\r\n'
ALICE, BOB, BOT = ("111", "alice#1234"), ("222", "bob#0001"), ("333", "MEE6#4876")
PAGES, PER_PAGE = 12, 10  # 120 messages, page files 1.csv ... 12.csv


def row(author: tuple[str, str], when: datetime, content: str, attachments: str = "", reactions: str = "") -> str:
    fields = [*author, when.strftime("%d-%b-%y %I:%M %p"), content, attachments, reactions]
    return ";".join('"' + f.replace('"', '""') + '"' for f in fields) + ";\r\n"


def write_pages(folder: Path) -> list[list[str]]:
    """12 pages of 10 rows; every two rows share a minute, and pages break inside a minute."""
    folder.mkdir(parents=True)
    start = datetime(2018, 6, 12, 6, 30)
    pages: list[list[str]] = []
    texts = []
    for i in range(PAGES * PER_PAGE):
        when = start + timedelta(minutes=(i + 1) // 2)  # rows 1-2, 3-4, ... share a minute; page ends split them
        author = ALICE if i % 2 else BOB
        content = f"q{i}?" if author is BOB else f"a{i}!"
        texts.append(content)
        if i == 5:
            content, texts[-1] = "line one\nline two", "line one\nline two"
        extra = {}
        if i == 7:
            extra = {"reactions": "👌 (8),👍 (9)"}
        if i == 8:
            author, content, texts[-1] = BOT, "", ""  # an embed-only bot post: no content, no attachment
        pages_index = i // PER_PAGE
        if pages_index == len(pages):
            pages.append([])
        pages[pages_index].append(row(author, when, content, **extra))
    for number, lines in enumerate(pages, start=1):
        (folder / f"{number}.csv").write_text(HEADER + "".join(lines), encoding="utf-8", newline="")
    return [texts[p * PER_PAGE:(p + 1) * PER_PAGE] for p in range(PAGES)]


def test_a_2018_page_reads_exactly(tmp_path: Path) -> None:
    write_pages(tmp_path / "general")
    source = Source(tmp_path / "general" / "1.csv")
    assert DceCsvImporter().sniff(source, source.head())
    report = FileReport(source)
    messages = list(DceCsvImporter().read(source, report))
    assert len(messages) == PER_PAGE
    assert [m.author.id for m in messages[:3]] == ["222", "111", "222"]
    assert (messages[0].author.name, messages[1].author.name) == ("bob", "alice")
    assert messages[0].channel.name == "general" and messages[0].channel.kind == "guild-text"
    assert messages[0].timestamp == datetime(2018, 6, 12, 6, 30, tzinfo=UTC)
    assert messages[1].timestamp == datetime(2018, 6, 12, 6, 31, tzinfo=UTC)
    assert messages[2].timestamp == datetime(2018, 6, 12, 6, 31, 0, 1000, tzinfo=UTC)  # same minute: file order, 1 ms later
    assert messages[5].content == "line one\nline two"
    assert messages[7].reactions == (Reaction(emoji="👌", count=8), Reaction(emoji="👍", count=9))
    assert (messages[8].author.id, messages[8].content, messages[8].attachments) == ("333", "", ())


def test_all_pages_are_one_channel_in_order_across_page_breaks(tmp_path: Path) -> None:
    pages = write_pages(tmp_path / "archive" / "general")
    found, ignored, _ = discover([tmp_path / "archive"])
    assert [s.filename for s, _ in found] == [f"{n}.csv" for n in range(1, PAGES + 1)]  # 2.csv before 10.csv
    assert ignored == []
    with MessageStore(tmp_path / "db.sqlite") as store:
        reports = ingest_sources(store, found, worker=False)
        assert [r.error for r in reports] == [None] * PAGES
        stored = list(store.iter_messages())
        assert len({m.channel.id for m in stored}) == 1
        assert [m.content for m in stored] == [t for page in pages for t in page]  # a page break never reorders
        again = ingest_sources(store, found, worker=False)
        assert sum(r.counts.new for r in again if r.counts) == 0 and store.count() == PAGES * PER_PAGE


def test_a_same_minute_question_and_answer_stay_in_order(tmp_path: Path) -> None:
    folder = tmp_path / "general"
    folder.mkdir()
    minute = datetime(2018, 6, 12, 18, 5)
    # The answer's hashed id would sort before the question's: only the file order can keep them right.
    (folder / "1.csv").write_text(HEADER + row(BOB, minute, "are you coming?"), encoding="utf-8", newline="")
    (folder / "2.csv").write_text(HEADER + row(ALICE, minute, "yes!") + row(BOB, minute, "great"), encoding="utf-8", newline="")
    found, _, _ = discover([folder])
    with MessageStore(tmp_path / "db.sqlite") as store:
        ingest_sources(store, found, worker=False)
        assert [m.content for m in store.iter_messages()] == ["are you coming?", "yes!", "great"]


def test_dates_without_a_zone_are_read_in_the_ingest_timezone(tmp_path: Path) -> None:
    write_pages(tmp_path / "general")
    source = Source(tmp_path / "general" / "1.csv")
    report = FileReport(source, timezone=ZoneInfo("America/New_York"))
    first = next(iter(DceCsvImporter().read(source, report)))
    assert first.timestamp == datetime(2018, 6, 12, 10, 30, tzinfo=UTC)  # 06:30 EDT


def test_a_page_that_lies_in_one_minute_carries_the_minute_on(tmp_path: Path) -> None:
    folder = tmp_path / "general"
    folder.mkdir()
    minute = datetime(2018, 6, 12, 18, 5)
    pages = [
        [row(BOB, minute - timedelta(minutes=1), "earlier"), row(BOB, minute, "are you coming?"), row(ALICE, minute, "when?")],
        [row(BOB, minute, "at 7")],  # the whole page is that minute: the steps go on through it
        [row(ALICE, minute, "ok!"), row(BOB, minute + timedelta(minutes=1), "great")],
    ]
    for number, rows in enumerate(pages, start=1):
        (folder / f"{number}.csv").write_text(HEADER + "".join(rows), encoding="utf-8", newline="")
    found, _, _ = discover([folder])
    with MessageStore(tmp_path / "db.sqlite") as store:
        ingest_sources(store, found, worker=False)
        stored = list(store.iter_messages())
    assert [m.content for m in stored] == ["earlier", "are you coming?", "when?", "at 7", "ok!", "great"]
    assert [m.timestamp.microsecond // 1000 for m in stored[1:5]] == [0, 1, 2, 3]
