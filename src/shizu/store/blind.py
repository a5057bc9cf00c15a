"""The blind test's tables (migration 3): the model replies written for held-out contexts, and the questions.

Plain queries for :class:`shizu.frontends.web.blind.BlindTest` (which holds the rules: limits,
randomness, which turns) and for ``shizu eval`` (people's answers beside the detector's).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from sqlite3 import Connection

from shizu.store.database import MessageStore


class BlindTable:
    """One workspace's blind-test rows; every method is one short transaction."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path

    def forget_stale(self, voter: str, older_than_ms: int, keep_open: int) -> tuple[int, int]:
        """Drop unanswered questions older than ``older_than_ms`` and ``voter``'s beyond their
        newest ``keep_open``; return (questions still open, questions stored)."""
        with self._db() as db:
            db.execute("DELETE FROM blind_questions WHERE answer IS NULL AND asked_ts < ?", (older_than_ms,))
            db.execute(
                "DELETE FROM blind_questions WHERE id IN (SELECT id FROM blind_questions WHERE voter = ? AND answer IS NULL"
                " ORDER BY asked_ts DESC, id LIMIT -1 OFFSET ?)",
                (voter, keep_open),
            )
            open_now, stored = db.execute("SELECT coalesce(sum(answer IS NULL), 0), count(*) FROM blind_questions").fetchone()
        return int(open_now), int(stored)

    def answered(self, model: str, voter: str) -> set[str]:
        """The held-out turns ``voter`` already answered about ``model``."""
        with self._db() as db:
            rows = db.execute(
                "SELECT example_id FROM blind_questions WHERE model = ? AND voter = ? AND answer IS NOT NULL", (model, voter)
            ).fetchall()
        return {row[0] for row in rows}

    def reply(self, example_id: str, model: str, context_sha: str) -> str | None:
        with self._db() as db:
            row = db.execute(
                "SELECT raw FROM blind_replies WHERE example_id = ? AND model = ? AND context_sha = ?", (example_id, model, context_sha)
            ).fetchone()
        return None if row is None else str(row[0])

    def save_reply(self, example_id: str, model: str, context_sha: str, raw: str, now_ms: int) -> None:
        with self._db() as db:
            db.execute(
                "INSERT OR REPLACE INTO blind_replies (example_id, model, context_sha, raw, created_ts) VALUES (?, ?, ?, ?, ?)",
                (example_id, model, context_sha, raw, now_ms),
            )

    def ask(self, question: str, example_id: str, model: str, real_first: bool, voter: str, now_ms: int) -> None:
        with self._db() as db:
            db.execute(
                "INSERT INTO blind_questions (id, example_id, model, real_first, voter, asked_ts) VALUES (?, ?, ?, ?, ?, ?)",
                (question, example_id, model, int(real_first), voter, now_ms),
            )

    def question(self, question: str) -> tuple[str, str, bool, str | None] | None:
        """(held-out turn, model, real shown first, answer so far) of a question, or ``None``."""
        with self._db() as db:
            row = db.execute("SELECT example_id, model, real_first, answer FROM blind_questions WHERE id = ?", (question,)).fetchone()
        return None if row is None else (str(row[0]), str(row[1]), bool(row[2]), row[3])

    def answer(self, question: str, choice: str, correct: bool, now_ms: int) -> None:
        with self._db() as db:
            db.execute(
                "UPDATE blind_questions SET answer = ?, correct = ?, answered_ts = ? WHERE id = ?", (choice, int(correct), now_ms, question)
            )

    def score(self, model: str, voter: str | None = None) -> tuple[int, int]:
        """(answers, answers that picked the real reply) about ``model``: everyone's, or ``voter``'s."""
        sql = "SELECT count(*), coalesce(sum(correct), 0) FROM blind_questions WHERE model = ? AND answer IS NOT NULL"
        args: tuple[str, ...] = (model,)
        if voter is not None:
            sql, args = sql + " AND voter = ?", (model, voter)
        with self._db() as db:
            answers, correct = db.execute(sql, args).fetchone()
        return int(answers), int(correct)

    def answers_by_model(self) -> dict[str, list[bool]]:
        """Every answer so far, per model: whether the real reply was picked (for ``shizu eval``)."""
        with self._db() as db:
            rows = db.execute("SELECT model, correct FROM blind_questions WHERE answer IS NOT NULL ORDER BY model, answered_ts").fetchall()
        out: dict[str, list[bool]] = {}
        for model, correct in rows:
            out.setdefault(str(model), []).append(bool(correct))
        return out

    @contextmanager
    def _db(self) -> Iterator[Connection]:
        with MessageStore(self.db_path) as store, store.transaction() as db:
            yield db
