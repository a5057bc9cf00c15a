"""The tests' fixed clock: one instant, Saturday 2 March 2024, 21:14 UTC.

Import :data:`NOW` by name where a test needs the instant; the fixtures that stop a frontend's
clock at it (``web_clock``, ``terminal_clock``) live in ``conftest.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime

NOW = datetime(2024, 3, 2, 21, 14, tzinfo=UTC)
