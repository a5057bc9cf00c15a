"""The export stage's user errors (part of the :class:`shizu.errors.ShizuError` hierarchy)."""

from __future__ import annotations

from shizu.errors import ShizuError


class ExportError(ShizuError):
    """A run cannot be exported: unsupported architecture or adapter, missing files, a base mismatch."""
