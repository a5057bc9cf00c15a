"""The training stage's user errors (part of the :class:`shizu.errors.ShizuError` hierarchy)."""

from __future__ import annotations

from shizu.errors import ShizuError


class TrainError(ShizuError):
    """Training cannot start or continue: bad dataset line, unusable template, missing base model."""
