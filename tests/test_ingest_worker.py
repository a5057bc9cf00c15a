"""Reading in a worker process stores exactly what reading in-process stores, and recovers from misuse."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from shizu.ingest.base import FileReport
from shizu.ingest.pipeline import discover, ingest_sources
from shizu.ingest.source import Source
from shizu.ingest.worker import ReadWorker
from shizu.sample.generate import write_sample
from shizu.store import MessageStore, SourceRows
from shizu.store.rows import BATCH

FIXTURES = Path(__file__).parent / "fixtures"
EVERY_KIND = [
    FIXTURES / "dce" / "versions",
    FIXTURES / "dce" / "csv",
    FIXTURES / "dce" / "damaged",
    FIXTURES / "dce" / "layout",
    FIXTURES / "data_package" / "2025_json",
    FIXTURES / "telegram" / "full_export",
    FIXTURES / "whatsapp",
]


def store_contents(store: MessageStore) -> tuple:
    db = store.db
    return tuple(
        db.execute(query).fetchall()
        for query in (
            "SELECT * FROM messages ORDER BY id",
            "SELECT * FROM channels ORDER BY id",
            "SELECT * FROM authors ORDER BY id",
            "SELECT * FROM accounts ORDER BY user_id",
            "SELECT id, path, format, sha256, messages_read, messages_new FROM sources ORDER BY id",
        )
    )


def report_contents(report: FileReport, progressed: int) -> tuple:
    counts = report.counts and (report.counts.read, report.counts.new, report.counts.upgraded)
    return (report.source, report.format, counts, dict(report.skipped), report.warnings, report.accounts,
            report.error, progressed)


def ingest_everything(db: Path, worker: bool) -> tuple:
    sources, _, _ = discover(EVERY_KIND)
    progressed: Counter[int] = Counter()  # bytes reported as read, by id(report)

    def start(report: FileReport) -> None:
        report.progress = lambda n: progressed.update({id(report): n})

    with MessageStore(db) as store:
        reports = ingest_sources(store, sources, on_start=start, worker=worker)
        reports += ingest_sources(store, sources, on_start=start, worker=worker)  # again: nothing new
        return store_contents(store), [report_contents(r, progressed[id(r)]) for r in reports]


def test_worker_stores_and_reports_exactly_what_in_process_reading_does(tmp_path: Path) -> None:
    in_process = ingest_everything(tmp_path / "a.db", worker=False)
    in_worker = ingest_everything(tmp_path / "b.db", worker=True)
    assert in_worker == in_process
    contents, reports = in_worker
    assert len(contents[0]) > 100 and contents[3]  # messages, and the data package's account
    failed = [Path(source.path).name for source, *_, error, _ in reports if error]
    assert failed == 2 * [
        "Cool server - Text Channels - broken [320000000000000014].csv",
        "Part guild - Text Channels - chat [340000000000000010] garbage.json",
        "Part guild - Text Channels - chat [340000000000000010] truncated header.json",
    ]
    assert sum(progressed for *_, progressed in reports) == 2 * sum(s.size() for s, _ in discover(EVERY_KIND)[0])


def rows_of(source: Source, importer) -> list[list]:
    rows = SourceRows()
    return [list(row) for batch in rows.batches(importer.read(source, FileReport(source=source))) for row in batch]


@pytest.fixture(scope="module")
def sample_sources(tmp_path_factory: pytest.TempPathFactory) -> list:
    info = write_sample(tmp_path_factory.mktemp("sample"), messages=24_000, seed=3)
    sources, _, _ = discover([info.export_dir])
    return sorted(sources, key=lambda s: -s[0].size())[:3]  # the largest hold several batches of rows


def test_a_file_left_half_read_or_asked_out_of_order_restarts_the_worker(sample_sources: list) -> None:
    expected = [rows_of(source, importer) for source, importer in sample_sources]
    assert len(expected[0]) > BATCH  # the file comes in several batches
    with ReadWorker(sample_sources) as reader:
        _, batches = reader.read(0, FileReport(source=sample_sources[0][0]))
        first = next(batches)  # the writer stops after one batch (as on an error)
        assert [list(r) for r in first] == expected[0][: len(first)]
        for index in (1, 0, 2):  # 1 after a half-read file, then 0 out of order, then 2
            rows, batches = reader.read(index, FileReport(source=sample_sources[index][0]))
            assert [row for batch in batches for row in batch] == expected[index]
            assert rows.read == len(expected[index]) and rows.sha256


class Unknown:
    format = "not-a-format"


def test_a_worker_that_dies_is_an_error_not_a_hang(sample_sources: list) -> None:
    source = sample_sources[0][0]
    with ReadWorker([(source, Unknown())]) as reader:
        _, batches = reader.read(0, FileReport(source=source))
        with pytest.raises(RuntimeError, match="ingest worker process stopped unexpectedly"):
            list(batches)
