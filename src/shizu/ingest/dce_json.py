"""DiscordChatExporter JSON (``-f Json``), every version from 2.18 to 2.47.

Field reference: ``docs/export-formats.md`` §1. This module is the streaming reader (it finds
the messages in the file); what each message means is :mod:`shizu.ingest.dce_json_convert`.
What the importer does with each part of an export:

* **Streaming.** A DCE file is one JSON document, often several GB. The header (``guild``,
  ``channel``...) is decoded on its own, then the ``messages`` array is read in chunks of a few MB:
  message boundaries are found without a Python-level JSON parse and each batch of complete
  messages is decoded at once by msgspec into small typed structs. DCE writes indented JSON, so a
  message always ends with a newline, its indentation and ``}`` (a raw newline cannot occur inside
  a JSON string); any other layout (minified, re-indented) falls back to a bracket scanner that
  skips strings with a regex. Memory stays at a few chunks whatever the file size.
* **Damaged files.** A file that simply stops (an interrupted export) is read up to its last
  complete message and a warning says how many were recovered. Anything else that is not JSON
  (garbage in the middle, a broken header) raises :class:`IngestError` naming the byte offset and
  line; nothing from the file is stored.
* **Message kinds.** ``type`` is an enum name or, for kinds DCE does not know, the number as a
  string. Kinds 1-18 (``RecipientAdd`` ... ``GuildMemberJoin``, ``ThreadCreated`` and ``"1"`` ..
  ``"18"``) are system messages: ``is_system`` is set from the type, never from the (synthetic,
  English) content. ``kind`` keeps the type as written.
* **Replies.** ``Reply`` / ``"19"`` messages reply to ``reference.messageId``. A ``reference`` also
  appears on pins, thread-created notices, crossposts and forwards, which are not replies. A
  message of another (non-system) type that carries a ``reference`` counts as a reply only when the
  reference is not a forward, points into the same channel (``channelId`` missing or equal to the
  export's channel) and the message has something of its own (text, files or stickers): that is
  how the real DCEF sample's two ``Default`` messages with a reference read, while pre-2.47
  forwards (empty ``Default`` messages) and crossposts (a reference to another channel) do not.
* **Forwards** (2.47+, ``reference.type == "Forward"``): the ``forwardedMessage``'s content,
  attachments, embeds and stickers are taken as the message's own.
* **Content.** Exports made with the default ``--markdown true`` already say ``@Name``,
  ``#channel`` and ``:emoji:``; raw markup (``--markdown false``) is rewritten the same way with
  :func:`shizu.chat.discord_markup.render_raw_markup`, naming users from the message's
  ``mentions`` and from the authors seen earlier in the file. Custom emoji ids come from
  ``inlineEmojis`` (2.44+) and from raw ``<:name:id>`` / ``<a:name:id>``; a rendered ``:name:``
  in an older export has no id to keep.
* **Media.** With ``--media`` DCE replaces URLs by paths relative to the JSON file (``\\`` on
  Windows); such a file that exists next to the export becomes the attachment's ``local_path``
  (never for zip members). Embeds are ``gif`` (Tenor/Giphy/Gfycat link, or a ``video`` on such a
  host), ``video``, ``image`` or ``link``.
* **Channels.** ``DirectTextChat`` is a DM, ``DirectGroupTextChat`` a group, ``Guild*Thread`` a
  thread whose parent channel is ``categoryId``/``category``; everything else is a guild text
  channel. The DM pseudo-guild (id ``"0"``) is no guild.

Partitioned (``[part N]``), reversed (``--reverse``) and overlapping files need nothing special:
the store keys messages by id.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from typing import BinaryIO, ClassVar
from zipfile import BadZipFile

import msgspec

from shizu.errors import IngestError
from shizu.ingest.base import (
    QUALITY_FULL_EXPORT,
    SKIP_MALFORMED,
    FileReport,
)
from shizu.ingest.dce_json_convert import Converter, Header, RawMessage, Trailer
from shizu.ingest.source import Source
from shizu.message import Message

CHUNK = 4 << 20  # bytes read at a time; a batch of messages is decoded per chunk
MAX_HEADER = 16 << 20  # the part before "messages" is small; more means this is not a DCE export
MAX_MESSAGE = 64 << 20  # no single message is this large: an element that never ends is damage

_decode_batch = msgspec.json.Decoder(list[RawMessage]).decode
_decode_one = msgspec.json.Decoder(RawMessage).decode
_decode_header = msgspec.json.Decoder(Header).decode
_decode_trailer = msgspec.json.Decoder(Trailer).decode

# -- sniffing ----------------------------------------------------------------------------------

_SNIFF_START = re.compile(rb"^(?:\xef\xbb\xbf)?\s*\{")
_SNIFF_GUILD = re.compile(rb'"guild"\s*:\s*\{')
_SNIFF_CHANNEL = re.compile(rb'"channel"\s*:\s*\{')
_MESSAGES_KEY = re.compile(rb'"messages"\s*:\s*\[')

# -- scanning ----------------------------------------------------------------------------------

_WS = re.compile(rb"[ \t\r\n]*")
# Everything up to the next bracket or unterminated string, skipping complete strings.
_SKIP = re.compile(rb'(?:[^"\[\]{}]++|"(?:[^"\\]++|\\.)*+")*+', re.S)
_BYTE_POS = re.compile(r"\s*\(byte (\d+)\)$")

_MORE, _END, _BAD = 0, 1, 2
_OPEN = frozenset(b"{[")
_QUOTE, _COMMA, _LBRACE, _RBRACKET = ord('"'), ord(","), ord("{"), ord("]")

_DAMAGED_HINT = (
    "The file is damaged in the middle, not just cut off at the end. Export the channel again with "
    "DiscordChatExporter (-f Json) or restore the file; nothing from it was stored."
)


class DceJsonImporter:
    format: ClassVar[str] = "dce-json"
    label: ClassVar[str] = "DiscordChatExporter JSON"
    quality: ClassVar[int] = QUALITY_FULL_EXPORT

    def sniff(self, source: Source, head: bytes) -> bool:
        return bool(_SNIFF_START.match(head) and _SNIFF_GUILD.search(head) and _SNIFF_CHANNEL.search(head))

    def read(self, source: Source, report: FileReport) -> Iterator[Message]:
        return _Reader(source, report).messages()


class _Reader:
    """One pass over one export: header, then the messages array in batches, then the trailer."""

    def __init__(self, source: Source, report: FileReport) -> None:
        self.source = source
        self.fh: BinaryIO | None = None
        self.report = report
        self.buf = b""
        self.base = 0  # file offset of buf[0]
        self.eof = False
        self.first = True  # no array element read yet
        self.elements = 0  # array elements seen (messages, including skipped ones)
        self.converter: Converter | None = None

    # -- low-level input -------------------------------------------------------------------

    def _fill(self, pos: int) -> int:
        """Drop ``buf[:pos]``, read another chunk; returns the new index of the old ``pos`` (0)."""
        self.base += pos
        try:
            chunk = self.fh.read(CHUNK)
        except (OSError, EOFError, BadZipFile, zlib.error) as exc:
            raise IngestError(self.source.name, f"cannot be read: {exc}", self._where(len(self.buf))) from None
        if not self.base and not self.buf and chunk.startswith(b"\xef\xbb\xbf"):
            chunk = chunk[3:]
            self.base = 3
        self.buf = self.buf[pos:] + chunk
        if chunk:
            self.report.progress(len(chunk))
        else:
            self.eof = True
        return 0

    def _where(self, index: int) -> str:
        """'byte N, line L' for an index into ``buf`` (lines are counted again from the start)."""
        offset = self.base + max(0, min(index, len(self.buf)))
        lines = 0
        try:
            with self.source.open() as fh:
                left = offset
                while left > 0:
                    block = fh.read(min(left, 1 << 20))
                    if not block:
                        break
                    lines += block.count(b"\n")
                    left -= len(block)
        except (OSError, EOFError, BadZipFile, zlib.error, KeyError):
            return f"byte {offset}"
        return f"byte {offset}, line {lines + 1}"

    def _damaged(self, index: int, what: str) -> IngestError:
        return IngestError(self.source.name, f"is not valid JSON: {what}", self._where(index), hint=_DAMAGED_HINT)

    # -- structure -------------------------------------------------------------------------

    def messages(self) -> Iterator[Message]:
        try:
            self.fh = self.source.open()
        except (OSError, BadZipFile, KeyError) as exc:
            raise IngestError(self.source.name, f"cannot be read: {exc}") from None
        with self.fh:
            yield from self._messages()

    def _messages(self) -> Iterator[Message]:
        pattern, pos = self._layout(self._header())
        while True:
            if pattern is not None:
                # Fast path: the last "\n<indent>}" in the buffer closes a message.
                j = self.buf.rfind(pattern, pos)
                if j >= 0:
                    end = j + len(pattern)
                    start = self._separator(pos)
                    if start is not None and start < end:
                        try:
                            raws = _decode_batch(b"[" + self.buf[start:end] + b"]")
                        except (msgspec.DecodeError, UnicodeDecodeError):
                            pass  # not what the layout promised: let the scanner find out below
                        else:
                            self.first = False
                            self.elements += len(raws)
                            convert = self.converter.convert
                            for raw in raws:
                                msg = convert(raw)
                                if msg is not None:
                                    yield msg
                            pos = end
                            continue
                elif not self.eof:
                    pos = self._fill(pos)
                    continue
            # Scanner: exact element boundaries for any layout, and precise errors.
            spans, stop, state = self._scan(pos)
            if spans:
                yield from self._decode_spans(spans)
                pos = spans[-1][1]
            if state == _END:
                self._trailer(stop)
                return
            if state == _BAD:
                raise self._damaged(stop, "expected ',' or ']' between messages")
            if self.eof:
                self._truncated(pos)
                return
            if not spans and len(self.buf) - pos > MAX_MESSAGE:
                self._oversized(pos)
            pos = self._fill(pos)

    def _header(self) -> int:
        """Decode everything before the messages array; returns the index just after its '['."""
        searched = 0
        while True:
            for m in _MESSAGES_KEY.finditer(self.buf, max(0, searched - 32)):
                try:
                    header = _decode_header(self.buf[: m.end()] + b"]}")
                except msgspec.ValidationError as exc:
                    raise IngestError(
                        self.source.name, f"is not a DiscordChatExporter export: {exc}",
                        hint="Export the channel with DiscordChatExporter using -f Json.",
                    ) from None
                except (msgspec.DecodeError, UnicodeDecodeError):
                    continue  # "messages": [ inside a string (a topic), or a broken header
                self.converter = Converter.for_header(self.source, self.report, header)
                return m.end()
            searched = len(self.buf)
            if self.eof or len(self.buf) > MAX_HEADER:
                break
            self._fill(0)
        # No usable header: say why, as precisely as the parser can.
        try:
            doc = msgspec.json.decode(self.buf)
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:
            if self.eof and "truncated" in str(exc):
                raise IngestError(
                    self.source.name, "ends before its first message (an interrupted export?)",
                    self._where(len(self.buf)), hint="Export the channel again with DiscordChatExporter (-f Json).",
                ) from None
            msg, index = _error_position(exc, self.buf)
            raise self._damaged(index, msg) from None
        what = "has no \"messages\" array" if isinstance(doc, dict) else "is not a JSON object"
        raise IngestError(
            self.source.name, f"is not a DiscordChatExporter export: it {what}",
            hint="Export the channel with DiscordChatExporter using -f Json.",
        )

    def _layout(self, pos: int) -> tuple[bytes | None, int]:
        """(the bytes that end a message in an indented file or None for the scanner, ``pos``)."""
        while True:
            end = _WS.match(self.buf, pos).end()
            if end < len(self.buf) or self.eof:
                break
            pos = self._fill(pos)
        ws = self.buf[pos:end]
        if b"\n" not in ws:
            return None, pos
        return b"\n" + ws[ws.rindex(b"\n") + 1 :] + b"}", pos

    def _separator(self, pos: int) -> int | None:
        """Index of the next element's first byte after ``pos`` (past ',' unless first), or None."""
        i = _WS.match(self.buf, pos).end()
        if not self.first:
            if i >= len(self.buf) or self.buf[i] != _COMMA:
                return None
            i = _WS.match(self.buf, i + 1).end()
        return i

    def _scan(self, pos: int) -> tuple[list[tuple[int, int]], int, int]:
        """Complete array elements from ``pos``: (spans, where it stopped, _MORE | _END | _BAD)."""
        buf = self.buf
        n = len(buf)
        spans: list[tuple[int, int]] = []
        first = self.first
        ws = _WS.match
        skip = _SKIP.match
        i = pos
        while True:
            i = ws(buf, i).end()
            if i >= n:
                return spans, i, _MORE
            c = buf[i]
            if c == _RBRACKET:
                return spans, i, _END
            if not first:
                if c != _COMMA:
                    return spans, i, _BAD
                i = ws(buf, i + 1).end()
                if i >= n:
                    return spans, i, _MORE
            if buf[i] != _LBRACE:
                return spans, i, _BAD
            start = i
            depth = 0
            while True:
                i = skip(buf, i).end()
                if i >= n or buf[i] == _QUOTE:  # end of buffer, or a string running past it
                    return spans, i, _MORE
                depth += 1 if buf[i] in _OPEN else -1
                i += 1
                if depth == 0:
                    break
            spans.append((start, i))
            first = False

    def _decode_spans(self, spans: list[tuple[int, int]]) -> Iterator[Message]:
        buf = self.buf
        try:
            raws = _decode_batch(b"[" + buf[spans[0][0] : spans[-1][1]] + b"]")
        except (msgspec.DecodeError, UnicodeDecodeError):
            raws = None
        self.first = False
        self.elements += len(spans)
        if raws is not None:
            yield from self._convert(raws)
            return
        # Something in this batch is wrong: find the element, skip it if it is only mistyped.
        for start, end in spans:
            element = buf[start:end]
            try:
                raw = _decode_one(element)
            except msgspec.ValidationError:
                self.report.skip(SKIP_MALFORMED)
                self.converter.note_malformed(self._where(start))
                continue
            except (msgspec.DecodeError, UnicodeDecodeError) as exc:
                msg, index = _error_position(exc, element)
                raise self._damaged(start + index, msg) from None
            yield from self._convert((raw,))

    def _convert(self, raws) -> Iterator[Message]:
        convert = self.converter.convert
        for raw in raws:
            msg = convert(raw)
            if msg is not None:
                yield msg

    def _trailer(self, index: int) -> None:
        """After the array's ']': the rest of the document (``messageCount``) must be JSON."""
        while not self.eof and len(self.buf) - index < MAX_HEADER:
            index = self._fill(index)
        prefix = b'{"messages":[]'
        rest = self.buf[index + 1 :]
        try:
            trailer = _decode_trailer(prefix + rest)
        except msgspec.DecodeError as exc:
            msg, pos = _error_position(exc, prefix + rest)
            if "truncated" not in msg:
                raise self._damaged(index + 1 + max(0, pos - len(prefix)), msg) from None
            self.converter.finish()
            self.report.warn(
                f"the file ends right after the messages (an interrupted export?); all {self.elements} were read"
            )
            return
        except UnicodeDecodeError:
            raise self._damaged(index + 1, "invalid UTF-8 after the messages") from None
        self.converter.finish()
        if trailer.messageCount is not None and trailer.messageCount != self.elements:
            self.report.warn(f"the file says it has {trailer.messageCount} messages but {self.elements} were found")

    def _oversized(self, pos: int) -> None:
        """An element that does not end within MAX_MESSAGE bytes: report where it goes wrong."""
        i = _WS.match(self.buf, pos).end()
        if not self.first and self.buf[i : i + 1] == b",":
            i = _WS.match(self.buf, i + 1).end()
        try:
            _decode_one(self.buf[i:])
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:
            msg, index = _error_position(exc, self.buf[i:])
            if "truncated" not in msg:
                raise self._damaged(i + index, msg) from None
        raise self._damaged(i, f"a message runs on for more than {MAX_MESSAGE >> 20} MB")

    def _truncated(self, pos: int) -> None:
        """EOF inside the array: fine if the rest is the start of a message, damage otherwise."""
        i = _WS.match(self.buf, pos).end()
        rest = self.buf[i:]
        if rest.startswith(b","):
            i = _WS.match(self.buf, i + 1).end()
            rest = self.buf[i:]
        if rest:
            try:
                _decode_one(rest)
            except (msgspec.DecodeError, UnicodeDecodeError) as exc:
                msg, index = _error_position(exc, rest)
                if "truncated" not in msg and index < len(rest) - 4:
                    raise self._damaged(i + index, msg) from None
            else:
                raise self._damaged(len(self.buf), "the messages array is not closed")
        self.converter.finish()
        self.report.warn(
            f"the file is cut off (an interrupted export?): recovered {self.elements} complete messages"
            f" up to byte {self.base + pos}; export the channel again to get the rest"
        )


def _error_position(exc: msgspec.DecodeError | UnicodeDecodeError, data: bytes) -> tuple[str, int]:
    """What is wrong and where: msgspec's message without its '(byte N)' suffix, and N (an index
    into ``data``, the bytes decoded).

    Invalid UTF-8 comes as a UnicodeDecodeError (older msgspec) or as a DecodeError without a
    position (msgspec 0.23): the first invalid byte is found here then.
    """
    text = str(exc)
    m = _BYTE_POS.search(text) if isinstance(exc, msgspec.DecodeError) else None
    if m:
        return text[: m.start()], int(m.group(1))
    if isinstance(exc, UnicodeDecodeError) or "UTF-8" in text:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as bad:
            return "invalid UTF-8", bad.start
    return text, len(data)


