"""Who wrote what: the store's authors as ``shizu stats`` and ``shizu build`` need them.

Plain SQL reads over the store's schema (``shizu.store.migrations``): who could be "me" when
nobody said (:func:`me_candidates`, the one ranking both commands show), author names and message
counts (to name "me" and people in mentions), and a fingerprint of what was ingested (so
``meta.json`` says which store a dataset came from).
"""

from __future__ import annotations

import hashlib

import msgspec

from shizu.store.database import MessageStore

TOP_CANDIDATES = 5  # authors offered as "this could be you" when "me" is unknown


class Candidate(msgspec.Struct, kw_only=True):
    """An author who could be the user, with the evidence shown to them."""

    id: str
    name: str  # latest display name, else handle, else id
    username: str
    messages: int
    dm_channels: int  # DM and group channels they wrote in


def me_candidates(store: MessageStore, limit: int = TOP_CANDIDATES) -> list[Candidate]:
    """Who could be the user: present in the most DMs/groups (an export's owner is in every one
    of them), then most messages. Bots are never candidates."""
    rows = store.db.execute(
        "SELECT m.author_id, m.n, coalesce(a.name, ''), coalesce(a.display_name, ''), coalesce(d.dms, 0)"
        " FROM (SELECT author_id, count(*) AS n FROM messages GROUP BY author_id) m"
        " LEFT JOIN authors a ON a.id = m.author_id"
        " LEFT JOIN (SELECT author_id, count(DISTINCT channel_id) AS dms FROM messages"
        "   WHERE channel_id IN (SELECT id FROM channels WHERE kind IN ('dm', 'group')) GROUP BY author_id) d"
        " ON d.author_id = m.author_id"
        " WHERE NOT coalesce(a.is_bot, 0) ORDER BY coalesce(d.dms, 0) DESC, m.n DESC, m.author_id LIMIT ?",
        (limit,),
    )
    return [
        Candidate(id=aid, name=display or handle or aid, username=handle, messages=n, dm_channels=dms)
        for aid, n, handle, display, dms in rows
    ]


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
