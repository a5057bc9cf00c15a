"""The workspace: one folder per persona holding ``shizu.toml`` and every stage's artifacts.

Layout::

    shizu.toml        settings (validated up front)
    persona.md        what the person writes about themselves, shown in every prompt (optional)
    shizu.db          the SQLite message store (bot logs, the persona's memory)
    reports/          stats reports
    dataset/          the training set written by ``shizu build``
    runs/<name>/      trained adapters written by ``shizu train``
"""

from __future__ import annotations

import hashlib
import os
import re
from functools import cached_property
from pathlib import Path

from shizu.config import Config, load_config, render_template
from shizu.errors import WorkspaceError

CONFIG_NAME = "shizu.toml"
PROFILE_NAME = "persona.md"
WORKSPACE_ENV = "SHIZU_WORKSPACE"

PROFILE_TEMPLATE = """\
<!--
persona.md: what the persona knows about you, in your own words.

Write a few short lines after this comment: where you live, your pets, your work, what you like,
who your friends are. Shizu shows them in every prompt, when it builds the training set and when
the persona talks (shizu chat, the Discord bot, the API), so it answers "where do you live?" the
way you would.

- Everything between these comment markers is ignored: this file as it is adds nothing.
- It is shown as written (no PII redaction): write only what the persona may tell anyone.
- Keep it short: it counts against [build] max_context_tokens in every example.
- After a change, run `shizu build` and `shizu train` again so that the model learns with it.

For example:
  I live in Lyon, in a small flat with my cat Miso (a grey tabby).
  I work as a nurse, night shifts mostly.
  I love ramen, Studio Ghibli films and bouldering.
  My best friends are Ana and Ben.
-->
"""
_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)


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
        if not ws.profile_path.exists():  # the person's own words: never overwritten, not even with force
            ws.profile_path.write_text(PROFILE_TEMPLATE, encoding="utf-8")
        return ws

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def db_path(self) -> Path:
        return self.root / "shizu.db"

    @property
    def profile_path(self) -> Path:
        return self.root / PROFILE_NAME

    def profile(self) -> str:
        """What ``persona.md`` adds to every prompt (:func:`profile_text`); "" without the file."""
        try:
            return profile_text(self.profile_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return ""

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


def profile_text(raw: str) -> str:
    """The text of a ``persona.md``: its ``<!-- -->`` comments removed (an unclosed one runs to the
    end), trailing spaces and runs of blank lines tidied; "" when nothing else is written."""
    lines = [line.rstrip() for line in _COMMENT.sub("", raw).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def profile_sha256(profile: str) -> str | None:
    """The hash of a profile's text as prompts show it (``None`` for no profile), recorded in
    ``dataset/meta.json`` so that the runtime can tell when it changed since."""
    return hashlib.sha256(profile.encode()).hexdigest() if profile else None


def me_ids(ws: Workspace, store) -> list[str]:
    """The person's own user ids: ``[persona] me`` plus account ids read from data packages."""
    return sorted(set(ws.config.persona.me) | set(store.account_ids()))
