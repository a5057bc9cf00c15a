"""Read export files in a worker process while this process writes them to SQLite.

An ingest has two halves of about the same CPU cost: reading a file (decoding the JSON, turning
messages into rows) and writing the rows (SQLite upserts). With two or more cores they run side by
side: the worker reads file after file and sends each file's rows in msgpack batches down a pipe,
whose bounded buffer keeps memory flat; this process hashes each file (in a thread) and writes the
rows, one transaction per file, exactly as it would have written rows it read itself
(:meth:`MessageStore.write_rows`). On the 1M-message benchmark: 16 s in one process, 10 s so.

Errors keep their meaning: an export problem in the worker (a :class:`ShizuError`) arrives as a
:class:`ShizuError` with the same text, and any other failure of one file (a crafted file's
``RecursionError``, an importer bug) as that file's error in the same words the in-process path
uses (:func:`shizu.ingest.base.failure`); a worker that dies is a :class:`RuntimeError`, which
the pipeline also records as that file's error. A file whose writing stops early (an error on this side) stops the worker; the next file
starts a fresh one.
"""

from __future__ import annotations

import gc
import os
import pickle
import subprocess
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from multiprocessing.connection import Connection
from pathlib import Path
from zoneinfo import ZoneInfo

import msgspec

import shizu
from shizu.errors import ShizuError
from shizu.ingest.base import FileReport, Importer, failure
from shizu.ingest.source import Source
from shizu.store import SourceRows

MIN_BYTES = 32 << 20  # below this the worker's start (about 0.3 s) costs more than it saves

_ROWS, _END = b"R", b"E"  # the first byte of each message from the worker
_encode = msgspec.msgpack.Encoder().encode
_decode_rows = msgspec.msgpack.Decoder(tuple[int, list[list]]).decode


def worth_a_worker(sources: Sequence[tuple[Source, Importer]]) -> bool:
    """Whether reading in a worker pays: a second core is free and there is enough to read."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cores >= 2 and sum(source.size() for source, _ in sources) >= MIN_BYTES


class ReadWorker:
    """A worker process that reads ``sources`` (in this order) for this one; a context manager.

    The worker is always asked for the next file too, so it starts on it while this process
    finishes writing the current one.
    """

    def __init__(self, sources: Sequence[tuple[Source, Importer]], timezone: ZoneInfo | None = None) -> None:
        self.sources = list(sources)
        self.timezone = timezone  # [ingest] timezone, for times that carry none
        self._process: subprocess.Popen | None = None
        self._conn: Connection | None = None  # rows and summaries from the worker
        self._requests: Connection | None = None  # which files to read, to the worker
        self._requested = 0  # sources[:_requested] were asked of the running worker (or are done)
        self._expected = 0  # the index of the next file whose rows the worker will send
        self._busy = False  # a file's rows are being received and its last message has not come yet
        self._hasher = ThreadPoolExecutor(1)  # hashlib releases the GIL: hashing overlaps the writing

    def __enter__(self) -> ReadWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
        self._hasher.shutdown()

    def read(self, index: int, report: FileReport) -> tuple[SourceRows, Iterator[list[list]]]:
        """``sources[index]``'s summary (complete once its batches are exhausted) and its row batches."""
        if self._busy or index != self._expected:  # rows of another file are (or may be) coming
            self.close()
        if self._conn is None:
            self._start()
            self._requested = self._expected = index
        while self._requested < min(index + 2, len(self.sources)):
            source, importer = self.sources[self._requested]
            self._requests.send((source, importer.format, self.timezone.key if self.timezone else None))
            self._requested += 1
        self._busy, self._expected = True, index + 1
        rows = SourceRows()
        source = self.sources[index][0]
        return rows, self._receive(self._conn, rows, report, self._hasher.submit(source.sha256))

    def _receive(
        self, conn: Connection, rows: SourceRows, report: FileReport, digest: Future[str]
    ) -> Iterator[list[list]]:
        while True:
            try:
                message = conn.recv_bytes()
            except EOFError:
                self.close()
                raise RuntimeError("the ingest worker process stopped unexpectedly") from None
            kind, body = message[:1], message[1:]
            if kind == _ROWS:
                consumed, batch = _decode_rows(body)
                report.progress(consumed)
                yield batch
                continue
            self._busy = False
            summary, error, skipped, warnings, accounts, consumed = pickle.loads(body)
            report.skipped.update(skipped)
            report.warnings.extend(warnings)
            report.accounts.extend(accounts)
            report.progress(consumed)
            if error is not None:
                raise ShizuError(error)
            vars(rows).update(summary, sha256=digest.result())
            return

    def _start(self) -> None:
        """Start the worker and the pipes to and from it.

        A plain ``python -m shizu.ingest.worker`` child, not :mod:`multiprocessing`: its "spawn"
        re-imports the caller's main script (which breaks any script without a main guard), and
        "fork" would copy this process's threads (the progress bar) mid-flight.
        """
        to_worker, from_worker = os.pipe(), os.pipe()
        package_root = str(Path(shizu.__file__).resolve().parents[1])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
        self._process = subprocess.Popen(
            [sys.executable, "-m", "shizu.ingest.worker", str(to_worker[0]), str(from_worker[1])],
            pass_fds=(to_worker[0], from_worker[1]), env=env, stdin=subprocess.DEVNULL,
        )
        os.close(to_worker[0])
        os.close(from_worker[1])
        self._conn = Connection(from_worker[0], readable=True, writable=False)
        self._requests = Connection(to_worker[1], readable=False, writable=True)

    def close(self) -> None:
        for conn in (self._requests, self._conn):
            if conn is not None:
                conn.close()
        self._requests = self._conn = None
        if self._process is not None:
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        self._busy = False


def serve(requests: Connection, results: Connection) -> None:
    """The worker's loop: read each requested source and send its rows, then its summary."""
    from shizu.ingest.formats import importers

    by_format = {importer.format: importer for importer in importers()}
    while True:
        try:
            source, format, zone = requests.recv()
        except (EOFError, OSError):
            return
        try:
            _send_source(results, source, by_format[format], ZoneInfo(zone) if zone else None)
        except OSError:
            return  # the writer stopped listening


def _send_source(conn: Connection, source: Source, importer: Importer, timezone: ZoneInfo | None) -> None:
    report = FileReport(source=source, timezone=timezone)
    consumed = 0

    def progress(nbytes: int) -> None:
        nonlocal consumed
        consumed += nbytes

    report.progress = progress
    rows, error = SourceRows(), None
    try:
        for batch in rows.batches(importer.read(source, report)):
            conn.send_bytes(_ROWS + _encode((consumed, batch)))
            consumed = 0
    except ShizuError as exc:
        error = str(exc)
    except (BrokenPipeError, ConnectionError):  # the writer stopped reading this file: nothing to report
        return
    except Exception as exc:
        error = f"{source.name}: {failure(exc, importer.label)}"
    tail = (vars(rows), error, report.skipped, report.warnings, report.accounts, consumed)
    conn.send_bytes(_END + pickle.dumps(tail))


if __name__ == "__main__":
    gc.set_threshold(100_000, 50, 1000)  # millions of short-lived rows, hardly any cycles: collect rarely
    serve(Connection(int(sys.argv[1]), writable=False), Connection(int(sys.argv[2]), readable=False))
