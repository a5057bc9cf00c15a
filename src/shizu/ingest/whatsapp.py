"""WhatsApp "Export chat" text files (Android ``WhatsApp Chat with X.txt``, iOS ``_chat.txt``).

Field reference: ``docs/export-formats.md`` §4. WhatsApp has no
specification; the layout depends on the phone's platform, locale and app version. What this
importer does:

* **Lines.** A message starts with a header: Android ``12/9/20, 23:55 - Bob: hi``, iOS
  ``[16/03/2022, 15:20:25] Bob: hi`` and the rarer layouts other locales produce
  (``13.6.2018 klo 21.25.15 - ``, ``13. 6. 2018. 21:25:15 ``...); any other line continues the
  previous message. Direction marks and BOM (U+200E, U+200F, U+202A-U+202E, U+2066-U+2069,
  U+FEFF) are removed from the stored text and U+00A0 / U+202F / U+2007 spaces become plain
  spaces; where iOS put U+200E is noted first (it marks notices). A file is written with one
  header layout, so only lines in the file's most common layout count as headers: a pasted line
  that looks like a header in another layout stays text. Every line that looks like a header but
  does not start a message (impossible time or date, another layout) is named by line number in
  a warning.
* **Dates.** Day/month order is inferred from the whole file: the order under which every date is
  valid and consecutive messages are closest in time wins; a tie (every day <= 12 and no time
  signal) falls back to month-first for ``/`` dates with an ``AM``/``PM`` clock (US English) and
  day-first otherwise (``p. m.``, ``am``, 24-hour clocks, ``.`` and ``-`` dates). Two-digit
  years are 20yy; a four-digit component is the year wherever it stands. 12-hour clocks accept
  ``PM``, ``pm``, ``p.m.``, ``p. m.``, and hours 1-12 or 0-11 (``00:08 a. m.``). A header whose
  date or time is invalid under that reading is text.
* **Time zone.** Headers are the phone's local time and say nothing of its zone: they are read in
  ``[ingest] timezone`` (:meth:`FileReport.naive_time`, UTC when unset), with one warning per
  file. Lines may be out of chronological order; messages that share a header time get 1 ms
  steps in file order, so sorting by time keeps the file's order.
* **Authors and "me".** Authors are names as saved on the exporting phone (or phone numbers); the
  author id is ``wa:`` + the name (NFKC, whitespace runs as ``_``, without iOS's ``~ `` before
  names that are not contacts), or ``wa:+<digits>`` for a phone number however its digits are
  separated (any Unicode dash or space, parentheses). WhatsApp exports carry no account id, so
  nothing is added to :attr:`FileReport.accounts`: set ``[persona] me`` to the ``wa:`` id that
  ``shizu stats`` lists.
* **System lines** (``is_system``, author ``wa:system``): lines without ``Name:``; known notices
  (end-to-end encryption, missed calls, security codes) even after a name; group and chat events
  (created, added, left, joined, subject, icon, description, admins, disappearing messages...)
  after a name only when iOS marked the text with U+200E, and a quoted subject may contain a
  colon (``created group "a: b"``). A name that WhatsApp uses only for such notices (the group's
  name) is never a person. The phrases of every supported language are in
  :mod:`shizu.ingest.whatsapp_locales`.
* **Content.** Localised media placeholders (``<Media omitted>``, iOS ``image omitted``,
  ``Bild weggelassen``...) become media with no file; ``IMG-... (file attached)``,
  ``<attached: NAME>`` (localised) and ``NAME <attached>`` become attachments (a ``file://`` URL
  and ``local_path`` when the file lies next to the text file on disk, not inside a zip), with
  any caption as the text. Deleted messages keep ``kind="deleted"`` and no text,
  ``<This message was edited>`` (localised) is removed (``kind="edited"``).
* **Chat and ids.** One chat per file: its name comes from the file name (``WhatsApp Chat with
  X``, localised, or the zip / folder holding ``_chat.txt``), else from the group subject. The
  channel id is ``wa:`` + a hash of that name (of the first line when there is none); a message id
  hashes the channel, header time as written (not the zone it is read in), author, text and how
  often that same message occurred before in the file, so importing the same or a longer export
  again adds nothing twice. A chat with more than two authors or with group events is a
  ``group``, otherwise a ``dm``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import ClassVar, NamedTuple

from shizu.chat.media import LOCAL_OUTSIDE
from shizu.errors import IngestError
from shizu.ingest.base import QUALITY_FULL_EXPORT, SKIP_MALFORMED, SKIP_NO_AUTHOR, FileReport, read_whole
from shizu.ingest.source import Source
from shizu.ingest.whatsapp_locales import KINDS, LOCALES, OTHER_MEDIA_OMITTED
from shizu.message import Attachment, Author, Channel, Embed, Message, Sticker

LRM = "\u200e"  # LEFT-TO-RIGHT MARK: iOS starts notices, media and deleted markers with it
_MARKS = "\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
_SPACES = {0x00A0: " ", 0x202F: " ", 0x2007: " "}
_CLEAN = str.maketrans({**dict.fromkeys(map(ord, LRM + _MARKS)), **_SPACES})
_CLEAN_KEEP_LRM = str.maketrans({**dict.fromkeys(map(ord, _MARKS)), **_SPACES})

_HEADER = re.compile(
    r"""(?P<open>\[)?
    (?P<d1>\d{1,4})(?P<dsep>[-/.])\ ?(?P<d2>\d{1,4})(?P=dsep)\ ?(?P<d3>\d{1,4})\.?
    (?P<comma>,)?\ (?:[^\W\d_]{1,4}\ )?
    (?P<h>\d{1,2})(?P<tsep>[.:])(?P<mi>\d{2})(?:(?P=tsep)(?P<s>\d{2}))?
    (?:\ ?(?P<ampm>(?P<half>[aApP])\.?\ ?[mM]\.?))?
    (?(open)\])
    (?P<after>\ -\ |:\ |\ )""",
    re.X,
)
_AUTHOR = re.compile(r"(?P<name>[^\n]+?):(?: |(?=\n)|$)(?P<body>.*)", re.S)


# -- the phrase tables of whatsapp_locales, compiled -----------------------------------------------

_OPEN_QUOTE = "\"“”„«‹"
_CLOSE_QUOTE = "\"“”»›"
_QUOTED = f"[{_OPEN_QUOTE}][^\\n]*?[{_CLOSE_QUOTE}]"
_SUBJECT_CAPTURE = f"[{_OPEN_QUOTE}](?P<subject>[^\\n]*)[{_CLOSE_QUOTE}]"
_QUOTE_CHARS = re.compile(f"[{_OPEN_QUOTE}{_CLOSE_QUOTE}]")
_ANY_NAME = r"[^\n]+?"
_NAME_WITHOUT_COLON = r"[^:\n]+?"
_TOKEN = re.compile(r"(\{name\}|\{q\}|\{subject\}|\{rest\}|\[[^\[\]]*\])")


def _template(text: str, name: str = _ANY_NAME, capture: bool = False) -> str:
    """A regular expression for one template of :mod:`shizu.ingest.whatsapp_locales`."""
    out = []
    for token in _TOKEN.split(text):
        if token == "{name}":
            out.append(name)
        elif token == "{q}" or (token == "{subject}" and not capture):
            out.append(_QUOTED)
        elif token == "{subject}":
            out.append(_SUBJECT_CAPTURE)
        elif token == "{rest}":
            out.append(r"[^\n]*")
        elif token.startswith("[") and token.endswith("]") and len(token) > 1:
            out.append("(?:" + "|".join(_template(alt, name, capture) for alt in token[1:-1].split("|")) + ")")
        elif token:
            out.append(re.escape(token).replace("'", "['’]"))
    return "".join(out)


def _any_of(templates: Iterable[str], name: str = _ANY_NAME) -> re.Pattern[str]:
    """One case-insensitive pattern for all ``templates`` (use ``fullmatch``)."""
    unique = dict.fromkeys(templates)
    return re.compile("(?:" + "|".join(_template(t, name) for t in unique) + ")", re.I)


def _phrases(attr: str) -> list[str]:
    return [phrase for locale in LOCALES for phrase in getattr(locale, attr)]


def _words(phrases: Iterable[str]) -> str:
    """An alternation of literal phrases, longest first."""
    return "|".join(re.escape(p) for p in sorted(set(phrases), key=len, reverse=True))


_GROUP_TEMPLATES = _phrases("group_events")
# Notices WhatsApp writes itself, sometimes with the group's (or the contact's) name as the author.
_NOTICE = _any_of(
    [f"{p}{{rest}}" for p in _phrases("encrypted")] + [f"{p}[.|]" for p in _phrases("calls")] + _phrases("notices")
)
# Changes to a chat or group: notices only when WhatsApp marked them (no author, or iOS's U+200E).
_EVENT = _any_of([f"{p}{{rest}}" for p in _phrases("calls")] + _phrases("chat_events") + _GROUP_TEMPLATES)
_GROUP_EVENT = _any_of(_GROUP_TEMPLATES)
# Group events with a quoted subject, matched before "Name: text" since a subject may hold a colon.
_QUOTED_EVENT = _any_of((t for t in _GROUP_TEMPLATES if "{q}" in t or "{subject}" in t), _NAME_WITHOUT_COLON)
_SUBJECTS = tuple(re.compile(_template(t, capture=True), re.I) for t in dict.fromkeys(_GROUP_TEMPLATES) if "{subject}" in t)
# No event's line is longer (names and subjects are short); templates with two names take time
# quadratic in the length, so longer lines are never tested against them.
_LONGEST_EVENT = 500

_OMITTED_MEDIA = frozenset(p.casefold() for p in (*_phrases("media_omitted"), *OTHER_MEDIA_OMITTED))
# iOS names the kind: "image omitted", "Bild weggelassen", "Report.pdf • 3 pages document omitted".
_OMITTED_KIND = {
    phrase.casefold(): kind for locale in LOCALES for kind in KINDS for phrase in locale.omitted.get(kind, ())
}
_OMITTED_DOCUMENT = re.compile(
    rf"(?P<name>[^\n•]+?) •(?: [^\n]*?)? (?:{_words(p for loc in LOCALES for p in loc.omitted.get('document', ()))})",
    re.I,
)
_FILE_ATTACHED = re.compile(
    rf"(?P<name>[^\n]+?\.\w{{1,5}}) \((?:{_words(_phrases('file_attached'))})\)(?:\n(?P<caption>.*))?", re.S | re.I
)
_IOS_ATTACHED = re.compile(
    rf"(?:<(?:{_words(_phrases('attached'))}) ?: ?(?P<a>[^>\n]+?) ?>|(?P<b>[^\s<>]+) <attached>)(?:\s+(?P<caption>.*))?",
    re.S | re.I,
)
_DELETED = re.compile(f"(?:{'|'.join(_template(t) for t in dict.fromkeys(_phrases('deleted')))})\\.?", re.I)
_EDITED = re.compile(rf"\s*<(?:{_words(_phrases('edited'))})\.?>$", re.I)
_PENDING = re.compile(f"(?:{'|'.join(_template(t) for t in _phrases('pending'))})(?:\\n.*)?", re.I | re.S)
_PHONE = re.compile(r"\+?[\d\s().\-\u2010-\u2015\u2212\ufe58\ufe63\uff0d]{6,}")
_TILDE = re.compile(r"~\s*(?=\S)")  # iOS: "~ Lucas", a profile name not saved as a contact

# "WhatsApp Chat with X.txt" in the languages WhatsApp uses (also with "_" for spaces).
_NAME_PREFIXES = tuple(
    dict.fromkeys(
        p.casefold()
        for base in _phrases("chat_prefixes")
        for p in (base, base.replace(" ", "_"))
    )
)

SYSTEM_AUTHOR = Author(id="wa:system", display_name="WhatsApp")
_MS = timedelta(milliseconds=1)


@dataclass(frozen=True, slots=True)
class _Header:
    line: int
    parts: tuple[str, str, str]  # the date's three numbers as written
    hour: int
    minute: int
    second: int
    pm: bool | None  # None: 24-hour clock
    rest: str  # the text after the header, invisible characters removed
    marked: str  # the same text with its U+200E marks kept
    raw: str
    lrm_first: bool  # the line itself starts with U+200E (iOS, before the "[")


@dataclass(slots=True)
class _Record:
    header: _Header
    ts: datetime  # the header's wall-clock time, naive (the phone's zone is unknown)
    lines: list[str] = field(default_factory=list)  # continuation lines

    @property
    def text(self) -> str:
        """Everything after the header, without trailing blank lines (the file's end has one or none)."""
        return "\n".join([self.header.rest, *self.lines]).rstrip()


class _Line(NamedTuple):
    """One record read: who wrote it, its text, and whether WhatsApp wrote it."""

    name: str  # the author as written ("" for none); for a notice, the group or member it names
    body: str
    system: bool
    marked: bool = False  # iOS put U+200E before the text (notices, media, deleted messages)
    content: bool = False  # a media, deleted or edited marker, a link, several lines: a person's message
    group_event: bool = False
    subject: str | None = None


class WhatsAppImporter:
    format: ClassVar[str] = "whatsapp-txt"
    label: ClassVar[str] = "WhatsApp chat export (.txt)"
    quality: ClassVar[int] = QUALITY_FULL_EXPORT

    def sniff(self, source: Source, head: bytes) -> bool:
        if not source.filename.lower().endswith(".txt"):
            return False
        first = head.lstrip(b"\xef\xbb\xbf\r\n \t").split(b"\n", 1)[0]
        try:
            line = first.decode("utf-8").translate(_CLEAN)
        except UnicodeDecodeError:
            return False
        m = _HEADER.match(line)
        return bool(m and _time_ok(m) and line[m.end():].strip())

    def read(self, source: Source, report: FileReport) -> Iterator[Message]:
        data = read_whole(source, report)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise IngestError(
                source.name, "is not UTF-8 text", f"line {line}",
                hint="Give Shizu the .txt exactly as WhatsApp exported it (saving it in another encoding breaks it).",
            ) from None
        records = _records(text.split("\n"), source, report)
        yield from _Chat(source, records, report).messages()


class _Layout(NamedTuple):
    """How a file writes its headers: one export writes every header the same way."""

    bracket: bool
    date_sep: str
    comma: bool
    time_sep: str
    seconds: bool
    twelve_hour: bool
    us_ampm: bool  # "AM"/"PM" as US English writes them (not "am", "p. m.", "a.m.")
    after: str
    year: int  # position of the year in the date: the four-digit part, else the last


def _layout(m: re.Match) -> _Layout:
    widths = [len(m["d1"]), len(m["d2"]), len(m["d3"])]
    return _Layout(
        bracket=bool(m["open"]), date_sep=m["dsep"], comma=bool(m["comma"]), time_sep=m["tsep"],
        seconds=m["s"] is not None, twelve_hour=m["ampm"] is not None, us_ampm=m["ampm"] in ("AM", "PM"),
        after=m["after"], year=widths.index(4) if 4 in widths else 2,
    )


def _time_ok(m: re.Match) -> bool:
    """A valid time; 12-hour clocks count 1-12 or, in some locales, 0-11 ("00:08 a. m.")."""
    hour, minute, second = int(m["h"]), int(m["mi"]), int(m["s"] or 0)
    return hour <= (12 if m["ampm"] else 23) and minute <= 59 and second <= 59


def _after(marked: str, n: int) -> str:
    """``marked`` after its first ``n`` characters that are not U+200E (the marks right after stay)."""
    if LRM not in marked:
        return marked[n:]
    end = n  # the shortest prefix holding n other characters: never overshot, since each adds one
    while (missing := n - (end - marked.count(LRM, 0, end))) > 0 and end < len(marked):
        end += missing
    return marked[end:]


# Why a line that looks like a header does not start a message (the warning's wording).
_BAD_TIME = "its time does not exist"
_BAD_DATE = "its date does not exist in the day/month order the rest of the file uses"
_BAD_LAYOUT = "it is written in another layout than the file's messages (a pasted message?)"


def _records(lines: list[str], source: Source, report: FileReport) -> list[_Record]:
    """Split the file into messages: header lines in the file's layout start one, others continue it."""
    kept = [line.removesuffix("\r").translate(_CLEAN_KEEP_LRM) for line in lines]
    cleaned = [line.replace(LRM, "") for line in kept]
    matches: dict[int, tuple[re.Match, _Layout]] = {}
    layouts: Counter[_Layout] = Counter()
    bad: dict[str, list[int]] = defaultdict(list)  # reason -> 0-based line indexes
    for i, line in enumerate(cleaned):
        m = _HEADER.match(line)
        if m is None:
            continue
        if not _time_ok(m):
            bad[_BAD_TIME].append(i)
            continue
        layout = _layout(m)
        matches[i] = (m, layout)
        layouts[layout] += 1
    common = layouts.most_common(1)[0][0] if layouts else None
    headers = []
    for i, (m, layout) in matches.items():
        if layout != common:
            bad[_BAD_LAYOUT].append(i)
            continue
        headers.append(
            _Header(
                line=i, parts=(m["d1"], m["d2"], m["d3"]), hour=int(m["h"]), minute=int(m["mi"]),
                second=int(m["s"] or 0), pm=None if m["half"] is None else m["half"] in "pP",
                rest=cleaned[i][m.end():], marked=_after(kept[i], m.end()), raw=cleaned[i],
                lrm_first=kept[i].lstrip(" ").startswith(LRM),
            )
        )
    starts: dict[int, tuple[_Header, datetime]] = {}
    if common is not None:
        order = _date_order(headers, common)
        for h in headers:
            ts = _timestamp(h, order)
            if ts is None:
                bad[_BAD_DATE].append(h.line)
            else:
                starts[h.line] = (h, ts)
    if not starts:
        raise IngestError(
            source.name, "is not a WhatsApp chat export: no line starts with a valid date and time",
            hint="Export the chat from WhatsApp (chat → More → Export chat) and give Shizu the .txt or .zip.",
        )
    records: list[_Record] = []
    orphans = 0
    for i, line in enumerate(cleaned):
        start = starts.get(i)
        if start is not None:
            records.append(_Record(header=start[0], ts=start[1]))
        elif records:
            records[-1].lines.append(line)
        elif line.strip():
            orphans += 1
    if orphans:
        report.skip(SKIP_MALFORMED, orphans)
        report.warn(f"{orphans} lines before the first message were skipped")
    for reason in (_BAD_TIME, _BAD_DATE, _BAD_LAYOUT):
        if bad[reason]:
            report.warn(_bad_headers(sorted(bad[reason]), reason))
    return records


def _bad_headers(indexes: list[int], reason: str, shown: int = 10) -> str:
    numbers = ", ".join(str(i + 1) for i in indexes[:shown])
    more = f" and {len(indexes) - shown} more" if len(indexes) > shown else ""
    if len(indexes) == 1:
        return f"line {numbers} looks like a message header but {reason}; it was kept as text of the message before it"
    return (
        f"{len(indexes)} lines look like message headers but {reason.replace('its ', 'their ').replace('it is', 'they are')}"
        f" (lines {numbers}{more}); they were kept as text of the messages before them"
    )


def _date_order(headers: list[_Header], layout: _Layout) -> tuple[int, int, int]:
    """Positions of (year, month, day) in the date, inferred from every header in the file."""
    year = layout.year
    a, b = [p for p in range(3) if p != year]
    candidates = [(year, a, b), (year, b, a)]
    preferred = (year, a, b) if year == 0 or (layout.date_sep == "/" and layout.us_ampm) else (year, b, a)

    def score(order: tuple[int, int, int]) -> tuple[int, float, bool]:
        invalid = 0
        spread = 0.0
        last: datetime | None = None
        for h in headers:
            ts = _timestamp(h, order)
            if ts is None:
                invalid += 1
                continue
            if last is not None:
                spread += abs((ts - last).total_seconds())
            last = ts
        return invalid, spread, order != preferred

    return min(candidates, key=score)


def _timestamp(h: _Header, order: tuple[int, int, int]) -> datetime | None:
    """The header's wall-clock time with the date parts read as (year, month, day) positions, or None."""
    day = _day(h.parts, order)
    if day is None:
        return None
    hour = h.hour if h.pm is None else h.hour % 12 + (12 if h.pm else 0)
    return day + timedelta(hours=hour, minutes=h.minute, seconds=h.second)


@lru_cache(maxsize=4096)
def _day(parts: tuple[str, str, str], order: tuple[int, int, int]) -> datetime | None:
    """Midnight (naive) of a date written as ``parts`` (cached: a chat has far fewer days than lines)."""
    year, month, day = (parts[p] for p in order)
    if len(year) not in (2, 4) or len(month) > 2 or len(day) > 2:
        return None
    try:
        return datetime(int(year) + (2000 if len(year) == 2 else 0), int(month), int(day))
    except ValueError:
        return None


def person_name(name: str) -> str:
    """An author as WhatsApp wrote it, without iOS's ``~ `` before names that are not saved contacts."""
    name = name.translate(_CLEAN).strip()
    return _TILDE.sub("", name, count=1) if name.startswith("~") else name


def author_id(name: str) -> str:
    """``wa:`` + the name (NFKC, whitespace runs as ``_``); phone numbers as ``wa:+<digits>``.

    A phone number is the same id however it is written: any dash (U+2010-U+2015, U+2212), space
    (U+00A0, U+202F, U+2007), parentheses or dots between the digits, digits of any script.
    """
    name = unicodedata.normalize("NFKC", person_name(name))
    if _PHONE.fullmatch(name) and sum(c.isdecimal() for c in name) >= 5:
        digits = "".join(str(unicodedata.decimal(c)) for c in name if c.isdecimal())
        return f"wa:{'+' if name.lstrip().startswith('+') else ''}{digits}"
    return "wa:" + "_".join(name.split())


def chat_name(source: Source) -> str:
    """The chat's name from ``WhatsApp Chat with X.txt`` (or the zip / folder holding ``_chat.txt``)."""
    names = [source.filename]
    if source.member:
        names.append(source.path.name)
    else:
        names.append(source.path.parent.name)
    for filename in names:
        stem = PurePosixPath(filename).stem if filename.lower().endswith((".txt", ".zip")) else filename
        folded = stem.casefold()
        for prefix in _NAME_PREFIXES:
            if folded.startswith(prefix):
                return stem[len(prefix):].replace("_", " ").strip()
    return ""


def _is_content(body: str) -> bool:
    """A person's message however it starts: a media, deleted or edited marker, a link, several lines."""
    text = body.strip()
    if "\n" in text or "://" in text or _EDITED.search(text):
        return True
    folded = text.casefold()
    return bool(
        folded in _OMITTED_MEDIA
        or _omitted_kind(folded)
        or _DELETED.fullmatch(text)
        or _PENDING.fullmatch(text)
        or _OMITTED_DOCUMENT.fullmatch(text)
        or _FILE_ATTACHED.fullmatch(text)
        or _IOS_ATTACHED.fullmatch(text)
    )


def _omitted_kind(folded: str) -> str | None:
    """The kind an iOS "<kind> omitted" marker names (``folded``: casefolded, "<...>" allowed)."""
    if folded.startswith("<") and folded.endswith(">"):
        folded = folded[1:-1]
    return _OMITTED_KIND.get(folded)


class _Chat:
    """Records -> Messages for one file: the chat's channel, authors, ids and media."""

    def __init__(self, source: Source, records: list[_Record], report: FileReport) -> None:
        self.source = source
        self.records = records
        self.report = report
        self.refused = 0  # attachment names that point outside the export's folder

    def messages(self) -> Iterator[Message]:
        report = self.report
        report.warn(
            f"the times in this chat have no time zone; they were read as {report.zone_label}"
            + ("" if report.timezone else " (set [ingest] timezone in shizu.toml, or shizu ingest --timezone, to change it)")
        )
        parsed = _notice_names([self._classify(r) for r in self.records])
        title = chat_name(self.source)
        persons = {line.name for line in parsed if line.name and not line.system}
        subject = ""
        group_author = ""
        group = len(persons) > 2
        for line in parsed:
            if not line.system:
                continue
            group = group or line.group_event
            if line.subject is not None:
                subject = line.subject
            if line.name and line.name not in persons:  # a notice under the group's name
                group_author = group_author or line.name
                group = group or line.name != title
        key = f"name\0{title}" if title else f"first\0{self.records[0].header.raw}"
        channel = Channel(
            id="wa:" + hashlib.sha256(key.encode()).hexdigest()[:16],
            name=title or subject or group_author,
            kind="group" if group else "dm",
        )
        seen: Counter[tuple] = Counter()
        steps: Counter[datetime] = Counter()
        people: dict[str, Author] = {}
        missing = 0
        for record, line in zip(self.records, parsed):
            if line.system:
                author = SYSTEM_AUTHOR
            elif not line.name:
                report.skip(SKIP_NO_AUTHOR)
                continue
            else:
                author = people.get(line.name) or people.setdefault(
                    line.name, Author(id=author_id(line.name), display_name=line.name)
                )
            full = record.text
            # The header's wall-clock time as written (not the zone it is read in): ids stay the
            # same whatever [ingest] timezone says.
            wall = record.ts.replace(tzinfo=UTC).isoformat()
            occurrence = (wall, author.id, full)
            digest = hashlib.sha256(
                f"{channel.id}\0{wall}\0{author.id}\0{full}\0{seen[occurrence]}".encode()
            ).hexdigest()[:20]
            seen[occurrence] += 1
            at = report.naive_time(record.ts)
            ts = at + steps[at] * _MS
            steps[at] += 1
            if line.system:
                yield Message(
                    id=f"{channel.id}:{digest}", channel=channel, author=author, timestamp=ts,
                    content=line.body.strip(), platform="whatsapp", source=self.source.name, kind="system",
                    is_system=True,
                )
                continue
            kind, content, attachments, embeds, stickers, absent = self._content(line.body)
            missing += absent
            yield Message(
                id=f"{channel.id}:{digest}", channel=channel, author=author, timestamp=ts, content=content,
                platform="whatsapp", source=self.source.name, kind=kind,
                attachments=attachments, embeds=embeds, stickers=stickers,
            )
        if missing:
            report.warn(
                f"{missing} attached files named in the chat are not next to it"
                " (unzip the export and keep its files beside the .txt to use them)"
            )
        if self.refused:
            report.warn(f"{self.refused} attached file name(s) point outside the export's folder and were ignored ({LOCAL_OUTSIDE})")

    def _classify(self, record: _Record) -> _Line:
        """Who wrote one record, its text, and whether it is one of WhatsApp's notices."""
        text = record.text
        m = _AUTHOR.match(text)
        if m is None:  # no "Name: ": WhatsApp's own line
            return _system("", text)
        # A notice whose own text holds ": " (a quoted subject "a: b") is not "Name: text".
        first = text.split("\n", 1)[0].strip()
        quoted = len(first) <= _LONGEST_EVENT and _QUOTE_CHARS.search(first) and _QUOTED_EVENT.fullmatch(first)
        if quoted or _NOTICE.fullmatch(first):
            return _system("", text)
        name = person_name(m["name"])
        body = m["body"]
        head = body.split("\n", 1)[0].strip()
        if _NOTICE.fullmatch(head):
            return _system(name, body)
        after = _after(record.header.marked, m.end("name") + 1)
        lead = after[: len(after) - len(after.lstrip(" " + LRM))]
        marked = LRM in lead or record.header.lrm_first
        content = marked and _is_content(body)  # only marked lines may be notices
        if marked and not content and len(head) <= _LONGEST_EVENT and _EVENT.fullmatch(head):
            return _system(name, body)
        return _Line(name=name, body=body, system=False, marked=marked, content=content)

    def _content(
        self, body: str
    ) -> tuple[str, str, tuple[Attachment, ...], tuple[Embed, ...], tuple[Sticker, ...], int]:
        """(kind, text, attachments, embeds, stickers, missing files) of a user message's text."""
        text = body.strip()
        kind = "message"
        m = _EDITED.search(text)
        if m:
            text = text[: m.start()].rstrip()
            kind = "edited"
        if _DELETED.fullmatch(text):
            return "deleted", "", (), (), (), 0
        if _PENDING.fullmatch(text):
            return "pending", "", (), (), (), 0
        folded = text.casefold()
        if folded in _OMITTED_MEDIA:
            return "media", "", (Attachment(url="", filename="media"),), (), (), 0
        omitted = _omitted_kind(folded)
        if omitted:
            return ("media", "", *_omitted(omitted), 0)
        m = _OMITTED_DOCUMENT.fullmatch(text)
        if m:
            return "media", "", (Attachment(url="", filename=m["name"].strip()),), (), (), 0
        m = _FILE_ATTACHED.fullmatch(text) or _IOS_ATTACHED.fullmatch(text)
        if m:
            groups = m.groupdict()
            filename = (groups.get("name") or groups.get("a") or groups.get("b") or "").strip()
            found = self.source.local_file(filename)
            self.refused += found.refused
            url = Path(found.path).as_uri() if found.path else ""
            caption = (m["caption"] or "").strip()
            absent = int(not found.path and not found.refused)
            return "media", caption, (Attachment(url=url, filename=filename, local_path=found.path),), (), (), absent
        return kind, text, (), (), (), 0


def _system(name: str, text: str) -> _Line:
    """A notice: a group event (which makes the chat a group, and may name its new subject) or not."""
    head = text.strip().split("\n", 1)[0]
    group_event = len(head) <= _LONGEST_EVENT and bool(_GROUP_EVENT.fullmatch(head))
    subject = None
    if group_event:
        for pattern in _SUBJECTS:
            m = pattern.fullmatch(head)
            if m:
                subject = m["subject"].strip()
                break
    return _Line(name=name, body=text.strip(), system=True, group_event=group_event, subject=subject)


def _notice_names(lines: list[_Line]) -> list[_Line]:
    """Make notices of the marked lines of names WhatsApp uses only for notices (the group's name).

    iOS writes every notice under a name: the group's, or the member's it is about. A name with
    at least one recognised notice whose every other line is marked (U+200E) and is no person's
    content (media, deleted, edited, links, several lines) never wrote anything itself, so its
    unrecognised lines (a notice in a language the tables lack) are notices too: the group's name
    never becomes a person.
    """
    by_name: dict[str, list[int]] = defaultdict(list)
    for i, line in enumerate(lines):
        if line.name:
            by_name[line.name].append(i)
    out = list(lines)
    for indexes in by_name.values():
        own = [lines[i] for i in indexes]
        if any(line.system for line in own) and all(line.system or (line.marked and not line.content) for line in own):
            for i in indexes:
                if not lines[i].system:
                    out[i] = _system(lines[i].name, lines[i].body)
    return out


def _omitted(kind: str) -> tuple[tuple[Attachment, ...], tuple[Embed, ...], tuple[Sticker, ...]]:
    """The media an iOS "<kind> omitted" line stands for (no file: nothing can be sent)."""
    if kind == "sticker":
        return (), (), (Sticker(id="", name="sticker"),)
    if kind == "gif":
        return (), (Embed(url=None, title="GIF", kind="gif"),), ()
    filename = {"image": "image.jpg", "video": "video.mp4", "audio": "audio.opus", "contact": "contact.vcf"}.get(
        kind, "document"
    )
    return (Attachment(url="", filename=filename),), (), ()
