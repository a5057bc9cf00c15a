"""The workspace's SQLite store (``shizu.db``): messages, and the features' own tables.

* :mod:`~shizu.store.database`: :class:`MessageStore`, the connection, migrations, one transaction
  per source file, reading messages back;
* :mod:`~shizu.store.rows`: messages as rows (the worker process builds them without a database);
* :mod:`~shizu.store.migrations`: the schema, one numbered step at a time;
* query modules, one per feature that reads or writes its own tables: :mod:`~shizu.store.authors`
  (who wrote what: "me" candidates, names, counts), :mod:`~shizu.store.activity` (``shizu stats``),
  :mod:`~shizu.store.exchanges` (the bot's exchange log and the collection),
  :mod:`~shizu.store.feedback` (verdicts on the persona's replies, for preference training),
  :mod:`~shizu.store.memories` (the persona's memory: texts, FTS5 postings, embeddings).

All SQL against the store lives in this package.
"""

from shizu.store.database import MessageStore
from shizu.store.rows import SourceRows, WriteCounts, file_sha256, from_ms, to_ms

__all__ = ["MessageStore", "SourceRows", "WriteCounts", "file_sha256", "from_ms", "to_ms"]
