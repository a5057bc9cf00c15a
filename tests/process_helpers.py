"""Reading a child process's output while it runs, through ONE reader.

Mixing ``proc.stdout.readline()`` with ``proc.communicate(timeout=...)`` loses text: with a timeout,
``communicate`` reads the raw pipe, so whatever the text wrapper had already buffered past the
lines read so far is never seen. :class:`ProcessOutput` reads every line in a thread instead.
"""

from __future__ import annotations

import re
import subprocess
import threading
import time


class ProcessOutput:
    """Collects ``proc.stdout`` line by line in a thread; wait for a pattern, then for the end."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        self.proc = proc
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._done = False
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self._done = True
            self._changed.notify_all()

    @property
    def text(self) -> str:
        with self._changed:
            return "".join(self.lines)

    def wait_for(self, pattern: str, timeout: float) -> re.Match[str]:
        """The first match of ``pattern`` in the output so far or to come; fails on exit or timeout."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not (match := re.search(pattern, "".join(self.lines))):
                left = deadline - time.monotonic()
                assert not self._done, f"the process ended without printing {pattern!r}:\n{''.join(self.lines)}"
                assert left > 0, f"timed out waiting for {pattern!r}:\n{''.join(self.lines)}"
                self._changed.wait(left)
            return match

    def finish(self, timeout: float) -> str:
        """Wait for the process to exit and its output to end; the whole output."""
        self.proc.wait(timeout=timeout)
        self._thread.join(timeout=timeout)
        return self.text
