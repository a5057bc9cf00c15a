"""How fast ``shizu eval`` is, and whether the fast backend changes its figures.

Runs ``shizu eval --limit N --json`` twice on a workspace with a trained run (default: the demo's,
``demo/workspace``): once generating the replies with transformers (the baseline: how the eval
generated before) and once with llama.cpp (the run's exported GGUF adapter), in that order, each
in its own process. Prints the whole eval's wall time, seconds per reply of the trained adapter
and of the base model, the speed-up, and the headline figures of both runs with their intervals,
so a reader can check that they agree. Targets (the evaluation issue): at most 1 s per reply on
average for the trained adapter on a 2-core CPU, and the whole eval at least 3x faster.

    .venv/bin/python bench/eval.py --workspace demo/workspace --run demo --limit 24
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

SHIZU = [str(Path(sys.executable).parent / "shizu")]
TARGET_SECONDS, TARGET_SPEEDUP = 1.0, 3.0


def run(ws: Path, run_name: str, limit: int, backend: str) -> tuple[float, dict]:
    start = time.perf_counter()
    out = subprocess.run(
        [*SHIZU, "eval", "-w", str(ws), "--run", run_name, "--limit", str(limit), "--json", "--backend", backend,
         "--out", str(ws / "reports" / f"bench-eval-{backend}")],
        capture_output=True, text=True, check=False,
    )
    if out.returncode:
        sys.exit(f"{backend}: shizu eval failed:\n{out.stderr[-3000:]}")
    return time.perf_counter() - start, json.loads(out.stdout)


def headline(report: dict, name: str) -> str:
    s = report["systems"][name]
    d = s.get("detection") or {}
    acc = d.get("accuracy")
    fid = s["intervals"].get("relevance")
    parts = [f"{s['seconds_per_reply']:.2f} s/reply"]
    if acc:
        parts.append(f"detected {acc['value']:.0%} [{acc['low']:.0%}, {acc['high']:.0%}]")
    if fid:
        parts.append(f"fidelity {fid['value']:.3f} [{fid['low']:.3f}, {fid['high']:.3f}]")
    parts.append(f"style distance {s['style_distance']:.3f}")
    return ", ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workspace", type=Path, default=Path("demo/workspace"))
    parser.add_argument("--run", default="demo")
    parser.add_argument("--limit", type=int, default=24)
    args = parser.parse_args()
    slow_time, slow = run(args.workspace, args.run, args.limit, "transformers")
    fast_time, fast = run(args.workspace, args.run, args.limit, "llama.cpp")
    print(f"shizu eval --limit {args.limit} on {args.workspace} (run {args.run!r}), {slow['dataset']['turns']} held-out turns")
    for label, seconds, report in (("transformers (baseline)", slow_time, slow), ("llama.cpp", fast_time, fast)):
        print(f"  {label}: whole eval {seconds:.1f} s")
        for name in ("base", args.run):
            print(f"    {name}: {report['systems'][name]['model']}: {headline(report, name)}")
    per_reply = fast["systems"][args.run]["seconds_per_reply"]
    speedup = slow_time / fast_time
    print(f"trained adapter: {per_reply:.2f} s/reply with llama.cpp (target <= {TARGET_SECONDS:.0f} s: {'met' if per_reply <= TARGET_SECONDS else 'NOT met'})")
    print(f"whole eval: {speedup:.2f}x faster than with transformers (target >= {TARGET_SPEEDUP:.0f}x: {'met' if speedup >= TARGET_SPEEDUP else 'NOT met'})")


if __name__ == "__main__":
    main()
