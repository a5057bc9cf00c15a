"""The eval's user errors (part of the :class:`shizu.errors.ShizuError` hierarchy)."""

from __future__ import annotations

from shizu.errors import ShizuError


class EvalError(ShizuError):
    """The evaluation cannot run: no held-out data, nothing to compare, a missing extra."""
