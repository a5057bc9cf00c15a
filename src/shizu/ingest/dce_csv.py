"""DiscordChatExporter CSV (``-f Csv``): ``AuthorID,Author,Date,Content,Attachments,Reactions``.

Field reference: ``docs/export-formats.md`` §1.7. CSV is the lossy DCE
format: no message ids, no replies, no channel, no embeds or stickers, no message types. So:

* **Channel** from DCE's default file name ``"{Guild} - {Parent} - {Channel} [{channelId}]
  { (date range)}{ [part N]}.csv"``; a renamed file gets a stable id made from its stem. The DM
  pseudo-guild ``Direct Messages`` becomes a DM (a group DM when its parent says ``Group`` or the
  name lists several people).
* **Message ids** are derived (``csv-`` + 16 hex digits) from the channel, author, time, content
  and the occurrence index among identical (author, time, content) rows, so importing the same CSV
  again, or an overlapping one, adds nothing twice. (A JSON export of the same channel has real
  ids and cannot be matched with these.)
* **Dates** in every format DCE has written: ISO-8601 round-trip (2.42.3+, 7 fraction digits and
  the exporter's offset), the export culture's general ``g`` format (2.41-2.42.2, e.g.
  ``1/6/2023 2:22 PM``, ``06.01.2023 14:22``, ``2023/01/06 14:22``), and the old ``--dateformat``
  defaults ``dd-MMM-yy hh:mm tt`` and ``MM/dd/yyyy h:mm tt``. Day/month order for numeric dates
  is inferred from the whole file: a component over 12, else the order that keeps the rows in
  time order, else dots mean day first and AM/PM month first (en-US), else day first with a
  warning. Dates without an offset are read as UTC (warned).
* **System messages** cannot be told apart (no type): every row is a ``Default`` message.
* **Attachments**: URLs joined by ``,`` (local ``--media`` paths resolved like the JSON importer);
  **Reactions**: ``"👍 (2),kekw (1)"``.
* **Damage**: a file cut off inside its last row keeps everything before it (warned); a row that
  breaks the CSV quoting in the middle of the file raises :class:`IngestError` with its line.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import ClassVar
from zipfile import BadZipFile

import msgspec

from shizu.chat.discord_markup import custom_emoji_in, render_raw_markup
from shizu.errors import IngestError
from shizu.ingest.base import QUALITY_FULL_EXPORT, SKIP_BAD_TIMESTAMP, SKIP_MALFORMED, SKIP_NO_AUTHOR, FileReport
from shizu.ingest.dce_common import RAW_MARKUP, MediaFolder, file_name, parse_dce_timestamp
from shizu.ingest.source import Source
from shizu.message import Attachment, Author, Channel, ChannelKind, Message, Reaction

_SNIFF = re.compile(
    rb'^(?:\xef\xbb\xbf)?"?AuthorID"?(?P<d>[,;])"?Author"?(?P=d)"?Date"?(?P=d)"?Content"?(?P=d)"?Attachments"?'
    rb'(?:(?P=d)"?Reactions"?)?(?P=d)?[ \t]*(?:\r?\n|$)'
)
_PAGE_NAME = re.compile(r"^(?P<page>\d{1,6})$")  # an archive's page files renamed to bare numbers: 1.csv, 2.csv...
_FILE_NAME = re.compile(
    r"^(?P<stem>.*?) \[(?P<id>\d{1,20})\](?: \((?P<range>[^()]*)\))?(?: \[part (?P<part>\d+)\])?$"
)
_USER_MENTION = re.compile(r"<@!?(\d+)>")
_DISCRIMINATOR = re.compile(r"#\d{4}$")
_REACTION = re.compile(r"\s*(.+?) \((\d+)\)\s*(?:,|$)")
_URL_START = re.compile(r",(?=[A-Za-z][A-Za-z0-9+.-]*://)")

_DAMAGED_HINT = (
    "Export the channel again with DiscordChatExporter (-f Csv, or better -f Json) or restore the file;"
    " nothing from it was stored."
)


class DceCsvImporter:
    format: ClassVar[str] = "dce-csv"
    label: ClassVar[str] = "DiscordChatExporter CSV"
    quality: ClassVar[int] = QUALITY_FULL_EXPORT

    def sniff(self, source: Source, head: bytes) -> bool:
        return bool(_SNIFF.match(head))

    def read(self, source: Source, report: FileReport) -> Iterator[Message]:
        channel = channel_of(source)
        dates = _file_dates(source, report)
        if dates.note:
            report.warn(dates.note)
        convert = _Converter(source, channel, dates, report, _carried_over(source, report))
        rows = _rows(source, report)
        next(rows, None)  # the header
        for line, row in rows:
            msg = convert(line, row)
            if msg is not None:
                yield msg
        yield from convert.finish()


def _file_dates(source: Source, report: FileReport) -> _Dates:
    """The file's date parser, day/month order decided from the whole Date column when needed."""
    samples = _date_samples(source)
    try:
        return _Dates(samples, report.naive_time)
    finally:
        samples.close()


def _date_samples(source: Source) -> Iterator[str]:
    """The Date column, read in a first pass only when its format needs the whole file."""
    rows = _rows(source, None)
    next(rows, None)
    for _line, row in rows:
        if len(row) >= 3:
            yield row[2]


def _carried_over(source: Source, report: FileReport) -> tuple[datetime | None, int]:
    """(the minute the previous page of this channel ends in, how many of its rows share that minute).

    Dates of the old layouts have minute resolution, so rows that share a minute are kept in file
    order by 1 ms steps (:class:`_Converter`). A channel exported in pages (``[part N]``, or an
    archive's ``N.csv``) continues its last minute on the next page: the steps go on from where
    the previous page stopped, so a question and its answer stay in order across the page break.
    """
    page = page_number(source.filename)
    previous = source.sibling(_page_name(source.filename, page - 1)) if page and page > 1 else None
    if previous is None:
        return None, 0
    dates = _file_dates(previous, FileReport(previous, timezone=report.timezone))
    first = last = None
    count = 0
    for _line, row in _rows(previous, None):
        if len(row) < 3 or row[0] == "AuthorID":
            continue
        try:
            ts = dates.parse(row[2])
        except (ValueError, OverflowError):
            continue
        if _ISO_DATE.match(row[2].strip()):
            return None, 0  # ISO dates have fractions of a second: they keep their own order
        first = first or ts
        if ts == last:
            count += 1
        else:
            last, count = ts, 1
    if last is None:
        return None, 0
    if first != last:  # the page does not lie in one minute: the count starts on it
        return last, count
    before, before_count = _carried_over(previous, report)  # the whole page is that minute: earlier pages may be too
    return last, count + (before_count if before == last else 0)


def page_number(filename: str) -> int | None:
    """The page of a channel exported in pages: ``... [part 3].csv`` or ``3.csv``; ``None`` otherwise."""
    stem = filename[:-4] if filename.lower().endswith(".csv") else filename
    if (m := _PAGE_NAME.match(stem)) is not None:
        return int(m.group("page"))
    m = _FILE_NAME.match(stem)
    return int(m.group("part")) if m and m.group("part") else None


def _page_name(filename: str, page: int) -> str:
    stem = filename[:-4] if filename.lower().endswith(".csv") else filename
    if _PAGE_NAME.match(stem):
        return f"{page}.csv"
    return re.sub(r" \[part \d+\]$", "" if page == 1 else f" [part {page}]", stem) + ".csv"


def _rows(source: Source, report: FileReport | None) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) for every non-empty row; errors become :class:`IngestError`."""
    try:
        raw = source.open()
    except (OSError, BadZipFile, KeyError) as exc:
        raise IngestError(source.name, f"cannot be read: {exc}") from None
    with raw:
        stream = io.BufferedReader(_Progress(raw, report.progress)) if report is not None else raw
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
        delimiter = ";" if (m := _SNIFF.match(source.head(4096))) and m.group("d") == b";" else ","
        reader = csv.reader(text, delimiter=delimiter, strict=True)
        while True:
            line = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                if "unexpected end of data" in str(exc):
                    if report is not None:
                        report.warn(
                            f"the file is cut off inside the row starting on line {line} (an interrupted export?);"
                            " the rows before it were read"
                        )
                    return
                raise IngestError(
                    source.name, f"is not a valid CSV file: {exc}", f"line {reader.line_num}", hint=_DAMAGED_HINT
                ) from None
            except UnicodeDecodeError as exc:
                raise IngestError(
                    source.name, f"is not UTF-8 text ({exc.reason})", f"near line {reader.line_num + 1}", hint=_DAMAGED_HINT
                ) from None
            except (OSError, EOFError, BadZipFile, zlib.error) as exc:
                raise IngestError(source.name, f"cannot be read: {exc}", f"line {line}") from None
            if row:
                yield line, row


class _Progress(io.RawIOBase):
    """A binary stream that reports the bytes read through it."""

    def __init__(self, raw: io.IOBase, progress) -> None:
        self.raw = raw
        self.progress = progress

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self.raw.readinto(buffer)
        if n:
            self.progress(n)
        return n


# -- channel from the file name ------------------------------------------------------------------


def channel_of(source: Source) -> Channel:
    """The channel of one CSV file: from DCE's file name, else (``1.csv``, ``2.csv``...) its folder's."""
    stem = source.filename[:-4] if source.filename.lower().endswith(".csv") else source.filename
    if _PAGE_NAME.match(stem) and len(source.parts) >= 2:
        folder = source.parts[-2]  # all pages of one channel: one channel, named after the folder
        named = channel_from_file_name(folder + ".csv")
        if named.id.startswith("csv-"):
            digest = hashlib.blake2b(("folder\x1f" + folder).encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
            return Channel(id=f"csv-{digest}", name=folder)
        return named
    return channel_from_file_name(source.filename)


def channel_from_file_name(filename: str) -> Channel:
    """The channel DCE's default output name describes; a stable made-up id if it has none."""
    stem = filename[:-4] if filename.lower().endswith(".csv") else filename
    m = _FILE_NAME.match(stem)
    if not m:
        digest = hashlib.blake2b(stem.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
        return Channel(id=f"csv-{digest}", name=stem)
    parts = m.group("stem").split(" - ")
    name = parts[-1]
    guild = parts[0] if len(parts) >= 2 else None
    parent = " - ".join(parts[1:-1]) or None
    kind: ChannelKind = "guild-text"
    if guild == "Direct Messages":
        kind = "group" if parent == "Group" or (parent != "Private" and ", " in name) else "dm"
        guild = None
    return Channel(id=m.group("id"), name=name, kind=kind, guild_name=guild)


# -- dates ---------------------------------------------------------------------------------------

_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
_AMPM = r"(?:\s*(?P<ampm>[AaPp])\.?\s?[Mm]\.?)?"
_TIME = r"(?P<H>\d{1,2})[:.](?P<M>\d{2})(?:[:.](?P<S>\d{2}))?" + _AMPM
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_HAS_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")
_NAMED_DATE = re.compile(r"^(?P<d>\d{1,2})[- ](?P<mon>[A-Za-z]{3,9})\.?[- ](?P<y>\d{2,4}),?\s+" + _TIME + r"\s*$")
_NUMERIC_DATE = re.compile(
    r"^(?P<a>\d{1,4})(?P<sep>[./-])\s?(?P<b>\d{1,2})(?P=sep)\s?(?P<c>\d{1,4})\.?,?\s+" + _TIME + r"\s*$"
)


@dataclass(frozen=True)
class _Numeric:
    a: int
    b: int
    c: int
    parts: tuple[int, int, int, str | None]  # hour, minute, second, am/pm letter
    year_first: bool
    sep: str


class _Dates:
    """Parses one file's Date column; numeric day/month order is decided from all its dates."""

    def __init__(self, samples: Iterator[str], naive_time: Callable[[datetime], datetime] = lambda ts: ts.replace(tzinfo=UTC)) -> None:
        self.day_first: bool | None = None
        self.note: str | None = None
        self.naive = False  # some dates had no offset (read in [ingest] timezone, else UTC)
        self.naive_time = naive_time
        first = next(samples, None)
        if first is None or _ISO_DATE.match(first.strip()) or _NAMED_DATE.match(first.strip()):
            return  # unambiguous formats: no need to read the whole column
        self._infer([first, *samples])

    def _infer(self, samples: list[str]) -> None:
        numeric = [n for n in map(_numeric, samples) if n is not None and not n.year_first]
        if not numeric:
            return
        day_votes = sum(1 for n in numeric if n.a > 12 >= n.b)
        month_votes = sum(1 for n in numeric if n.b > 12 >= n.a)
        if day_votes or month_votes:
            self.day_first = day_votes >= month_votes
            return
        # Every date fits both ways: keep the order under which the rows run in time order.
        inversions = {}
        for day_first in (True, False):
            times = [t for t in (_numeric_datetime(n, day_first) for n in numeric) if t is not None]
            forward = sum(1 for x, y in zip(times, times[1:]) if y < x)
            backward = sum(1 for x, y in zip(times, times[1:]) if y > x)
            inversions[day_first] = min(forward, backward)  # --reverse exports run backwards
        if inversions[True] != inversions[False]:
            self.day_first = inversions[True] < inversions[False]
            return
        # Dotted dates are day first in every culture; slashes with AM/PM are en-US, month first.
        if numeric[0].sep == ".":
            self.day_first = True
        elif any(n.parts[3] for n in numeric):
            self.day_first = False
        else:
            self.day_first = True
            self.note = "every date in this file reads both as day/month and as month/day; assumed day/month"

    def parse(self, text: str) -> datetime:
        text = text.strip()
        if _ISO_DATE.match(text):
            ts = parse_dce_timestamp(text)
            if not _HAS_OFFSET.search(text):
                self.naive = True
                ts = self.naive_time(ts.replace(tzinfo=None))
            return ts
        m = _NAMED_DATE.match(text)
        if m:
            month = _MONTHS.get(m.group("mon")[:3].lower())
            if month is None:
                raise ValueError(f"unknown month name in {text!r}")
            year = int(m.group("y"))
            ts = _build(year + 2000 if year < 100 else year, month, int(m.group("d")), _clock(m))
        else:
            n = _numeric(text)
            day_first = self.day_first if self.day_first is not None else (n is not None and n.sep == ".")
            ts = _numeric_datetime(n, day_first) if n is not None else None
            if ts is None:
                raise ValueError(f"not a date: {text!r}")
        self.naive = True
        return self.naive_time(ts.replace(tzinfo=None))


def _clock(m: re.Match) -> tuple[int, int, int, str | None]:
    ampm = m.group("ampm")
    return int(m.group("H")), int(m.group("M")), int(m.group("S") or 0), ampm.lower() if ampm else None


def _numeric(text: str) -> _Numeric | None:
    m = _NUMERIC_DATE.match(text.strip())
    if not m:
        return None
    a, b, c = int(m.group("a")), int(m.group("b")), int(m.group("c"))
    return _Numeric(a, b, c, _clock(m), year_first=len(m.group("a")) == 4, sep=m.group("sep"))


def _numeric_datetime(n: _Numeric, day_first: bool) -> datetime | None:
    if n.year_first:
        year, month, day = n.a, n.b, n.c
    elif day_first:
        day, month, year = n.a, n.b, n.c
    else:
        month, day, year = n.a, n.b, n.c
    try:
        return _build(year + 2000 if year < 100 else year, month, day, n.parts)
    except ValueError:
        return None


def _build(year: int, month: int, day: int, clock: tuple[int, int, int, str | None]) -> datetime:
    hour, minute, second, ampm = clock
    if ampm is not None:
        if not 1 <= hour <= 12:
            raise ValueError("12-hour clock out of range")
        hour = hour % 12 + (12 if ampm == "p" else 0)
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# -- rows ----------------------------------------------------------------------------------------


class _Converter:
    def __init__(
        self, source: Source, channel: Channel, dates: _Dates, report: FileReport, carried: tuple[datetime | None, int] = (None, 0)
    ) -> None:
        self.source = source
        self.channel = channel
        self.dates = dates
        self.report = report
        self.media = MediaFolder(source)
        self.authors: dict[tuple[str, str], Author] = {}
        self.user_names: dict[str, str] = {}
        self.channel_names = {channel.id: channel.name} if channel.name else {}
        self.seen: Counter[bytes] = Counter()  # identical rows at the current time
        self.seen_at: datetime | None = None
        # The current minute and the step of its last row (0-based: 1 ms apart); a page that goes on
        # with the previous page's last minute starts after that page's rows in it.
        self.minute, self.in_minute = carried[0], carried[1] - 1
        self.malformed_at: int | None = None
        self.deferred: list[Message] = []
        self.prefix = f"{channel.id}\x1f".encode("utf-8", "surrogatepass")

    def __call__(self, line: int, row: list[str]) -> Message | None:
        if len(row) < 4:
            self.report.skip(SKIP_MALFORMED)
            self.malformed_at = self.malformed_at or line
            return None
        author_id, author_name, date, content = (f.strip() if i < 3 else f for i, f in enumerate(row[:4]))
        if not author_id:
            self.report.skip(SKIP_NO_AUTHOR)
            return None
        try:
            ts = self.dates.parse(date)
        except (ValueError, OverflowError):
            self.report.skip(SKIP_BAD_TIMESTAMP)
            return None
        key = (author_id, author_name)
        author = self.authors.get(key)
        if author is None:
            author = self.authors[key] = Author(id=author_id, name=_DISCRIMINATOR.sub("", author_name))
            self.user_names[author_id] = author.label

        # Stable id: same channel, author, time and content -> same id; repeats are counted.
        base = hashlib.blake2b(
            self.prefix + f"{author_id}\x1f{ts.isoformat()}\x1f{content}".encode("utf-8", "surrogatepass"),
            digest_size=16,
        ).digest()
        if ts != self.seen_at:
            self.seen.clear()
            self.seen_at = ts
        occurrence = self.seen[base]
        self.seen[base] = occurrence + 1
        mid = hashlib.blake2b(base + occurrence.to_bytes(8, "little"), digest_size=8).hexdigest()
        if not _ISO_DATE.match(date):  # no fractions of a second: keep the file's order, 1 ms apart
            if ts == self.minute:
                self.in_minute += 1
            else:
                self.minute, self.in_minute = ts, 0
            ts += timedelta(milliseconds=min(self.in_minute, 59_999))

        msg = Message(
            id=f"csv-{mid}",
            channel=self.channel,
            author=author,
            timestamp=ts,
            content=content,
            source=self.source.name,
            attachments=self._attachments(row[4]) if len(row) > 4 and row[4].strip() else (),
            reactions=_reactions(row[5]) if len(row) > 5 and row[5].strip() else (),
        )
        if "<" in content and RAW_MARKUP.search(content):
            if any(uid not in self.user_names for uid in _USER_MENTION.findall(content)):
                self.deferred.append(msg)  # names a user who only writes later in the file
                return None
            return self._render(msg)
        return msg

    def _render(self, msg: Message) -> Message:
        """Raw markup (a ``--markdown false`` export) rewritten as DCE renders it, with the emoji ids."""
        return msgspec.structs.replace(
            msg,
            content=render_raw_markup(msg.content, self.user_names, self.channel_names),
            custom_emoji=custom_emoji_in(msg.content),
        )

    def _attachments(self, field: str) -> tuple[Attachment, ...]:
        field = field.strip()
        if "://" in field.split(",", 1)[0]:
            urls = _URL_START.split(field)
        else:
            # --media paths: split where the next path starts with the same media folder.
            first = field.replace("\\", "/").split("/", 1)[0]
            urls = re.split(r",(?=" + re.escape(first) + r"[/\\])", field) if first != field else field.split(",")
        return tuple(
            Attachment(url=u, filename=file_name(u), local_path=self.media.local_path(u))
            for u in (x.strip() for x in urls)
            if u
        )

    def finish(self) -> Iterator[Message]:
        """The messages held back for names, then the file's warnings."""
        for msg in self.deferred:
            yield self._render(msg)
        self.deferred.clear()
        if self.malformed_at:
            self.report.warn(f"rows with fewer than 4 columns were skipped (the first on line {self.malformed_at})")
        if self.dates.naive:
            self.report.warn(
                f"the dates in this CSV have no time zone (DCE before 2.42.3); they were read as {self.report.zone_label}"
                + ("" if self.report.timezone else " (set [ingest] timezone in shizu.toml, or shizu ingest --timezone, to change it)")
            )
        for warning in self.media.warnings("CSV"):
            self.report.warn(warning)


def _reactions(field: str) -> tuple[Reaction, ...]:
    out = []
    pos = 0
    field = field.strip()
    while pos < len(field):
        m = _REACTION.match(field, pos)
        if not m:
            break
        out.append(Reaction(emoji=m.group(1).strip(), count=int(m.group(2))))
        pos = m.end()
    return tuple(out)

