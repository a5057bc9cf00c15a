"""The workspace: one folder per persona holding ``shizu.toml`` and every stage's artifacts.

Layout::

    shizu.toml        settings (validated up front)
    shizu.db          the SQLite message store (and, later, bot logs)
    reports/          stats reports
    dataset/          the training set written by ``shizu build``
    runs/<name>/      trained adapters written by ``shizu train``
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

from shizu.config import Config, load_config, render_template
from shizu.errors import WorkspaceError

CONFIG_NAME = "shizu.toml"
WORKSPACE_ENV = "SHIZU_WORKSPACE"


class Workspace:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    @classmethod
    def find(cls, explicit: Path | None = None) -> Workspace:
        """The workspace given, else ``$SHIZU_WORKSPACE``, else the current directory."""
        root = explicit or (Path(os.environ[WORKSPACE_ENV]) if os.environ.get(WORKSPACE_ENV) else Path.cwd())
        ws = cls(root)
        if not ws.config_path.is_file():
            raise WorkspaceError(
                f"No Shizu workspace in {ws.root} (no {CONFIG_NAME})",
                hint="Run `shizu init` there first, or pass --workspace DIR.",
            )
        return ws

    @classmethod
    def create(cls, root: Path, *, name: str = "", me: list[str] | None = None, force: bool = False) -> Workspace:
        ws = cls(root)
        if ws.config_path.exists() and not force:
            raise WorkspaceError(
                f"{ws.config_path} already exists", hint="Edit it, or pass --force to overwrite it with the defaults."
            )
        ws.root.mkdir(parents=True, exist_ok=True)
        ws.config_path.write_text(render_template(name=name, me=me), encoding="utf-8")
        return ws

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def db_path(self) -> Path:
        return self.root / "shizu.db"

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    @property
    def dataset_dir(self) -> Path:
        return self.root / "dataset"

    @property
    def runs_dir(self) -> Path:
        return self.root / "runs"

    @property
    def cache_dir(self) -> Path:
        """Derived data kept to save time (encoded datasets); always safe to delete."""
        return self.root / "cache"

    @cached_property
    def config(self) -> Config:
        return load_config(self.config_path)

    def open_store(self):
        """Open (creating and migrating if needed) the workspace's message store."""
        from shizu.store import MessageStore

        return MessageStore(self.db_path)


def me_ids(ws: Workspace, store) -> list[str]:
    """The person's own user ids: ``[persona] me`` plus account ids read from data packages."""
    return sorted(set(ws.config.persona.me) | set(store.account_ids()))
