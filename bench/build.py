"""Benchmark ``shizu build``: generated sample history -> store -> dataset.

Generates a sample export of ``1,000,000 × --scale`` messages (``shizu.sample.generate``),
ingests it the way ``shizu ingest`` does, then measures, each in a fresh process so that its peak
RSS is its own:

* baseline: reading every message back from the store (``MessageStore.iter_messages``), the
  floor any build pays;
* build: ``build_dataset`` with the default settings (PII redaction on).

It prints messages/s, examples/s, peak RSS and the build/baseline ratio. Targets at full scale:
build ≤ 30 s and ≤ 2 GB peak RSS. Quick check: ``python bench/build.py --scale 0.05``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FULL_SCALE = 1_000_000
TARGET_SECONDS = 30.0
TARGET_RSS_MB = 2048.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of 1,000,000 messages (default 1)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", type=Path, help="keep the sample and workspace here (default: a temp dir)")
    parser.add_argument("--phase", choices=("scan", "build"), help=argparse.SUPPRESS)  # child processes
    parser.add_argument("--workspace", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(_phase(args.phase, args.workspace)))
        return
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
        _run(args, args.workdir)
    else:
        with tempfile.TemporaryDirectory(prefix="shizu-bench-build-") as tmp:
            _run(args, Path(tmp))


def _run(args: argparse.Namespace, work: Path) -> None:
    from shizu.ingest.pipeline import discover, ingest_sources
    from shizu.sample.generate import write_sample
    from shizu.workspace import Workspace

    messages = max(1, round(FULL_SCALE * args.scale))
    t = time.perf_counter()
    info = write_sample(work / "sample", messages=messages, seed=args.seed)
    generated = time.perf_counter() - t
    ws = Workspace.create(work / "ws", me=[info.persona_id], force=True)
    t = time.perf_counter()
    sources, _, _ = discover([info.export_dir, info.package_dir])
    with ws.open_store() as store:
        reports = ingest_sources(store, sources)
        stored = store.count()
    ingested = time.perf_counter() - t
    failed = [r.error for r in reports if r.error]
    if failed:
        sys.exit(f"ingest failed: {failed[0]}")
    print(f"messages      {stored:,} in the store (generated in {generated:.1f} s, ingested in {ingested:.1f} s)")

    scan = _child("scan", ws.root)
    build = _child("build", ws.root)
    print(f"baseline scan {scan['seconds']:6.2f} s  {stored / scan['seconds']:>10,.0f} messages/s"
          f"  peak RSS {scan['rss_mb']:,.0f} MB  (CPU {scan['cpu']:.2f} s)")
    print(f"build         {build['seconds']:6.2f} s  {stored / build['seconds']:>10,.0f} messages/s"
          f"  {build['examples'] / build['seconds']:>8,.0f} examples/s ({build['examples']:,} examples)"
          f"  peak RSS {build['rss_mb']:,.0f} MB  (CPU {build['cpu']:.2f} s)")
    print(f"ratio         build / scan = {build['seconds'] / scan['seconds']:.2f}x")
    scale_up = FULL_SCALE / stored
    fixed = build["seconds"] - build["streaming"]
    projected = fixed + build["streaming"] * scale_up
    projected_cpu = build["cpu"] - build["streaming_cpu"] + build["streaming_cpu"] * scale_up
    print(f"              {build['streaming']:.2f} s streaming (scales with the store), {fixed:.2f} s fixed"
          " (imports, split, report)")
    verdict = "meets" if projected <= TARGET_SECONDS and build["rss_mb"] <= TARGET_RSS_MB else "misses"
    print(f"target        {verdict} ≤ {TARGET_SECONDS:.0f} s and ≤ {TARGET_RSS_MB:,.0f} MB at 1M messages"
          f" (projected from the streaming rate: {projected:.1f} s wall, {projected_cpu:.1f} s CPU;"
          " RSS not projected)")


def _child(phase: str, workspace: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--phase", phase, "--workspace", str(workspace)],
        check=True, capture_output=True, text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _phase(phase: str, root: Path) -> dict:
    from shizu.workspace import Workspace

    ws = Workspace(root)
    t = time.perf_counter()
    cpu = time.process_time()
    result: dict = {}
    if phase == "scan":
        with ws.open_store() as store:
            result["messages"] = sum(1 for _ in store.iter_messages())
    else:
        from shizu.dataset.pipeline import build_dataset

        marks: list[tuple[float, float]] = []
        report = build_dataset(ws, progress=lambda n: marks.append((time.perf_counter(), time.process_time()))).report
        result["examples"] = report["counts"]["examples"]
        # Reading and turning messages into examples scales with the store; the rest is fixed.
        result["streaming"] = marks[-1][0] - t
        result["streaming_cpu"] = marks[-1][1] - cpu
    result["seconds"] = time.perf_counter() - t
    result["cpu"] = time.process_time() - cpu  # on a busy machine, CPU time is the steadier figure
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["rss_mb"] = usage.ru_maxrss / 1024  # Linux: KiB
    return result


if __name__ == "__main__":
    main()
