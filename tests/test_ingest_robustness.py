"""Damaged input never escapes as anything but a ShizuError: truncations, garbling, random bytes.

Each mutated file goes through every DCE importer (sniffed or not) and through discovery plus the
store, where a failure must be a per-file error report, never an exception.
"""

from __future__ import annotations

import tempfile
from datetime import UTC
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shizu.errors import ShizuError
from shizu.ingest.base import FileReport
from shizu.ingest.dce_csv import DceCsvImporter
from shizu.ingest.dce_json import DceJsonImporter
from shizu.ingest.pipeline import discover, ingest_sources
from shizu.ingest.source import Source
from shizu.message import Message
from shizu.store import MessageStore

FIXTURES = Path(__file__).parent / "fixtures" / "dce"
SAMPLES = sorted(p for p in FIXTURES.rglob("*") if p.suffix in (".json", ".csv"))
IMPORTERS = [DceJsonImporter(), DceCsvImporter()]

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def damaged(draw) -> tuple[str, bytes]:
    """A fixture's name and its bytes, cut, overwritten, spliced or replaced by noise."""
    sample = draw(st.sampled_from(SAMPLES))
    data = sample.read_bytes()
    how = draw(st.sampled_from(["truncate", "overwrite", "insert", "delete", "noise", "swap"]))
    if how == "noise":
        return sample.name, draw(st.binary(max_size=2048))
    i = draw(st.integers(0, len(data)))
    if how == "truncate":
        return sample.name, data[:i]
    if how == "overwrite":
        junk = draw(st.binary(min_size=1, max_size=16))
        return sample.name, data[:i] + junk + data[i + len(junk):]
    if how == "insert":
        junk = draw(st.sampled_from([b"{", b"}", b"[", b"]", b'"', b",", b"\\", b"\n    }", b"\xff", b"\x00"]) | st.binary(
            min_size=1, max_size=16))
        return sample.name, data[:i] + junk + data[i:]
    if how == "delete":
        j = draw(st.integers(i, min(len(data), i + 64)))
        return sample.name, data[:i] + data[j:]
    j = draw(st.integers(0, len(data)))  # swap two slices
    a, b = sorted((i, j))
    return sample.name, data[b:] + data[a:b] + data[:a]


def check_messages(messages: list[Message]) -> None:
    for m in messages:
        assert isinstance(m, Message) and m.id and m.author.id
        assert m.timestamp.tzinfo is UTC


@SETTINGS
@given(damaged())
def test_importers_raise_only_shizu_errors(case: tuple[str, bytes]) -> None:
    name, data = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        source = Source(path)
        for importer in IMPORTERS:
            importer.sniff(source, data[:65536])  # never raises
            report = FileReport(source=source)
            try:
                messages = list(importer.read(source, report))
            except ShizuError:
                continue
            check_messages(messages)


@SETTINGS
@given(damaged())
def test_pipeline_reports_damage_per_file(case: tuple[str, bytes]) -> None:
    name, data = case
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "exports"
        folder.mkdir()
        (folder / name).write_bytes(data)
        try:
            sources, _ignored, _ = discover([folder])
        except ShizuError:
            return
        with MessageStore(Path(tmp) / "shizu.db") as store:
            before = store.count()
            reports = ingest_sources(store, sources)
            for report in reports:
                if report.error is not None:
                    assert report.counts is None
            stored = sum(r.counts.new for r in reports if r.counts)
            assert store.count() == before + stored
            check_messages(list(store.iter_messages()))
