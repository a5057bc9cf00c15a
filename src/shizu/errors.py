"""One exception hierarchy for everything a user can cause; the CLI turns it into a message.

Library code raises these with a plain-language ``message`` and, where there is one, a ``hint``
that says what to do. Nothing below the CLI prints or exits.
"""

from __future__ import annotations


class ShizuError(Exception):
    """Base of every error Shizu reports to a user (no traceback is shown for these)."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n{self.hint}"


class ConfigError(ShizuError):
    """``shizu.toml`` is missing, unreadable or invalid; ``problems`` lists every issue at once."""

    def __init__(self, message: str, problems: list[str] | None = None, hint: str | None = None) -> None:
        self.problems = problems or []
        if self.problems:
            message = message + "\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(message, hint)


class WorkspaceError(ShizuError):
    """No workspace where one is needed, or a workspace artifact is missing."""


class IngestError(ShizuError):
    """An export file could not be read; names the file and the position."""

    def __init__(self, path: str, message: str, position: str | None = None, hint: str | None = None) -> None:
        self.path = path
        self.position = position
        where = f"{path}" + (f" ({position})" if position else "")
        super().__init__(f"{where}: {message}", hint)


class UnknownFormatError(IngestError):
    """No importer recognises a file's content."""


class DatasetError(ShizuError):
    """The training set cannot be built (for example, no examples survive the filters)."""


class MemoryStoreError(ShizuError):
    """The persona's memory does not hold what a command asked for (a place, any memory at all)."""


class TrainError(ShizuError):
    """Training cannot start or continue: bad dataset line, unusable template, missing base model."""


class PersonaError(ShizuError):
    """The persona cannot answer: no run to load, an unusable run folder, an unreachable server."""


class ExportError(ShizuError):
    """A run cannot be exported: unsupported architecture or adapter, missing files, a base mismatch."""


class EvalError(ShizuError):
    """The evaluation cannot run: no held-out data, nothing to compare, a missing extra."""


class ServeError(ShizuError):
    """``shizu serve`` cannot start as asked (for example: shared on the network without a key)."""


class DiscordError(ShizuError):
    """The bot cannot start: no token, a token Discord rejects, the Message Content intent off."""


class FeedbackError(ShizuError):
    """Feedback a command names is not there (an unknown id), or there is no store to hold any."""
