"""The importer interface every export format implements, and the per-file report."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import ClassVar, Protocol
from zoneinfo import ZoneInfo

from shizu.ingest.source import Source
from shizu.message import Author, Message
from shizu.store import WriteCounts

# Stable reason codes for messages an importer skips (counted per file and printed).
SKIP_NO_ID = "no-id"
SKIP_BAD_TIMESTAMP = "bad-timestamp"
SKIP_NO_AUTHOR = "no-author"
SKIP_MALFORMED = "malformed"

# Source quality: a richer source replaces a message stored from a poorer one.
QUALITY_OWN_MESSAGES = 1  # only the person's own messages, raw content (Discord data package)
QUALITY_FULL_EXPORT = 2  # everyone's messages with metadata (DiscordChatExporter, Telegram, ...)


@dataclass
class FileReport:
    """What happened to one source: its format, counts, skips by reason, warnings."""

    source: Source
    format: str = ""
    counts: WriteCounts | None = None
    skipped: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    accounts: list[Author] = field(default_factory=list)  # the exporting person's own account(s)
    error: str | None = None
    progress: Callable[[int], None] = lambda nbytes: None  # importers report bytes consumed
    timezone: ZoneInfo | None = None  # the zone of times that carry none ([ingest] timezone); None: UTC

    def naive_time(self, ts: datetime) -> datetime:
        """A time without a zone as an aware UTC time, read in :attr:`timezone` (UTC when unset)."""
        if self.timezone is None:
            return ts.replace(tzinfo=UTC)
        return ts.replace(tzinfo=self.timezone).astimezone(UTC)

    @property
    def zone_label(self) -> str:
        return self.timezone.key if self.timezone is not None else "UTC"

    def skip(self, reason: str, n: int = 1) -> None:
        self.skipped[reason] += n

    def warn(self, text: str) -> None:
        self.warnings.append(text)


class Importer(Protocol):
    """One export format. ``read`` yields messages and raises only :class:`shizu.errors.IngestError`."""

    format: ClassVar[str]  # stable short name, e.g. "dce-json"
    label: ClassVar[str]  # human name, e.g. "DiscordChatExporter JSON"
    quality: ClassVar[int]

    def sniff(self, source: Source, head: bytes) -> bool:
        """True when ``head`` (the first 64 KiB) is this format."""
        ...

    def read(self, source: Source, report: FileReport) -> Iterator[Message]:
        ...


def read_whole(source: Source, report: FileReport) -> bytes:
    """The whole source (for formats that must be parsed at once), counted as progress.

    An unreadable file or archive member is an :class:`IngestError` naming it.
    """
    from zipfile import BadZipFile

    from shizu.errors import IngestError

    try:
        data = source.read_bytes()
    except (OSError, BadZipFile, KeyError, EOFError) as exc:
        raise IngestError(source.name, f"cannot be read: {exc}") from None
    report.progress(len(data))
    return data


def failure(exc: Exception, label: str) -> str:
    """What to tell the user when reading one file raised something other than an IngestError.

    The file fails alone: its transaction is rolled back and the other files are still ingested.
    """
    if isinstance(exc, RecursionError):
        return (
            "is nested too deeply to read (JSON deeper than about 1,000 levels); no real export nests like that,"
            " so the file is damaged or crafted. Nothing from it was stored."
        )
    if isinstance(exc, MemoryError):
        return "is too large to read into this machine's memory. Nothing from it was stored; split the export into smaller files."
    if isinstance(exc, UnicodeError):
        return f"is not valid text ({exc}). Nothing from it was stored; export it again."
    return (
        f"could not be read: {type(exc).__name__}: {exc}. Nothing from it was stored. This is a bug in Shizu's {label}"
        " importer if the file opens in the tool that wrote it: please report it with the file's structure (not its content)."
    )
