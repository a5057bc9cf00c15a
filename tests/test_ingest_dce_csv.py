"""DiscordChatExporter CSV: every Date format, channel from the file name, stable derived ids."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from shizu.errors import IngestError
from shizu.ingest.base import SKIP_BAD_TIMESTAMP, SKIP_MALFORMED, SKIP_NO_AUTHOR, FileReport
from shizu.ingest.dce_csv import DceCsvImporter, channel_from_file_name
from shizu.ingest.dce_json import DceJsonImporter
from shizu.ingest.source import Source
from shizu.message import Attachment, Channel, Message, Reaction

CSV = Path(__file__).parent / "fixtures" / "dce" / "csv"
HEADER = "AuthorID,Author,Date,Content,Attachments,Reactions\r\n"
NAIVE = (
    "the dates in this CSV have no time zone (DCE before 2.42.3); they were read as UTC"
    " (set [ingest] timezone in shizu.toml, or shizu ingest --timezone, to change it)"
)


def read(path: Path) -> tuple[list[Message], FileReport]:
    source = Source(path)
    report = FileReport(source=source)
    return list(DceCsvImporter().read(source, report)), report


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def write_csv(path: Path, rows: list[tuple[str, ...]]) -> Path:
    def q(v: str) -> str:
        return '"' + v.replace('"', '""') + '"'

    path.write_text(HEADER + "".join(",".join(q(v) for v in r) + "\r\n" for r in rows), "utf-8", newline="")
    return path


def test_sniff_by_header() -> None:
    imp = DceCsvImporter()
    src = Source(Path("x"))
    assert imp.sniff(src, b"AuthorID,Author,Date,Content,Attachments,Reactions\r\n")
    assert imp.sniff(src, b"\xef\xbb\xbfAuthorID,Author,Date,Content,Attachments,Reactions\n\"1\"")
    assert imp.sniff(src, b'"AuthorID","Author","Date","Content","Attachments","Reactions"\n')
    assert imp.sniff(src, b"AuthorID,Author,Date,Content,Attachments\n")
    assert not imp.sniff(src, b"ID,Timestamp,Contents,Attachments\r\n")  # the data package's messages.csv
    assert not imp.sniff(src, b'{"guild": {}, "channel": {}}')
    for path in CSV.glob("*.csv"):
        assert imp.sniff(Source(path), path.read_bytes()[:65536]), path.name
        assert not DceJsonImporter().sniff(Source(path), path.read_bytes()[:65536])


def test_channel_from_dce_file_names() -> None:
    assert channel_from_file_name("Cool server - Text Channels - general [320000000000000010].csv") == Channel(
        id="320000000000000010", name="general", kind="guild-text", guild_name="Cool server"
    )
    assert channel_from_file_name(
        "Cool server - Text Channels - general [320000000000000010] (2023-01-01 to 2023-02-01) [part 3].csv"
    ).id == "320000000000000010"
    assert channel_from_file_name("Direct Messages - Private - wumpus [310000000000000001].csv") == Channel(
        id="310000000000000001", name="wumpus", kind="dm"
    )
    assert channel_from_file_name("Direct Messages - Group - alice, bob [311000000000000001].csv").kind == "group"
    assert channel_from_file_name("Direct Messages - alice, bob [311000000000000001].csv").kind == "group"
    assert channel_from_file_name("Direct Messages - alice [311000000000000002].csv").kind == "dm"
    assert channel_from_file_name("Server - general [350000000000000001].csv") == Channel(
        id="350000000000000001", name="general", guild_name="Server"
    )
    renamed = channel_from_file_name("my export.csv")
    assert renamed.id.startswith("csv-") and renamed.name == "my export"
    assert channel_from_file_name("my export.csv") == renamed
    assert channel_from_file_name("other.csv").id != renamed.id


def test_iso_round_trip_dates_quotes_media_and_reactions() -> None:
    messages, report = read(CSV / "Cool server - Text Channels - general [320000000000000010].csv")
    assert report.warnings == [] and not report.skipped
    # The first row mentions bob, who writes only later: it comes last, once his name is known.
    assert [m.timestamp for m in messages] == [
        utc(2023, 1, 6, 13, 23), utc(2023, 1, 6, 13, 23), utc(2023, 1, 6, 13, 23),
        utc(2023, 1, 6, 13, 24, 0, 500000), utc(2023, 1, 6, 13, 22, 2, 175000),
    ]
    hello = messages[-1]
    assert hello.content == "hello @bob :kekw:"
    assert hello.custom_emoji == {"kekw": "782589696621805568"}
    assert hello.reactions == (Reaction(emoji="👍", count=2), Reaction(emoji="kekw", count=1))
    assert hello.author.id == "320000000000000100" and hello.author.label == "alice"
    quoted = messages[0]
    assert quoted.content == 'she said "hi"\nand left'
    assert quoted.attachments == (
        Attachment(url="https://cdn.discordapp.com/attachments/1/2/a.png", filename="a.png"),
        Attachment(url="https://cdn.discordapp.com/attachments/1/3/b,c.png?ex=1&is=2&hm=3&", filename="b,c.png"),
    )
    # Identical rows at the same time are two messages with two ids.
    assert [m.content for m in messages[1:3]] == ["same", "same"] and messages[1].id != messages[2].id
    assert len({m.id for m in messages}) == 5 and all(m.id.startswith("csv-") for m in messages)
    assert all(m.kind == "Default" and not m.is_system for m in messages)  # CSV has no message types
    assert {m.channel.id for m in messages} == {"320000000000000010"}


def test_ids_are_stable_across_reads_and_differ_across_channels(tmp_path: Path) -> None:
    path = CSV / "Cool server - Text Channels - general [320000000000000010].csv"
    first = [m.id for m in read(path)[0]]
    assert [m.id for m in read(path)[0]] == first
    copy = tmp_path / "Cool server - Text Channels - other [320000000000000099].csv"
    copy.write_bytes(path.read_bytes())
    assert not set(first) & {m.id for m in read(copy)[0]}
    # A newer export of the same channel (one more row) keeps the old ids.
    more = tmp_path / path.name
    more.write_bytes(path.read_bytes() + b'"1","x","2023-01-06T14:30:00.0000000+01:00","new","",""\r\n')
    assert set(first) < {m.id for m in read(more)[0]}


def test_culture_g_dates_month_first_from_time_order() -> None:
    messages, report = read(CSV / "Cool server - Text Channels - general [320000000000000010] (after 2023-01-01).csv")
    assert [m.timestamp for m in messages] == [
        utc(2023, 1, 6, 23, 58), utc(2023, 1, 7, 0, 5), utc(2023, 1, 8, 12, 0), utc(2023, 2, 7, 9, 15)
    ]
    assert report.warnings == [NAIVE]
    assert messages[0].channel.id == "320000000000000010"


def test_old_named_month_dates_and_legacy_names() -> None:
    messages, report = read(CSV / "Direct Messages - Private - wumpus [310000000000000001].csv")
    assert [m.timestamp for m in messages] == [utc(2023, 1, 6, 14, 22), utc(2023, 1, 6, 0, 30), utc(2022, 12, 31, 23, 59)]
    assert [m.author.name for m in messages] == ["clyde", "wumpus", "clyde"]  # "#1234" dropped
    assert messages[1].reactions == (Reaction(emoji="❤️", count=1),)
    assert messages[0].channel == Channel(id="310000000000000001", name="wumpus", kind="dm")
    assert report.warnings == [NAIVE]


def test_us_dates_with_month_over_12_and_group_partition() -> None:
    messages, _ = read(CSV / "Direct Messages - Group - alice, bob [311000000000000001] [part 2].csv")
    assert [m.timestamp for m in messages] == [utc(2023, 1, 6, 14, 22), utc(2023, 1, 13, 9, 5)]
    assert messages[0].channel == Channel(id="311000000000000001", name="alice, bob", kind="group")


def test_dotted_day_first_dates() -> None:
    messages, _ = read(CSV / "Server - general [350000000000000001].csv")
    assert [m.timestamp for m in messages] == [utc(2023, 1, 6, 14, 22), utc(2023, 1, 13, 8, 5)]


def test_renamed_file_media_paths_and_raw_markup() -> None:
    messages, report = read(CSV / "my export.csv")
    by_content = {m.content: m for m in messages}
    assert set(by_content) == {"@bob look", "nice :dance: @alice"}
    look = by_content["@bob look"]
    assert look.timestamp == utc(2023, 1, 13, 9, 5)
    assert look.attachments == (
        Attachment(url="my export.csv_Files\\cat-1A2B3.png", filename="cat-1A2B3.png",
                   local_path=str((CSV / "my export.csv_Files" / "cat-1A2B3.png").resolve())),
        Attachment(url="my export.csv_Files\\dog, 2-4C5D6.png", filename="dog, 2-4C5D6.png"),
    )
    assert by_content["nice :dance: @alice"].custom_emoji == {"dance": "123456789012345678"}
    assert look.channel == channel_from_file_name("my export.csv")
    assert report.warnings == [
        NAIVE,
        "1 attachment(s) point to files next to the export that are missing"
        " (keep the export's _Files folder beside the CSV to use them)",
    ]


def test_ambiguous_dates_say_what_was_assumed(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", [("1", "a", "1/2/2023 10:00", "x", "", ""), ("2", "b", "1/2/2023 11:00", "y", "", "")])
    messages, report = read(path)
    assert [m.timestamp for m in messages] == [utc(2023, 2, 1, 10), utc(2023, 2, 1, 11)]
    assert report.warnings[0] == "every date in this file reads both as day/month and as month/day; assumed day/month"
    path = write_csv(tmp_path / "b.csv", [("1", "a", "1/2/2023 10:00 AM", "x", "", "")])
    assert read(path)[0][0].timestamp == utc(2023, 1, 2, 10)  # AM/PM: the en-US order


def test_other_culture_spellings(tmp_path: Path) -> None:
    cases = {
        "2023/01/06 14:22": utc(2023, 1, 6, 14, 22),  # ja: year first
        "2023-01-06 14:22": utc(2023, 1, 6, 14, 22),  # sv
        "6.1.2023. 14:22": utc(2023, 1, 6, 14, 22),  # hr: dots mean day first
        "06.01.2023 14:22:05": utc(2023, 1, 6, 14, 22, 5),  # with seconds
        "1/6/2023 2:22\u202fPM": utc(2023, 1, 6, 14, 22),  # en-US with ICU's narrow no-break space
        "1/6/2023 12:22 AM": utc(2023, 1, 6, 0, 22),  # the hour after midnight
        "1/6/23 2:22 p.m.": utc(2023, 1, 6, 14, 22),  # two-digit year, dotted PM
        "06-Jan-23 02:22 PM": utc(2023, 1, 6, 14, 22),
        "06-jan.-23 02:22 PM": utc(2023, 1, 6, 14, 22),
    }
    for i, (text, expected) in enumerate(cases.items()):
        path = write_csv(tmp_path / f"case {i}.csv", [("1", "a", text, "x", "", "")])
        messages, report = read(path)
        assert [m.timestamp for m in messages] == [expected], text
        assert report.warnings == [NAIVE], text


def test_bad_rows_are_skipped_with_reasons(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text(
        HEADER
        + '"1","a","2023-01-06T14:22:02.1750000+00:00"\r\n'  # too few columns
        + '"","a","2023-01-06T14:22:02.1750000+00:00","no author","",""\r\n'
        + '"1","a","not a date","bad date","",""\r\n'
        + '"1","a","2023-13-45T14:22:02+00:00","impossible date","",""\r\n'
        + "\r\n"
        + '"1","a","2023-01-06T14:22:02.1750000+00:00","ok","",""\r\n',
        "utf-8", newline="",
    )
    messages, report = read(path)
    assert [m.content for m in messages] == ["ok"]
    assert report.skipped == {SKIP_MALFORMED: 1, SKIP_NO_AUTHOR: 1, SKIP_BAD_TIMESTAMP: 2}
    assert report.warnings == ["rows with fewer than 4 columns were skipped (the first on line 2)"]


def test_truncated_csv_keeps_complete_rows() -> None:
    messages, report = read(CSV / "Cool server - Text Channels - cut [320000000000000013].csv")
    assert [m.content for m in messages] == ["one", "two"]
    assert report.warnings == [
        "the file is cut off inside the row starting on line 4 (an interrupted export?); the rows before it were read"
    ]


def test_broken_quoting_and_bad_encoding_are_errors(tmp_path: Path) -> None:
    path = CSV / "Cool server - Text Channels - broken [320000000000000014].csv"
    with pytest.raises(IngestError) as err:
        read(path)
    assert err.value.path == str(path) and err.value.position == "line 3"
    assert "not a valid CSV file" in err.value.message
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes(HEADER.encode() + '"1","a","2023-01-06T14:22:02+00:00","caf\xe9","",""\r\n'.encode("latin-1"))
    with pytest.raises(IngestError, match="not UTF-8"):
        read(latin1)


def test_progress_reports_every_byte() -> None:
    path = CSV / "Cool server - Text Channels - general [320000000000000010].csv"
    source = Source(path)
    seen: list[int] = []
    report = FileReport(source=source)
    report.progress = seen.append
    assert len(list(DceCsvImporter().read(source, report))) == 5
    assert sum(seen) == path.stat().st_size
