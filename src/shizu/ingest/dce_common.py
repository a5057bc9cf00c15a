"""What both DiscordChatExporter importers (JSON and CSV) read the same way: the files a ``--media``
export keeps beside itself, file names from URLs or paths, DCE's timestamps, raw Discord markup."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import unquote

from shizu.chat.discord_markup import parse_timestamp
from shizu.chat.media import LOCAL_OUTSIDE
from shizu.ingest.source import Source

# Raw markup of a ``--markdown false`` export: mentions, channels, custom emoji, timestamps.
RAW_MARKUP = re.compile(r"<(?:@[!&]?\d+|#\d+|a?:[A-Za-z0-9_~\-]+:\d+|t:-?\d+(?::[tTdDfFR])?)>")


class MediaFolder:
    """Files a ``--media`` export downloaded next to itself (DCE writes their paths as URLs)."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.missing = 0  # local paths whose file is not there
        self.refused = 0  # local paths that point outside the export's folder

    def local_path(self, url: str) -> str | None:
        """The file for a local path inside the export's folder (:meth:`Source.local_file`); None for URLs."""
        if self.source.member or "://" in url or url.startswith("data:"):
            return None
        found = self.source.local_file(url)
        if found.refused:
            self.refused += 1
        elif found.path is None:
            self.missing += 1
        return found.path

    def warnings(self, kind: str) -> list[str]:
        """What to tell the user about the attachments' local files, if anything."""
        out = []
        if self.missing:
            out.append(
                f"{self.missing} attachment(s) point to files next to the export that are missing"
                f" (keep the export's _Files folder beside the {kind} to use them)"
            )
        if self.refused:
            out.append(
                f"{self.refused} attachment path(s) point outside the export's folder and were ignored ({LOCAL_OUTSIDE})"
            )
        return out


def file_name(url: str) -> str:
    """The last path segment of a URL or (Windows or POSIX) path, without the query."""
    return unquote(url.split("?", 1)[0].replace("\\", "/").rstrip("/").rsplit("/", 1)[-1])


def parse_dce_timestamp(text: str | None) -> datetime:
    """DCE's ISO-8601 with offset, as aware UTC (fast path; :func:`parse_timestamp` otherwise)."""
    if not text:
        raise ValueError("no timestamp")
    if len(text) >= 25 and text[10] == "T":
        try:
            ts = datetime.fromisoformat(text)
        except ValueError:
            return parse_timestamp(text)
        if ts.tzinfo is UTC:
            return ts
        if ts.tzinfo is not None:
            return ts.astimezone(UTC)
    return parse_timestamp(text)
