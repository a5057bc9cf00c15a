"""Print a few held-out exchanges from `shizu eval`'s report.json: context, real reply, base, trained."""

from __future__ import annotations

import json
import sys
import textwrap


def main(report_path: str, count: int = 3) -> None:
    report = json.load(open(report_path, encoding="utf-8"))
    systems = [name for name in report["systems"] if name != "real"]
    turns = [t for t in report["turns"] if t["context"]][:count]
    for number, turn in enumerate(turns, 1):
        print(f"--- held-out exchange {number} ---")
        for message in turn["context"][-3:]:
            for line in message["content"].splitlines()[-3:]:
                who = f"{report['persona']}: " if message["role"] == "assistant" else ""
                print(textwrap.shorten(f"  {who}{line}", 100))
        for name in ["real", *systems]:
            text = " | ".join(turn["replies"][name]["text"].splitlines()) or "(nothing)"
            print(textwrap.shorten(f"  {name:>6} > {text}", 100))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3)
