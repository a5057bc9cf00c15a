"""How library code reports progress: one :class:`Reporter` protocol, presented by the caller.

Library code never prints and never sees a terminal. A long operation takes a ``Reporter`` and
tells it two kinds of things:

* ``say(line)``: one plain-text line (no markup: nothing in it is interpreted, so nothing needs
  escaping; colours and emphasis are the presenter's choice);
* bars, named by a ``key`` of the caller's choosing: ``start(key, label, total, completed)``, then
  ``update(key, completed, **fields)`` (absolute) or ``advance(key, amount)`` (relative), then
  ``stop(key)``. ``fields`` are short display texts shown with the bar, in the order first given
  (``loss="loss 2.345"``, ``speed="812 tok/s"``); an update replaces the ones it names.

The CLI's presenter (:mod:`shizu.cli.progress`) draws a live bar on a terminal and writes plain lines
elsewhere; :class:`Quiet` ignores everything (tests, and library callers that want no output).
"""

from __future__ import annotations

from typing import Protocol


class Reporter(Protocol):
    def say(self, line: str) -> None:
        """One plain-text line for the user."""

    def start(self, key: str, label: str, total: float, completed: float = 0, **fields: str) -> None:
        """A new bar ``key``: ``completed`` of ``total`` done (a resumed run starts part-way)."""

    def update(self, key: str, completed: float | None = None, **fields: str) -> None:
        """Bar ``key`` now stands at ``completed`` (when given), with these fields replaced."""

    def advance(self, key: str, amount: float = 1) -> None:
        """``amount`` more of bar ``key`` is done."""

    def stop(self, key: str) -> None:
        """Bar ``key`` is finished (or abandoned); no more events for it follow."""


class Quiet:
    """A :class:`Reporter` that shows nothing."""

    def say(self, line: str) -> None:
        pass

    def start(self, key: str, label: str, total: float, completed: float = 0, **fields: str) -> None:
        pass

    def update(self, key: str, completed: float | None = None, **fields: str) -> None:
        pass

    def advance(self, key: str, amount: float = 1) -> None:
        pass

    def stop(self, key: str) -> None:
        pass


QUIET: Reporter = Quiet()
