"""Find the exports under the given paths, sniff each one's format, and write it to the store.

Each source is one transaction: a file that fails is reported (file, position, what to do) and
leaves the store as it was, while the other files still go in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath
from typing import NamedTuple
from zoneinfo import ZoneInfo

from shizu.errors import IngestError, ShizuError, UnknownFormatError
from shizu.ingest.base import FileReport, Importer, failure
from shizu.ingest.formats import importers
from shizu.ingest.source import Source, is_zip, zip_members
from shizu.ingest.worker import ReadWorker, worth_a_worker
from shizu.store import MessageStore, SourceRows


def sniff(source: Source, candidates: list[Importer]) -> Importer | None:
    try:
        head = source.head()
    except OSError as exc:
        raise IngestError(source.name, f"cannot be read: {exc}") from None
    return next((imp for imp in candidates if imp.sniff(source, head)), None)


SUPPORTED = (
    "Supported: DiscordChatExporter JSON (-f Json) or CSV, Discord's data package (folder or zip), Telegram Desktop"
    " JSON (result.json) and WhatsApp chats (.txt or .zip). See the README's format table."
)


class Discovery(NamedTuple):
    """What the given paths hold: exports with their importer, files to ignore, and paths that fail."""

    found: list[tuple[Source, Importer]]
    ignored: list[Source]  # files below a folder (or in an archive) that no importer recognises
    failed: list[FileReport]  # paths named explicitly that are missing or not a supported export


def discover(paths: Iterable[Path]) -> Discovery:
    """Find the exports under ``paths``; a bad path is a failed report, never the end of the run.

    A file named explicitly that no importer recognises, or a path that does not exist, fails
    (with what to do); inside folders and zip archives unrecognised files (media, index files) are
    only counted, with the reason :func:`why_ignored` gives.
    """
    candidates = importers()
    found: list[tuple[Source, Importer]] = []
    ignored: list[Source] = []
    failed: list[FileReport] = []
    for path in paths:
        if not path.exists():
            report = FileReport(Source(path))
            report.error = f"{path}: does not exist\nCheck the path (quote it if it has spaces)."
            failed.append(report)
            continue
        if path.is_dir():
            files = sorted((p for p in path.rglob("*") if p.is_file()), key=_natural)
            explicit = False
        else:
            files = [path]
            explicit = True
        for file in files:
            try:
                members = zip_members(file) if is_zip(file) else [Source(file)]
                recognised = [(source, sniff(source, candidates)) for source in members]
            except ShizuError as exc:
                report = FileReport(Source(file))
                report.error = str(exc)
                failed.append(report)
                continue
            for source, importer in recognised:
                if importer is not None:
                    found.append((source, importer))
                elif explicit and not source.member:
                    report = FileReport(source)
                    report.error = str(UnknownFormatError(source.name, f"is not a supported export format ({why_ignored(source)})", hint=SUPPORTED))
                    failed.append(report)
                else:
                    ignored.append(source)
    return Discovery(found, ignored, failed)


def why_ignored(source: Source) -> str:
    """Why no importer took a file, in words that group alike files (``shizu ingest`` counts them)."""
    try:
        head = source.head(4096)
    except OSError:
        return "cannot be read"
    first = head.split(b"\n", 1)[0].lower()
    suffix = PurePosixPath(source.filename).suffix.lower()
    if suffix == ".csv" and b"author" in first and b"content" in first:
        return "look like DiscordChatExporter CSV but have an unsupported header"
    if suffix == ".json" and b'"messages"' in head:
        return "look like chat exports (JSON with messages) but match no supported layout"
    if suffix == ".txt" and b" - " in first and b":" in first:
        return "look like WhatsApp chats but their first line is not a message header"
    return "are not chat exports (media, index and other files)"


def ingest_sources(
    store: MessageStore,
    sources: list[tuple[Source, Importer]],
    on_start: Callable[[FileReport], None] = lambda report: None,
    on_done: Callable[[FileReport], None] = lambda report: None,
    worker: bool | None = None,
    timezone: ZoneInfo | None = None,
) -> list[FileReport]:
    """Write every source to the store, one transaction each; failures are recorded, not raised.

    ``timezone``: the zone of times that carry none (``[ingest] timezone``; ``None``: UTC).
    ``worker``: read the files in a second process while this one writes (default: when a second
    core is free and there is enough to read, see :mod:`shizu.ingest.worker`).
    """
    use_worker = worth_a_worker(sources) if worker is None else worker
    reports = []
    with ReadWorker(sources, timezone) as reader, store.bulk_load():
        for index, (source, importer) in enumerate(sources):
            report = FileReport(source=source, format=importer.format, timezone=timezone)
            on_start(report)
            try:
                if use_worker:
                    rows, batches = reader.read(index, report)
                else:
                    rows = SourceRows(source.sha256())
                    batches = rows.batches(importer.read(source, report))
                report.counts = store.write_rows(
                    rows, batches, path=source.name, format=importer.format, quality=importer.quality,
                    accounts=report.accounts,
                )
            except ShizuError as exc:
                report.error = str(exc)
            except Exception as exc:
                report.error = f"{source.name}: {failure(exc, importer.label)}"
            reports.append(report)
            on_done(report)
    return reports


def _natural(path: Path) -> tuple:
    """Sort key that puts ``2.csv`` before ``10.csv`` (and ``[part 2]`` before ``[part 10]``)."""
    return tuple(tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", part)) for part in path.parts)
