"""WhatsApp "Export chat" text files (Android ``WhatsApp Chat with X.txt``, iOS ``_chat.txt``).

Field reference: ``docs/export-formats.md`` §4. WhatsApp has no
specification; the layout depends on the phone's platform, locale and app version. What this
importer does:

* **Lines.** A message starts with a header: Android ``12/9/20, 23:55 - Bob: hi``, iOS
  ``[16/03/2022, 15:20:25] Bob: hi`` and the rarer layouts other locales produce
  (``13.6.2018 klo 21.25.15 - ``, ``13. 6. 2018. 21:25:15 ``...); any other line continues the
  previous message. Direction marks and BOM (U+200E, U+200F, U+202A-U+202E, U+2066-U+2069,
  U+FEFF) are removed and U+00A0 / U+202F / U+2007 spaces become plain spaces, in headers and in
  text alike. A file is written with one header layout, so only lines in the file's most common
  layout count as headers: a pasted line that looks like a header in another layout stays text.
* **Dates.** Day/month order is inferred from the whole file: the order under which every date is
  valid and consecutive messages are closest in time wins; a tie (every day <= 12 and no time
  signal) falls back to month-first for ``/`` dates with an ``AM``/``PM`` clock (US English) and
  day-first otherwise (``p. m.``, ``am``, 24-hour clocks, ``.`` and ``-`` dates). Two-digit
  years are 20yy; a four-digit component is the year wherever it stands. 12-hour clocks accept
  ``PM``, ``pm``, ``p.m.``, ``p. m.``. A header whose date or time is invalid under that reading is
  text.
* **Time zone.** Headers are the phone's local time and say nothing of its zone: they are stored
  as if they were UTC. Lines may be out of chronological order; messages that share a header time
  get 1 ms steps in file order, so sorting by time keeps the file's order.
* **Authors and "me".** Authors are names as saved on the exporting phone (or phone numbers); the
  author id is ``wa:`` + the name (NFKC, whitespace runs as ``_``), or ``wa:+<digits>`` for a phone
  number. WhatsApp exports carry no account id, so nothing is added to
  :attr:`FileReport.accounts`: set ``[persona] me`` to the ``wa:`` id that ``shizu stats`` lists.
* **System lines** (``is_system``, author ``wa:system``): lines without ``Name:``, known notices
  (end-to-end encryption, missed calls, security codes) even when WhatsApp prefixes them with the
  group's name, and group events whose text may contain a colon (``created group "a: b"``).
* **Content.** Localised media placeholders (``<Media omitted>``, iOS ``image omitted``...)
  become media with no file; ``IMG-... (file attached)``, ``<attached: NAME>`` and
  ``NAME <attached>`` become attachments (a ``file://`` URL and ``local_path`` when the file lies
  next to the text file on disk, not inside a zip), with any caption as the text. Deleted messages
  keep ``kind="deleted"`` and no text, ``<This message was edited>`` is removed (``kind="edited"``).
* **Chat and ids.** One chat per file: its name comes from the file name (``WhatsApp Chat with
  X``, localised, or the zip / folder holding ``_chat.txt``), else from the group subject. The
  channel id is ``wa:`` + a hash of that name (of the first line when there is none); a message id
  hashes the channel, header time, author, text and how often that same message occurred before
  in the file, so importing the same or a longer export again adds nothing twice. A chat with more
  than two authors or with group events is a ``group``, otherwise a ``dm``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import ClassVar, NamedTuple

from shizu.chat.media import LOCAL_OUTSIDE
from shizu.errors import IngestError
from shizu.ingest.base import QUALITY_FULL_EXPORT, SKIP_MALFORMED, SKIP_NO_AUTHOR, FileReport, read_whole
from shizu.ingest.source import Source
from shizu.message import Attachment, Author, Channel, Embed, Message, Sticker

_CLEAN = str.maketrans(
    {**dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")),
     0x00A0: " ", 0x202F: " ", 0x2007: " "}
)

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

# Notices WhatsApp writes itself, sometimes with the group's name as the author.
_NOTICE = re.compile(
    r"(?:Messages and calls are end-to-end encrypted"
    r"|Messages (?:you send )?to this (?:group|chat)(?: and calls)? are now secured with end-to-end encryption"
    r"|Los mensajes y las llamadas están cifrados de extremo a extremo"
    r"|Nachrichten und Anrufe sind Ende-zu-Ende-verschlüsselt"
    r"|Les messages et les appels sont chiffrés de bout en bout"
    r"|I messaggi e le chiamate sono crittografati end-to-end"
    r"|As mensagens e as chamadas são protegidas com a criptografia de ponta a ponta"
    r"|Missed (?:group )?(?:voice|video) call"
    r"|Your security code with .+ changed"
    r"|This chat is with a business account"
    r"|Disappearing messages were turned (?:on|off))",
    re.I,
)
# Group events; the quoted ones are matched before "Name: text" since a subject may hold a colon.
_QUOTED_EVENT = re.compile(
    r'[^:\n]+ (?:created group ".*"|changed the subject (?:from ".*" )?to ".*"'
    r'|changed the group name from ".*" to ".*")',
    re.S,
)
_GROUP_EVENT = re.compile(
    r"(?:.+ (?:created group|created this group|added|removed|left$|joined using this group's invite link"
    r"|changed the subject|changed this group's icon|deleted this group's icon|changed the group description)"
    r"|You were added|Messages (?:you send )?to this group)",
)
_SUBJECT = re.compile(
    r'.+ (?:created group|changed the subject (?:from ".*" )?to|changed the group name from ".*" to) "(.*)"$', re.S
)

_OMITTED_MEDIA = frozenset(
    p.casefold()
    for p in (
        "<Media omitted>", "<media weggelaat>", "<تم استبعاد الوسائط>", "<media buraxıldı>", "<Media çıxarılmışdır>",
        "<Без файл>", "<fitxers multimèdia omesos>", "<Mitjans omesos>", "<média vynechány>", "<medier udeladt>",
        "<Mediefil udeladt>", "<medien ausgeschlossen>", "<Medien weggelassen>", "<αρχείο παραλήφθηκε>",
        "<Εξαίρεση πολυμέσων>", "<multimedia omitido>", "<Archivo omitido>", "<meedia välja jäetud>",
        "<Meedia ära jäetud>", "<رسانه حذف شد>", "<media jätettiin pois>", "<Media jätetty pois>", "<médias omis>",
        "<Fichier omis>", "<मीडिया के बिना>", "<medijski zapis izostavljen>", "<média elhagyva>",
        "<Hiányzó médiafájl>", "<media tidak disertakan>", "<media omessi>", "<Media omesso>", "<המדיה לא נכללה>",
        "<מדיה הושמטה>", "<メディアなし>", "<メディアは含まれていません>", "<미디어 파일 제외됨>",
        "<미디어 파일을 생략한 대화내용>", "<medija praleista>", "<nav iekļauta multivide>", "<Bez multivides>",
        "<media dikecualikan>", "<media utelatt>", "<Uten vedlegg>", "<media weggelaten>", "<pominięto multimedia>",
        "<pliki pominięto>", "<ficheiro não revelado>", "<Mídia omitida>", "<conținut media omis>",
        "<без медиафайлов>", "<Файл пропущен>", "<Médiá vynechané>", "<datoteke izpuščene>", "<media utelämnat>",
        "<Media har utelämnats>", "<ไฟล์สื่อถูกลบ>", "<medya dahil edilmedi>", "<Medya atlanmış>",
        "<медіа пропущено>", "<bỏ qua tệp phương tiện>", "<忽略多媒體檔>", "<省略多媒体文件>",
    )
)
# iOS names the kind: "image omitted", "Report.pdf • 3 pages document omitted" (English and Spanish).
_OMITTED_KIND = re.compile(
    r"<?(?P<kind>image|video|audio|sticker|GIF|document|imagen|documento) (?:omitted|omitida|omitido)>?", re.I
)
_OMITTED_DOCUMENT = re.compile(r"(?P<name>[^\n•]+?) • [^\n]*? (?:document omitted|documento omitido)", re.I)
_FILE_ATTACHED = re.compile(
    r"(?P<name>[^\n]+?\.\w{1,5}) \((?:file attached|Datei angehängt|archivo adjunto|fichier joint|file allegato"
    r"|arquivo anexado|bestand bijgevoegd|файл добавлен)\)(?:\n(?P<caption>.*))?",
    re.S | re.I,
)
_IOS_ATTACHED = re.compile(
    r"(?:<attached: ?(?P<a>[^>\n]+?) ?>|(?P<b>[^\s<>]+) <attached>)(?:\s+(?P<caption>.*))?", re.S
)
_DELETED = frozenset(
    t.casefold()
    for t in (
        "This message was deleted", "You deleted this message", "Diese Nachricht wurde gelöscht",
        "Du hast diese Nachricht gelöscht", "Se eliminó este mensaje", "Eliminaste este mensaje",
        "Ce message a été supprimé", "Vous avez supprimé ce message", "Questo messaggio è stato eliminato",
        "Hai eliminato questo messaggio", "Esta mensagem foi apagada", "Você apagou esta mensagem",
        "Dit bericht is verwijderd", "Je hebt dit bericht verwijderd",
    )
)
_EDITED = re.compile(
    r"\s*<(?:This message was edited|Diese Nachricht wurde bearbeitet|Se editó este mensaje\.?"
    r"|Ce message a été modifié|Questo messaggio è stato modificato|Mensagem editada)>$",
    re.I,
)
_PENDING = re.compile(r"Waiting for this message\b.*", re.I | re.S)
_PHONE = re.compile(r"\+?[\d\s\-().]{6,}")

# "WhatsApp Chat with X.txt" in the languages WhatsApp uses (also with "_" for spaces).
_NAME_PREFIXES = tuple(
    p.casefold()
    for base in (
        "WhatsApp Chat with ", "WhatsApp Chat - ", "Chat de WhatsApp con ", "Чат WhatsApp с ", "Chat WhatsApp con ",
        "Conversa no WhatsApp com ", "Conversa do WhatsApp com ", "WhatsApp Chat mit ", "Discussion WhatsApp avec ",
        "WhatsApp-chat met ",
    )
    for p in (base, base.replace(" ", "_"))
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
    rest: str
    raw: str


@dataclass(slots=True)
class _Record:
    header: _Header
    ts: datetime
    lines: list[str] = field(default_factory=list)  # continuation lines

    @property
    def text(self) -> str:
        """Everything after the header, without trailing blank lines (the file's end has one or none)."""
        return "\n".join([self.header.rest, *self.lines]).rstrip()


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
    hour, minute, second = int(m["h"]), int(m["mi"]), int(m["s"] or 0)
    low, high = (1, 12) if m["ampm"] else (0, 23)
    return low <= hour <= high and minute <= 59 and second <= 59


def _records(lines: list[str], source: Source, report: FileReport) -> list[_Record]:
    """Split the file into messages: header lines in the file's layout start one, others continue it."""
    cleaned = [line.removesuffix("\r").translate(_CLEAN) for line in lines]
    matches: dict[int, tuple[re.Match, _Layout]] = {}
    layouts: Counter[_Layout] = Counter()
    for i, line in enumerate(cleaned):
        m = _HEADER.match(line)
        if m and _time_ok(m):
            layout = _layout(m)
            matches[i] = (m, layout)
            layouts[layout] += 1
    common = layouts.most_common(1)[0][0] if layouts else None
    headers = [
        _Header(
            line=i, parts=(m["d1"], m["d2"], m["d3"]), hour=int(m["h"]), minute=int(m["mi"]),
            second=int(m["s"] or 0), pm=None if m["half"] is None else m["half"] in "pP", rest=cleaned[i][m.end():],
            raw=cleaned[i],
        )
        for i, (m, layout) in matches.items()
        if layout == common
    ]
    starts: dict[int, tuple[_Header, datetime]] = {}
    if common is not None:
        order = _date_order(headers, common)
        for h in headers:
            ts = _timestamp(h, order)
            if ts is not None:
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
    return records


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
    """The header's time with the date parts read as (year, month, day) positions, or None if invalid."""
    day = _day(h.parts, order)
    if day is None:
        return None
    hour = h.hour if h.pm is None else h.hour % 12 + (12 if h.pm else 0)
    return day + timedelta(hours=hour, minutes=h.minute, seconds=h.second)


@lru_cache(maxsize=4096)
def _day(parts: tuple[str, str, str], order: tuple[int, int, int]) -> datetime | None:
    """Midnight UTC of a date written as ``parts`` (cached: a chat has far fewer days than lines)."""
    year, month, day = (parts[p] for p in order)
    if len(year) not in (2, 4) or len(month) > 2 or len(day) > 2:
        return None
    try:
        return datetime(int(year) + (2000 if len(year) == 2 else 0), int(month), int(day), tzinfo=UTC)
    except ValueError:
        return None


def author_id(name: str) -> str:
    """``wa:`` + the name (NFKC, whitespace runs as ``_``); phone numbers as ``wa:+<digits>``."""
    if _PHONE.fullmatch(name) and sum(c.isdigit() for c in name) >= 5:
        digits = "".join(c for c in name if c.isdigit())
        return f"wa:{'+' if name.lstrip().startswith('+') else ''}{digits}"
    return "wa:" + "_".join(unicodedata.normalize("NFKC", name).split())


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


class _Chat:
    """Records -> Messages for one file: the chat's channel, authors, ids and media."""

    def __init__(self, source: Source, records: list[_Record], report: FileReport) -> None:
        self.source = source
        self.records = records
        self.report = report
        self.refused = 0  # attachment names that point outside the export's folder

    def messages(self) -> Iterator[Message]:
        parsed = [self._classify(r) for r in self.records]
        group = False
        subject = ""
        group_author = ""
        authors: set[str] = set()
        for name, body, system in parsed:
            if system:
                group = group or bool(_GROUP_EVENT.match(body))
                m = _SUBJECT.match(body)
                if m:
                    subject = m.group(1)
                if name:  # a notice WhatsApp attributes to the group itself
                    group_author = name
                    group = True
            elif name:
                authors.add(name)
        group = group or len(authors) > 2
        title = chat_name(self.source)
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
        for record, (name, body, system) in zip(self.records, parsed):
            if system:
                author = SYSTEM_AUTHOR
            elif not name:
                self.report.skip(SKIP_NO_AUTHOR)
                continue
            else:
                author = people.get(name) or people.setdefault(name, Author(id=author_id(name), display_name=name))
            full = record.text
            occurrence = (record.ts, author.id, full)
            digest = hashlib.sha256(
                f"{channel.id}\0{record.ts.isoformat()}\0{author.id}\0{full}\0{seen[occurrence]}".encode()
            ).hexdigest()[:20]
            seen[occurrence] += 1
            ts = record.ts + steps[record.ts] * _MS
            steps[record.ts] += 1
            if system:
                yield Message(
                    id=f"{channel.id}:{digest}", channel=channel, author=author, timestamp=ts, content=body.strip(),
                    platform="whatsapp", source=self.source.name, kind="system", is_system=True,
                )
                continue
            kind, content, attachments, embeds, stickers, absent = self._content(body)
            missing += absent
            yield Message(
                id=f"{channel.id}:{digest}", channel=channel, author=author, timestamp=ts, content=content,
                platform="whatsapp", source=self.source.name, kind=kind,
                attachments=attachments, embeds=embeds, stickers=stickers,
            )
        if missing:
            self.report.warn(
                f"{missing} attached files named in the chat are not next to it"
                " (unzip the export and keep its files beside the .txt to use them)"
            )
        if self.refused:
            self.report.warn(f"{self.refused} attached file name(s) point outside the export's folder and were ignored ({LOCAL_OUTSIDE})")

    def _classify(self, record: _Record) -> tuple[str, str, bool]:
        """(author name, text, is_system) of one record."""
        text = record.text
        if _NOTICE.match(text) or _QUOTED_EVENT.fullmatch(text.strip()):
            return "", text, True
        m = _AUTHOR.match(text)
        if m is None:
            return "", text, True
        name = m["name"].strip()
        body = m["body"]
        if _NOTICE.match(body.lstrip()):
            return name, body.lstrip(), True
        return name, body, False

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
        folded = text.casefold().rstrip(".")
        if folded in _DELETED:
            return "deleted", "", (), (), (), 0
        if _PENDING.fullmatch(text):
            return "pending", "", (), (), (), 0
        if folded in _OMITTED_MEDIA:
            return "media", "", (Attachment(url="", filename="media"),), (), (), 0
        m = _OMITTED_KIND.fullmatch(text)
        if m:
            return ("media", "", *_omitted(m["kind"].casefold()), 0)
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



def _omitted(kind: str) -> tuple[tuple[Attachment, ...], tuple[Embed, ...], tuple[Sticker, ...]]:
    """The media an iOS "<kind> omitted" line stands for (no file: nothing can be sent)."""
    if kind == "sticker":
        return (), (), (Sticker(id="", name="sticker"),)
    if kind == "gif":
        return (), (Embed(url=None, title="GIF", kind="gif"),), ()
    filename = {"image": "image.jpg", "imagen": "image.jpg", "video": "video.mp4", "audio": "audio.opus"}.get(
        kind, "document"
    )
    return (Attachment(url="", filename=filename),), (), ()
