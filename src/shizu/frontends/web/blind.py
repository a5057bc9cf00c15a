"""The blind test: can people tell the persona's real reply from the model's?

Each question is one held-out persona turn (``dataset/val.jsonl``, read by
:func:`shizu.eval.heldout.read_heldout`: never trained on) that answers someone: its context, the
real reply and the model's reply to the same context, in random order. Both replies go through
the same post-processing (media tags become the real items) so nothing but the words differs.

Everything lives in the workspace database (migration 3): the model's reply to each context is
written once and reused for every visitor (``blind_replies``, keyed by the context's hash so a
rebuilt dataset gets new ones), and each question shown with its hidden order and, once
answered, whether the real reply was picked (``blind_questions``). The score is the share of
answers that picked the real reply: 50% means people cannot tell them apart.

Each answer is also feedback on the model's reply (:meth:`BlindTest.remember`, docs/feedback.md):
the reply is logged as an exchange of platform ``blind-test`` under the held-out turn's key, with
the verdict ``up`` when it was taken for the real one and ``down`` when it was spotted, so
``shizu feedback`` lists and forgets it and the preference stage learns from it. A run trained on
it records the turn, and neither ``shizu eval`` nor this test asks that run about it again.

What visitors can make the server store or generate is bounded (docs/security.md):

* the model writes at most one reply per held-out context (stored and reused for everyone), and
  one request tries at most ``MAX_TRIES`` contexts (:mod:`.blind_api`);
* a voter holds at most :data:`OPEN_PER_VOTER` unanswered questions: a new one forgets their oldest;
* a voter prepares one question at a time (:attr:`BlindTest.preparing`), and at most
  :data:`PREPARING` questions are prepared at once in all;
* unanswered questions are forgotten after :data:`OPEN_TTL_MS`; at most :data:`OPEN_TOTAL` are open
  at once and at most :data:`STORED_TOTAL` questions are kept in all: past either, new questions
  are refused (:class:`Full`, HTTP 429) until answers or time make room.
"""

from __future__ import annotations

import hashlib
import json
import random
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property

from shizu.chat.layout import Situation
from shizu.eval.heldout import HeldOutTurn, read_heldout
from shizu.frontends.answered import reply_context, sent_messages
from shizu.persona import Cleanup, Persona
from shizu.runs import heldout_trained
from shizu.store import to_ms
from shizu.store.blind import BlindTable
from shizu.store.exchanges import Exchange, ExchangeLog
from shizu.store.feedback import FeedbackTable
from shizu.workspace import Workspace

BLIND_TEST = "blind-test"  # the exchange log's platform and the feedback's source of blind-test answers


@dataclass(frozen=True)
class Score:
    """How many answers there were and how many picked the real reply."""

    answers: int
    correct: int

    @property
    def rate(self) -> float | None:
        """The share of answers that picked the real reply (``None`` before the first answer)."""
        return self.correct / self.answers if self.answers else None

    def json(self) -> dict[str, object]:
        return {"answers": self.answers, "correct": self.correct, "rate": self.rate}


@dataclass(frozen=True)
class Answer:
    """The outcome of one answered question."""

    question: str
    turn: str  # the held-out turn's key
    model: str
    correct: bool
    real_first: bool


OPEN_PER_VOTER = 3  # unanswered questions one voter holds; a new one forgets their oldest
OPEN_TOTAL = 1000  # unanswered questions of everyone together
OPEN_TTL_MS = 24 * 3600 * 1000  # an unanswered question is forgotten after a day
STORED_TOTAL = 100_000  # questions kept in all (answered or not): about 15 MB of the database
PREPARING = 4  # questions being prepared (their model reply possibly being written) at once


class QuestionError(Exception):
    """An answer to a question that does not exist or was already answered."""


class Full(Exception):
    """No new question now: a limit on what visitors can make the server store or write is reached."""


class BlindTest:
    """The held-out turns of a workspace, the model replies written for them, and the answers."""

    def __init__(self, ws: Workspace, rng: random.Random | None = None) -> None:
        self.ws = ws
        self.rng = rng or random.SystemRandom()
        self.preparing: set[str] = set()  # voters whose next question is being prepared
        self.table = BlindTable(ws.db_path)

    def make_room(self, voter: str) -> None:
        """Forget expired questions and ``voter``'s oldest open ones beyond the limit; raises
        :class:`Full` when another question cannot be stored now."""
        open_now, stored = self.table.forget_stale(voter, _now_ms() - OPEN_TTL_MS, OPEN_PER_VOTER - 1)
        if open_now >= OPEN_TOTAL:
            raise Full(f"{open_now} blind-test questions are waiting for an answer, the most this server keeps; try again later")
        if stored >= STORED_TOTAL:
            raise Full(f"The blind test holds {stored} questions, the most this server keeps")

    @cached_property
    def turns(self) -> list[HeldOutTurn]:
        """The held-out persona turns that answer someone (the message before them is not the persona's).

        Raises :class:`shizu.errors.EvalError` when ``val.jsonl`` is missing or empty.
        """
        _, turns = read_heldout(self.ws.dataset_dir / "val.jsonl", self.ws.config.build.timezone)
        return [turn for turn in turns if turn.history and not turn.history[-1].is_persona]

    def pick(self, model: str, voter: str, skip: Collection[str] = ()) -> HeldOutTurn | None:
        """A random turn ``voter`` has not answered for ``model`` (any, once all are), not in ``skip``
        nor one the run ``model`` was trained on (blind-test answers a preference stage learnt from)."""
        answered = self.table.answered(model, voter)
        trained = heldout_trained(self.ws.runs_dir / model)
        candidates = [t for t in self.turns if t.key not in skip and t.key not in trained]
        fresh = [t for t in candidates if t.key not in answered]
        pool = fresh or candidates
        return self.rng.choice(pool) if pool else None

    def reply(self, turn: HeldOutTurn, model: str) -> str | None:
        """The model's reply to ``turn``'s context, if it was written already."""
        return self.table.reply(turn.key, model, context_sha(turn))

    def save_reply(self, turn: HeldOutTurn, model: str, raw: str) -> None:
        self.table.save_reply(turn.key, model, context_sha(turn), raw, _now_ms())

    def ask(self, turn: HeldOutTurn, model: str, voter: str) -> tuple[str, bool]:
        """Record a question about ``turn`` (within the limits, :meth:`make_room`); returns its id
        and whether the real reply comes first."""
        self.make_room(voter)
        question = secrets.token_urlsafe(16)
        real_first = self.rng.random() < 0.5
        self.table.ask(question, turn.key, model, real_first, voter, _now_ms())
        return question, real_first

    def answer(self, question: str, choice: str) -> Answer:
        """Record that ``choice`` (``"a"``: the first reply, ``"b"``: the second) was picked as the real one."""
        found = self.table.question(question)
        if found is None:
            raise QuestionError("This question does not exist (the workspace database was reset?); take a new one")
        turn, model, real_first, answered = found
        if answered is not None:
            raise QuestionError("This question was already answered; take a new one")
        correct = (choice == "a") == real_first
        self.table.answer(question, choice, correct, _now_ms())
        return Answer(question=question, turn=turn, model=model, correct=correct, real_first=real_first)

    def remember(self, answer: Answer, voter: str, persona: Persona) -> bool:
        """Store ``answer`` as ``voter``'s feedback on the reply ``persona`` (the run ``answer.model``)
        wrote; ``False`` when that reply or its turn is gone (a rebuilt dataset) or it was stored already."""
        turn = next((t for t in self.turns if t.key == answer.turn), None)
        raw = self.reply(turn, answer.model) if turn is not None else None
        written = persona.cleaner.turn(raw, Cleanup()) if raw is not None else []
        if turn is None or not written:
            return False
        trigger = next((m for m in reversed(turn.history) if not m.is_persona), turn.history[-1])
        now = datetime.now(UTC)
        exchange = Exchange(
            platform=BLIND_TEST, channel_id=turn.key, place=f"{turn.place.label()} (blind test)",
            trigger_id=f"{BLIND_TEST}-{answer.question}", trigger_author=trigger.speaker, trigger_text=trigger.text, trigger_time=trigger.time,
            context_ids=(), persona=persona.name,
            messages=sent_messages(f"{BLIND_TEST}-{answer.question}", written),
            backend=answer.model, stop=BLIND_TEST, queued_ms=0, latency_ms=0, created=now,
            context=reply_context(turn.history, Situation(persona.name, turn.place, turn.time, turn.participants)),
        )
        with self.ws.open_store() as store:
            exchange_id = ExchangeLog(store).record(exchange)
            return FeedbackTable(store, self.ws.config.privacy.opt_out).add(
                exchange_id, "down" if answer.correct else "up", source=BLIND_TEST, giver=f"web:{voter}", giver_name=f"blind-test voter {voter[:8]}", at=now,
            )

    def score(self, model: str, voter: str | None = None) -> Score:
        """Answers about ``model`` so far: everyone's, or only ``voter``'s."""
        answers, correct = self.table.score(model, voter)
        return Score(answers=answers, correct=correct)


def context_sha(turn: HeldOutTurn) -> str:
    """A hash of exactly what the model is asked to answer."""
    return hashlib.sha256(json.dumps(turn.context, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _now_ms() -> int:
    return to_ms(datetime.now(UTC))
