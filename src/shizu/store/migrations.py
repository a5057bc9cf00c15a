"""Numbered schema migrations of the workspace database; each runs once, in order.

Never edit a released migration: append a new one. ``PRAGMA user_version`` records the last applied.
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: the message store
    """
    CREATE TABLE sources (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL,
        format TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        ingested_at TEXT NOT NULL,
        messages_read INTEGER NOT NULL,
        messages_new INTEGER NOT NULL
    );
    CREATE TABLE channels (
        id TEXT PRIMARY KEY,
        platform TEXT NOT NULL,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        guild_id TEXT,
        guild_name TEXT,
        parent_id TEXT,
        parent_name TEXT
    );
    CREATE TABLE authors (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        display_name TEXT NOT NULL,
        is_bot INTEGER NOT NULL,
        last_ts INTEGER NOT NULL
    );
    CREATE TABLE messages (
        id TEXT PRIMARY KEY,
        platform TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        author_id TEXT NOT NULL,
        author_name TEXT NOT NULL,     -- display name at the time of the message
        ts INTEGER NOT NULL,           -- unix milliseconds, UTC
        content TEXT NOT NULL,
        reply_to TEXT,
        kind TEXT NOT NULL,
        is_system INTEGER NOT NULL,
        edited_ts INTEGER,
        extras BLOB,                   -- msgpack of attachments/embeds/stickers/emoji/reactions, NULL if none
        quality INTEGER NOT NULL,      -- 1: own-messages-only source (data package), 2: full export
        source_id INTEGER NOT NULL REFERENCES sources(id)
    ) WITHOUT ROWID;
    CREATE INDEX messages_channel_ts ON messages(channel_id, ts);
    CREATE INDEX messages_author ON messages(author_id);
    CREATE TABLE accounts (
        user_id TEXT PRIMARY KEY,      -- the person's own account, read from a data package
        platform TEXT NOT NULL,
        name TEXT NOT NULL,
        source TEXT NOT NULL
    );
    """,
]
