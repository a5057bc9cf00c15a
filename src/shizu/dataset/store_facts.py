"""Read-only facts about the message store that the builder needs besides the messages themselves.

These are plain SQL reads over the store's schema (``shizu.store.migrations``): author names and
message counts (to name "me" and people in mentions), and a fingerprint of what was ingested (so
``meta.json`` says which store a dataset came from).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from shizu.store import MessageStore


@dataclass(frozen=True, slots=True)
class AuthorCount:
    id: str
    label: str  # latest display name, else handle
    handle: str
    messages: int


def top_authors(store: MessageStore, limit: int = 10) -> list[AuthorCount]:
    """The human authors with the most stored messages, most first."""
    rows = store.db.execute(
        "SELECT m.author_id, coalesce(a.display_name, ''), coalesce(a.name, ''), count(*) AS n"
        " FROM messages m LEFT JOIN authors a ON a.id = m.author_id WHERE NOT coalesce(a.is_bot, 0)"
        " GROUP BY m.author_id ORDER BY n DESC, m.author_id LIMIT ?",
        (limit,),
    )
    return [AuthorCount(id=r[0], label=r[1] or r[2] or r[0], handle=r[2], messages=r[3]) for r in rows]


def message_counts(store: MessageStore, author_ids: list[str]) -> dict[str, int]:
    """Stored messages per author id (ids without messages map to 0)."""
    return {
        author_id: store.db.execute("SELECT count(*) FROM messages WHERE author_id = ?", (author_id,)).fetchone()[0]
        for author_id in author_ids
    }


def latest_label(store: MessageStore, author_ids: list[str]) -> str:
    """The most recent display name (else handle) among ``author_ids``; empty if none is known."""
    marks = ",".join("?" * len(author_ids))
    row = store.db.execute(
        f"SELECT display_name, name FROM authors WHERE id IN ({marks})"
        " AND (display_name != '' OR name != '') ORDER BY last_ts DESC LIMIT 1",
        author_ids,
    ).fetchone()
    return (row[0] or row[1]) if row else ""


def known_names(store: MessageStore) -> dict[str, set[str]]:
    """Every name each author has been shown with: display names over time, and the handle."""
    names: dict[str, set[str]] = {}
    for author_id, name in store.db.execute("SELECT DISTINCT author_id, author_name FROM messages"):
        names.setdefault(author_id, set()).add(name)
    for author_id, handle, display in store.db.execute("SELECT id, name, display_name FROM authors"):
        names.setdefault(author_id, set()).update(n for n in (handle, display) if n)
    return names


def fingerprint(store: MessageStore) -> str:
    """A hash of the ingested sources (their content hashes) and the message count."""
    digest = hashlib.sha256()
    for (sha,) in store.db.execute("SELECT sha256 FROM sources ORDER BY sha256"):
        digest.update(sha.encode() + b"\n")
    digest.update(str(store.count()).encode())
    return digest.hexdigest()
