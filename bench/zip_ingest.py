"""Ingest a zipped Discord data package with many channels: the archive opened once vs per access.

    .venv/bin/python bench/zip_ingest.py                # 1,500 channels
    .venv/bin/python bench/zip_ingest.py --channels 300

The package is the test fixture ``tests/fixtures/data_package/2025_json`` with its channel folder
copied ``--channels`` times. "shizu" is ``discover`` + ``ingest_sources`` as ``shizu ingest`` runs
them; the baseline is the same with every member read opening the archive again, as Shizu did
before 2026-12-06 (each open parses the archive's whole directory; the old code also reopened it
for every name lookup and size, so its real cost was higher still).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
FIXTURE = ROOT / "tests" / "fixtures" / "data_package" / "2025_json"


def write_package(out: Path, channels: int) -> None:
    channel = json.loads((FIXTURE / "Messages/c574565969297408007/channel.json").read_text("utf-8"))
    messages = (FIXTURE / "Messages/c574565969297408007/messages.json").read_text("utf-8")
    index = {}
    with zipfile.ZipFile(out, "w") as zf:
        zf.write(FIXTURE / "Account/user.json", "Account/user.json")
        for i in range(channels):
            cid = str(574565969297408007 + i * 1000)
            zf.writestr(f"Messages/c{cid}/channel.json", json.dumps({**channel, "id": cid}))
            zf.writestr(f"Messages/c{cid}/messages.json", messages)
            index[cid] = f"general {i} in Server"
        zf.writestr("Messages/index.json", json.dumps(index))


def ingest(package: Path, db: Path) -> tuple[float, int]:
    from shizu.ingest.pipeline import discover, ingest_sources
    from shizu.store import MessageStore

    start = time.perf_counter()
    with MessageStore(db) as store:
        sources, _, _ = discover([package])
        reports = ingest_sources(store, sources, worker=False)
    assert all(r.error is None for r in reports), [r.error for r in reports if r.error]
    return time.perf_counter() - start, len(reports)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--channels", type=int, default=1500)
    args = parser.parse_args()
    import shizu.ingest.source as source

    with tempfile.TemporaryDirectory() as tmp:
        package = Path(tmp) / "package.zip"
        write_package(package, args.channels)
        shizu, files = ingest(package, Path(tmp) / "shizu.db")
        cached = source._open_archive
        source._open_archive = lambda path, *_: zipfile.ZipFile(path)  # the baseline: reopen every time
        try:
            baseline, _ = ingest(package, Path(tmp) / "baseline.db")
        finally:
            source._open_archive = cached
    print(f"{args.channels:,} channels, {files:,} files in the zip ({package.name})")
    print(f"  shizu     {shizu:7.2f} s")
    print(f"  baseline  {baseline:7.2f} s  (the archive reopened for every member read)")
    print(f"  speed-up  {baseline / shizu:.0f}x")


if __name__ == "__main__":
    main()
