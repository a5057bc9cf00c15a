"""The terminal: the consoles the CLI and its views print to, and JSON output for ``--json``.

Only the CLI package prints; library code reports through :class:`shizu.progress.Reporter`
(presented by :mod:`shizu.cli.progress`) and raises :class:`shizu.errors.ShizuError`.
"""

from __future__ import annotations

import sys

from rich.console import Console

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def print_json(data: object) -> None:
    import msgspec

    sys.stdout.write(msgspec.json.format(msgspec.json.encode(data)).decode() + "\n")
