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
    # 2: what the Discord bot said (the exchange log) and the starred exchanges (the collection)
    """
    CREATE TABLE exchanges (
        id INTEGER PRIMARY KEY,
        platform TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        place TEXT NOT NULL,           -- where, for people: "#general (Cozy)", "a direct message"
        trigger_id TEXT NOT NULL,      -- the message answered
        trigger_author TEXT NOT NULL,  -- its author's display name
        trigger_text TEXT NOT NULL,
        trigger_ts INTEGER NOT NULL,   -- unix milliseconds, UTC
        context_ids TEXT NOT NULL,     -- JSON list of the message ids the prompt was built from
        persona TEXT NOT NULL,
        reply TEXT NOT NULL,           -- JSON list of the messages sent: ids, text, media
        backend TEXT NOT NULL,         -- what generated the reply (model, adapter, device or server)
        stop TEXT NOT NULL,            -- why the turn ended (end-of-turn, other-speaker, end)
        queued_ms INTEGER NOT NULL,    -- time waiting for the model
        latency_ms INTEGER NOT NULL,   -- from the start of the generation to the last message sent
        created_ts INTEGER NOT NULL
    );
    CREATE INDEX exchanges_channel ON exchanges(channel_id, created_ts);
    CREATE TABLE exchange_messages (
        message_id TEXT PRIMARY KEY,   -- a message the bot sent
        exchange_id INTEGER NOT NULL REFERENCES exchanges(id),
        text TEXT NOT NULL             -- the persona's message as generated (media as catalogue URLs)
    ) WITHOUT ROWID;
    CREATE TABLE collection (
        exchange_id INTEGER PRIMARY KEY REFERENCES exchanges(id),
        starred_by TEXT NOT NULL,      -- user id of the first person who starred it
        starred_by_name TEXT NOT NULL,
        starred_ts INTEGER NOT NULL
    );
    """,
    # 3: the blind test of `shizu serve`: the model's reply to each held-out context, and every question asked
    """
    CREATE TABLE blind_replies (
        example_id TEXT NOT NULL,      -- the held-out example: its "id" in dataset/val.jsonl
        model TEXT NOT NULL,           -- the served model (run name) that wrote the reply
        context_sha TEXT NOT NULL,     -- sha256 of the example's messages: a rebuilt dataset gets new replies
        raw TEXT NOT NULL,             -- the model's turn as written, post-processed when shown
        created_ts INTEGER NOT NULL,   -- unix milliseconds, UTC
        PRIMARY KEY (example_id, model, context_sha)
    ) WITHOUT ROWID;
    CREATE TABLE blind_questions (
        id TEXT PRIMARY KEY,           -- a random token: the page answers with it
        example_id TEXT NOT NULL,
        model TEXT NOT NULL,
        real_first INTEGER NOT NULL,   -- 1: the real reply was shown first (as A)
        voter TEXT NOT NULL,           -- the browser's random id (no account, no address)
        asked_ts INTEGER NOT NULL,
        answer TEXT,                   -- "a" or "b" once answered
        correct INTEGER,               -- 1: the real reply was picked
        answered_ts INTEGER
    ) WITHOUT ROWID;
    CREATE INDEX blind_questions_model ON blind_questions(model, correct);
    """,
    # 4: secondary indexes of ``messages`` dropped for a bulk load and not yet rebuilt (see MessageStore.bulk_load)
    """
    CREATE TABLE pending_indexes (
        name TEXT PRIMARY KEY,
        sql TEXT NOT NULL              -- the CREATE INDEX statement that rebuilds it
    ) WITHOUT ROWID;
    """,
    # 5: the persona's memory (shizu.memory): past exchanges, their BM25 index (FTS5) and embeddings
    """
    CREATE TABLE memory_places (
        id INTEGER PRIMARY KEY,
        channel_key TEXT NOT NULL UNIQUE,  -- platform and channel id: what scope "channel" compares
        server_key TEXT NOT NULL,          -- what scope "server" compares: a server channel's server, else channel_key
        place BLOB NOT NULL                -- msgpack: the ids behind the keys and how the place is shown
    );
    CREATE TABLE memories (
        id INTEGER PRIMARY KEY,            -- also the rowid in memory_fts and memory_vectors
        key TEXT NOT NULL UNIQUE,          -- the exchange's stable id (its persona turn's first message id)
        place_id INTEGER NOT NULL REFERENCES memory_places(id),
        ts INTEGER NOT NULL,               -- when the persona answered, unix milliseconds, UTC
        tokens INTEGER NOT NULL,           -- search terms in the exchange (BM25's document length)
        bits BLOB                          -- sign bits of the centred embedding (48 bytes), NULL until embedded
    );
    CREATE TABLE memory_texts (
        id INTEGER PRIMARY KEY REFERENCES memories(id),
        origin TEXT NOT NULL,              -- "history", "live" (the person's own new message) or "bot" (a generated reply)
        body BLOB NOT NULL                 -- msgpack: the turns answered and the reply, as given (PII already redacted)
    );
    CREATE TABLE memory_people (
        person TEXT NOT NULL,              -- the user id of someone the memory answered (opt-outs are enforced on it)
        memory_id INTEGER NOT NULL REFERENCES memories(id),
        PRIMARY KEY (person, memory_id)
    ) WITHOUT ROWID;
    CREATE INDEX memory_people_memory ON memory_people(memory_id);
    CREATE TABLE memory_vectors (
        id INTEGER PRIMARY KEY REFERENCES memories(id),
        vector BLOB NOT NULL               -- the embedding quantized to int8 (384 bytes), for exact rescoring
    );
    CREATE TABLE memory_terms (
        term TEXT PRIMARY KEY,
        df INTEGER NOT NULL                -- memories containing the term (BM25's document frequency)
    ) WITHOUT ROWID;
    CREATE TABLE memory_meta (
        name TEXT PRIMARY KEY,             -- "generation" (bumped by every change), "center", "center_rows"
        value BLOB NOT NULL
    ) WITHOUT ROWID;
    CREATE VIRTUAL TABLE memory_fts USING fts5(terms, content='', tokenize='ascii', detail=full);
    """,
    # 6: what each reply answered (for preference training) and live feedback on the replies (docs/feedback.md)
    """
    ALTER TABLE exchanges ADD COLUMN context TEXT;  -- JSON: place, time, participants and messages the reply answered (NULL before 6)
    CREATE TABLE feedback (
        id INTEGER PRIMARY KEY,
        created_ts INTEGER NOT NULL,   -- unix milliseconds, UTC
        source TEXT NOT NULL,          -- "discord-reaction", "web" (the page's thumbs) or "reroll" (another take)
        giver TEXT NOT NULL,           -- a Discord user id, or "web:" and the page's voter id
        giver_name TEXT NOT NULL,
        exchange_id INTEGER NOT NULL REFERENCES exchanges(id),  -- the reply judged
        verdict TEXT NOT NULL,         -- "up", "down", or "rejected" (discarded for another take)
        emoji TEXT NOT NULL,           -- the reaction ("" when none)
        retake_id INTEGER REFERENCES exchanges(id)  -- for a reroll: the take that replaced the reply
    );
    CREATE UNIQUE INDEX feedback_once ON feedback(exchange_id, giver, source, verdict);
    CREATE INDEX feedback_giver ON feedback(giver);
    """,
]
