"""The blind test's API (the page is ``/blind``; the logic is :mod:`.blind`).

* ``POST /api/blind`` with ``{"voter": ID, "model": NAME (optional)}``: a new question: the
  context, replies ``a`` and ``b`` (the real one and the model's, in random order), and the scores
  so far. The model's reply is written the first time a context is asked (it waits in the model's
  queue like any reply). Limits (:mod:`.blind`) answer 429;
* ``GET /api/blind?voter=ID[&model=NAME]``: the scores alone (it changes nothing);
* ``POST /api/blind/<question>?voter=ID`` with ``{"choice": "a" | "b"}``: the answer; says which
  one was real and gives the new scores. The answer is kept as feedback on the model's reply
  (``shizu feedback list``; docs/feedback.md).

``voter`` is a random id the page keeps in the browser, so a visitor gets contexts they have not
answered yet and sees their own score next to everyone's.
"""

from __future__ import annotations

import contextlib
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from shizu.errors import ShizuError
from shizu.eval.heldout import HeldOutTurn
from shizu.frontends.web.auth import require_key
from shizu.frontends.web.blind import PREPARING, BlindTest, Full, QuestionError
from shizu.frontends.web.http_errors import ApiError
from shizu.frontends.web.models import ServedModel
from shizu.frontends.web.site import Site, site_of
from shizu.frontends.web.streaming import opened
from shizu.frontends.web.wire import message_json
from shizu.persona import Cleanup, Done

router = APIRouter(prefix="/api/blind", dependencies=[Depends(require_key)])

VOTER = r"^[A-Za-z0-9_-]{8,64}$"
MAX_TRIES = 5  # contexts tried before giving up when the model keeps writing nothing


class AnswerBody(BaseModel):
    choice: Literal["a", "b"]


class QuestionBody(BaseModel):
    voter: str = Field(pattern=VOTER)
    model: str | None = None


@router.get("")
def scores(request: Request, voter: Annotated[str, Query(pattern=VOTER)], model: str | None = None) -> dict[str, Any]:
    """The scores so far (everyone's and ``voter``'s): reading them stores and writes nothing."""
    site = site_of(request)
    served = site.model(model)
    return {"model": served.id, "persona": served.persona.name, **_scores(site.blind, served.id, voter)}


@router.post("")
async def question(body: QuestionBody, request: Request) -> dict[str, Any]:
    site = site_of(request)
    served = site.model(body.model)
    test = site.blind
    voter = body.voter
    if voter in test.preparing:
        raise ApiError(429, "Your previous question is still being prepared; wait for it", code="busy")
    if len(test.preparing) >= PREPARING:
        raise ApiError(429, f"{PREPARING} questions are being prepared for other visitors; try again in a moment", code="busy")
    try:
        test.make_room(voter)
    except Full as exc:
        raise ApiError(429, str(exc), code="blind_test_full") from None
    test.preparing.add(voter)
    try:
        return await _question(site, served, voter)
    finally:
        test.preparing.discard(voter)


async def _question(site: Site, served: ServedModel, voter: str) -> dict[str, Any]:
    test = site.blind
    try:
        turns = test.turns
    except ShizuError as exc:
        raise ApiError(404, str(exc), code="no_heldout") from None
    if not turns:
        raise ApiError(404, "No held-out persona reply in dataset/val.jsonl answers someone", code="no_heldout")
    tried: list[str] = []
    while len(tried) < MAX_TRIES and (turn := test.pick(served.id, voter, tried)) is not None:
        tried.append(turn.key)
        raw = test.reply(turn, served.id)
        if raw is None:
            raw = await _write(served, turn)
            test.save_reply(turn, served.id, raw)
        written = served.persona.cleaner.turn(raw, Cleanup())
        if written:
            break
    else:
        raise ApiError(503, f"The model wrote nothing for {len(tried)} contexts in a row; try again", kind="server_error")
    real = served.persona.cleaner.turn(turn.reply, Cleanup())
    try:
        question_id, real_first = test.ask(turn, served.id, voter)
    except Full as exc:
        raise ApiError(429, str(exc), code="blind_test_full") from None
    first, second = (real, written) if real_first else (written, real)
    local = site.media_file
    return {
        "id": question_id, "model": served.id, "persona": served.persona.name,
        "place": turn.place.label(), "time": turn.time.isoformat(),
        "context": [{"speaker": m.speaker, "text": m.text, "persona": m.is_persona} for m in turn.history],
        "a": [message_json(m, local) for m in first], "b": [message_json(m, local) for m in second],
        **_scores(test, served.id, voter),
    }


@router.post("/{question_id}")
def answer(question_id: str, body: AnswerBody, request: Request, voter: Annotated[str, Query(pattern=VOTER)]) -> dict[str, Any]:
    test = site_of(request).blind
    try:
        result = test.answer(question_id, body.choice)
    except QuestionError as exc:
        raise ApiError(409, str(exc), code="question_closed") from None
    served = next((m for m in site_of(request).models if m.id == result.model), None)
    if served is not None:  # a question about a model this server no longer serves is scored, not kept as feedback
        test.remember(result, voter, served.persona)
    return {"correct": result.correct, "real": "a" if result.real_first else "b", **_scores(test, result.model, voter)}


async def _write(served: ServedModel, turn: HeldOutTurn) -> str:
    """The model's turn for ``turn``'s context, as written (post-processed when shown)."""
    events = await opened(served.stream(turn.history, turn.place, participants=turn.participants, now=turn.time))
    async with contextlib.aclosing(events):
        async for event in events:
            if isinstance(event, Done):
                return event.reply.raw
    raise RuntimeError("the reply stream ended without its turn")


def _scores(test: BlindTest, model: str, voter: str) -> dict[str, Any]:
    return {"score": test.score(model).json(), "yours": test.score(model, voter).json()}
