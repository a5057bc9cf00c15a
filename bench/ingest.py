"""Ingest benchmark: DiscordChatExporter JSON exports into a fresh message store.

    .venv/bin/python bench/ingest.py               # 300,000 and 1,000,000 messages
    .venv/bin/python bench/ingest.py --scale 0.05  # a quick run (15,000 and 50,000)

For each size the sample generator (``shizu.sample.generate.write_sample``) writes a DCE export
spread over several channel files (at full scale the largest holds 360,000 messages); exports are
cached under ``bench/out/ingest/``. Each measurement runs in its own child process so its peak RSS
is its own:

* ``shizu``: ``pipeline.discover`` + ``ingest_sources`` into a new store, as ``shizu ingest`` does:
  a worker process parses each file (streamed, typed decoding, conversion to rows) while this one
  hashes it and writes the rows, one transaction per file, with the message indexes built at the end
  (the store is new); its CPU time includes the worker's;
* ``baseline``: the naive way: ``json.load`` each whole file, build the same columns for every
  message, then one ``executemany`` into the same SQLite schema in a single transaction.

Targets (DESIGN.md §5 and the ingest issue): 1,000,000 messages in at most 20 s end to end, peak
RSS at most 1 GB, at least 3x the baseline's throughput. Figures go to ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out" / "ingest"
RESULTS = ROOT / "bench" / "RESULTS.md"
SIZES = (300_000, 1_000_000)
BEGIN, END = "<!-- bench/ingest.py: begin -->", "<!-- bench/ingest.py: end -->"


# -- children ----------------------------------------------------------------------------------


def peak_rss_mb() -> float:
    """Peak RSS of this process plus that of its largest finished child (they run side by side)."""
    return sum(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 1024


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (shizu's reading worker): on a shared
    machine it moves much less than wall time."""
    return sum(u.ru_utime + u.ru_stime for u in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)))


def run_shizu(export: Path, db: Path) -> dict:
    from shizu.ingest.pipeline import discover, ingest_sources
    from shizu.store import MessageStore

    start, cpu0 = time.perf_counter(), cpu_seconds()
    with MessageStore(db) as store:
        sources, _ignored, _ = discover([export])
        reports = ingest_sources(store, sources)
        stored = store.count()
    seconds = time.perf_counter() - start
    errors = [r.error for r in reports if r.error]
    if errors:
        raise SystemExit(f"ingest failed: {errors}")
    return {"seconds": seconds, "cpu_s": cpu_seconds() - cpu0, "messages": stored, "files": len(reports),
            "peak_rss_mb": peak_rss_mb()}


_SYSTEM = {"RecipientAdd", "RecipientRemove", "Call", "ChannelNameChange", "ChannelIconChange",
           "ChannelPinnedMessage", "GuildMemberJoin", "ThreadCreated"} | {str(n) for n in range(1, 19)}


def _ms(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp() * 1000)


def run_baseline(export: Path, db: Path) -> dict:
    """json.load per file, the same columns for every message, one executemany in one transaction."""
    from shizu.store.migrations import MIGRATIONS

    start, cpu0 = time.perf_counter(), cpu_seconds()
    con = sqlite3.connect(db)
    con.executescript(MIGRATIONS[0])
    con.execute("INSERT INTO sources VALUES (1, 'baseline', 'dce-json', '', '', 0, 0)")
    rows = []
    for path in sorted(export.rglob("*.json")):
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
        channel_id = doc["channel"]["id"]
        for m in doc["messages"]:
            author = m["author"]
            ref = m.get("reference") or {}
            extras = {k: m[k] for k in ("attachments", "embeds", "stickers", "reactions") if m.get(k)}
            rows.append((
                m["id"], "discord", channel_id, author["id"], author.get("nickname") or author["name"],
                _ms(m["timestamp"]), m["content"], ref.get("messageId") if m["type"] == "Reply" else None,
                m["type"], int(m["type"] in _SYSTEM),
                _ms(m["timestampEdited"]) if m.get("timestampEdited") else None,
                json.dumps(extras) if extras else None, 2, 1,
            ))
    with con:
        con.executemany("INSERT OR IGNORE INTO messages VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    stored = con.execute("SELECT count(*) FROM messages").fetchone()[0]
    con.close()
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "cpu_s": cpu_seconds() - cpu0, "messages": stored, "peak_rss_mb": peak_rss_mb()}


def child(mode: str, export: Path, db: Path) -> None:
    result = run_shizu(export, db) if mode == "shizu" else run_baseline(export, db)
    print(json.dumps(result))


# -- parent ------------------------------------------------------------------------------------


def sample(messages: int) -> tuple[Path, dict]:
    """The cached export for ``messages`` (generated once)."""
    folder = OUT / f"sample-{messages}"
    marker = folder / "sample.json"
    if marker.is_file():
        return folder / "export", json.loads(marker.read_text())
    from shizu.sample.generate import write_sample

    shutil.rmtree(folder, ignore_errors=True)
    print(f"generating a {messages:,}-message export in {folder} ...", flush=True)
    start = time.perf_counter()
    info = write_sample(folder, messages=messages, seed=0)
    files = sorted(info.export_dir.rglob("*.json"))
    meta = {
        "messages": info.messages,
        "files": len(files),
        "largest_file_messages": max(info.channel_messages.values()),
        "bytes": sum(f.stat().st_size for f in files),
        "generated_in_s": round(time.perf_counter() - start, 1),
    }
    shutil.rmtree(info.package_dir, ignore_errors=True)  # only the export is ingested here
    marker.write_text(json.dumps(meta))
    return info.export_dir, meta


def measure(mode: str, export: Path) -> dict:
    db = OUT / f"{mode}.db"
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--export", str(export), "--db", str(db)],
        capture_output=True, text=True, env=env,
    )
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    if proc.returncode != 0:
        raise SystemExit(f"{mode} run failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        model = re.search(r"model name\s*:\s*(.*)", Path("/proc/cpuinfo").read_text())
        cpu = model.group(1).strip() if model else cpu
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, load average {load:.1f} at start"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the export sizes (e.g. 0.05 for a quick run)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement (the fastest is kept)")
    parser.add_argument("--no-results", action="store_true", help="do not update bench/RESULTS.md")
    parser.add_argument("--child", choices=["shizu", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--export", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.export, args.db)
        return

    OUT.mkdir(parents=True, exist_ok=True)
    host = machine()
    rows = []
    for size in SIZES:
        n = max(200, round(size * args.scale))
        export, meta = sample(n)
        shizu = min((measure("shizu", export) for _ in range(args.repeat)), key=lambda r: r["seconds"])
        base = min((measure("baseline", export) for _ in range(args.repeat)), key=lambda r: r["seconds"])
        if shizu["messages"] != meta["messages"] or base["messages"] != meta["messages"]:
            raise SystemExit(f"message counts differ: export {meta['messages']}, shizu {shizu['messages']},"
                             f" baseline {base['messages']}")
        rows.append((meta, shizu, base))
        print(f"{n:>9,} messages, {meta['files']} files ({meta['bytes'] / 1e6:,.0f} MB, largest file"
              f" {meta['largest_file_messages']:,} messages)")
        for name, r in (("shizu", shizu), ("baseline", base)):
            print(f"  {name:<9} {r['seconds']:7.2f} s  (CPU {r['cpu_s']:6.2f} s)"
                  f"  {meta['messages'] / r['seconds']:>10,.0f} msg/s  peak RSS {r['peak_rss_mb']:7.0f} MB")
        print(f"  speed-up {base['seconds'] / shizu['seconds']:.1f}x wall, {base['cpu_s'] / shizu['cpu_s']:.1f}x CPU",
              flush=True)

    table = [
        "| messages | files (largest) | MB | shizu s (CPU s) | shizu msg/s | shizu peak RSS MB |"
        " baseline s (CPU s) | baseline msg/s | baseline peak RSS MB | speed-up wall (CPU) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for meta, s, b in rows:
        table.append(
            f"| {meta['messages']:,} | {meta['files']} ({meta['largest_file_messages']:,}) | {meta['bytes'] / 1e6:,.0f}"
            f" | {s['seconds']:.2f} ({s['cpu_s']:.2f}) | {meta['messages'] / s['seconds']:,.0f} | {s['peak_rss_mb']:.0f}"
            f" | {b['seconds']:.2f} ({b['cpu_s']:.2f}) | {meta['messages'] / b['seconds']:,.0f} | {b['peak_rss_mb']:.0f}"
            f" | {b['seconds'] / s['seconds']:.1f}x ({b['cpu_s'] / s['cpu_s']:.1f}x) |"
        )
    print("\n".join(table))
    if not args.no_results:
        command = "python bench/ingest.py" + (f" --scale {args.scale:g}" if args.scale != 1 else "") + (
            f" --repeat {args.repeat}" if args.repeat != 1 else "")
        write_results(command, host, table)


def write_results(command: str, host: str, table: list[str]) -> None:
    section = "\n".join([
        BEGIN,
        "## Ingest (DiscordChatExporter JSON → message store)",
        "",
        f"`{command}` on {time.strftime('%Y-%m-%d')}; {host}. Each run in its own process;"
        " \"baseline\" = `json.load` per file + one `executemany` of the same columns in one transaction;"
        " shizu's CPU time and peak RSS include its reading worker's.",
        "Targets: 1,000,000 messages in ≤ 20 s, peak RSS ≤ 1 GB, ≥ 3× the baseline.",
        "",
        *table,
        END,
    ])
    text = RESULTS.read_text("utf-8") if RESULTS.is_file() else "# Benchmark results\n"
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + section + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    RESULTS.write_text(text, "utf-8")


if __name__ == "__main__":
    main()
