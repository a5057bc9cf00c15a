"""Find the exports under the given paths, sniff each one's format, and write it to the store.

Each source is one transaction: a file that fails is reported (file, position, what to do) and
leaves the store as it was, while the other files still go in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from shizu.errors import IngestError, ShizuError, UnknownFormatError
from shizu.ingest.base import FileReport, Importer
from shizu.ingest.source import Source, is_zip, zip_members
from shizu.store import MessageStore, file_sha256


def importers() -> list[Importer]:
    """Every supported format, most specific first."""
    from shizu.ingest.data_package import DataPackageImporter
    from shizu.ingest.dce_csv import DceCsvImporter
    from shizu.ingest.dce_json import DceJsonImporter
    from shizu.ingest.telegram import TelegramImporter
    from shizu.ingest.whatsapp import WhatsAppImporter

    return [DceJsonImporter(), DceCsvImporter(), DataPackageImporter(), TelegramImporter(), WhatsAppImporter()]


def sniff(source: Source, candidates: list[Importer]) -> Importer | None:
    try:
        head = source.head()
    except OSError as exc:
        raise IngestError(source.name, f"cannot be read: {exc}") from None
    return next((imp for imp in candidates if imp.sniff(source, head)), None)


def discover(paths: Iterable[Path]) -> tuple[list[tuple[Source, Importer]], list[Source]]:
    """(recognised sources with their importer, files below a folder that nothing recognised).

    A file named explicitly that no importer recognises is an error; inside folders and zip
    archives such files (media, index files) are only counted.
    """
    candidates = importers()
    found: list[tuple[Source, Importer]] = []
    ignored: list[Source] = []
    for path in paths:
        if not path.exists():
            raise IngestError(str(path), "does not exist", hint="Check the path (quote it if it has spaces).")
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file())
            explicit = False
        else:
            files = [path]
            explicit = True
        for file in files:
            members = zip_members(file) if is_zip(file) else [Source(file)]
            for source in members:
                importer = sniff(source, candidates)
                if importer is not None:
                    found.append((source, importer))
                elif explicit and not source.member:
                    raise UnknownFormatError(
                        source.name,
                        "is not a supported export format",
                        hint="Supported: DiscordChatExporter JSON (-f Json) or CSV, and Discord's data package"
                        " (folder or zip). See the README's format table.",
                    )
                else:
                    ignored.append(source)
    return found, ignored


def ingest_sources(
    store: MessageStore,
    sources: list[tuple[Source, Importer]],
    on_start: Callable[[FileReport], None] = lambda report: None,
    on_done: Callable[[FileReport], None] = lambda report: None,
) -> list[FileReport]:
    """Write every source to the store, one transaction each; failures are recorded, not raised."""
    reports = []
    for source, importer in sources:
        report = FileReport(source=source, format=importer.format)
        on_start(report)
        try:
            digest = file_sha256(source.path) if not source.member else f"{file_sha256(source.path)}!{source.member}"
            report.counts = store.write_source(
                importer.read(source, report),
                path=source.name,
                format=importer.format,
                sha256=digest,
                quality=importer.quality,
                accounts=report.accounts,
            )
        except ShizuError as exc:
            report.error = str(exc)
        reports.append(report)
        on_done(report)
    return reports
