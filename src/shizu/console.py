"""The terminal: the consoles the CLI prints to, and JSON output for ``--json``.

Only the CLI and its views (``*/cli_view.py``) print; library code reports progress through
callbacks and raises :class:`shizu.errors.ShizuError`.
"""

from __future__ import annotations

import sys

from rich.console import Console

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def print_json(data: object) -> None:
    import msgspec

    sys.stdout.write(msgspec.json.format(msgspec.json.encode(data)).decode() + "\n")
