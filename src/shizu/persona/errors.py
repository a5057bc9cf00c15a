"""The persona runtime's user errors (part of the :class:`shizu.errors.ShizuError` hierarchy)."""

from __future__ import annotations

from shizu.errors import ShizuError


class PersonaError(ShizuError):
    """The persona cannot answer: no run to load, an unusable run folder, an unreachable server."""
