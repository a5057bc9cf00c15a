"""``shizu feedback list|export|forget``: the feedback on the persona's replies, chosen and shown.

Over :class:`shizu.store.feedback.FeedbackTable`. ``list`` prints a table (texts as plain text,
never as rich markup) or, with ``--json``, the items as ``export`` writes them: one JSON object
per item with the conversation answered and the reply judged (:func:`item_json`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table
from rich.text import Text

from shizu.errors import FeedbackError
from shizu.store.exchanges import Exchange, ReplyContext
from shizu.store.feedback import SOURCES, FeedbackItem, FeedbackTable, Source
from shizu.workspace import Workspace

SHOWN_CHARS = 60  # of a reply, in the table


@contextmanager
def open_feedback(ws: Workspace) -> Iterator[FeedbackTable]:
    """The feedback of ``ws`` (the people in ``[privacy] opt_out`` left out); a
    :class:`~shizu.errors.FeedbackError` when the workspace has no store yet."""
    if not ws.db_path.is_file():
        raise FeedbackError(f"No message store in {ws.root}", hint="Feedback is collected by `shizu discord` and `shizu serve` (docs/feedback.md).")
    with ws.open_store() as store:
        yield FeedbackTable(store, ws.config.privacy.opt_out)


def source_of(name: str | None) -> Source | None:
    """``--source`` checked: one of :data:`~shizu.store.feedback.SOURCES`, or ``None``."""
    if name is not None and name not in SOURCES:
        raise FeedbackError(f"Unknown feedback source {name!r}", hint=f"Choose one of: {', '.join(SOURCES)}.")
    return cast(Source | None, name)


def require_known(table: FeedbackTable, ids: Sequence[int]) -> None:
    """A :class:`~shizu.errors.FeedbackError` naming those of ``ids`` that are not stored."""
    missing = sorted(set(ids) - table.known(ids))
    if missing:
        raise FeedbackError(
            f"No feedback with id {', '.join(map(str, missing))}: nothing was forgotten", hint="`shizu feedback list` shows the ids."
        )


def item_json(item: FeedbackItem) -> dict[str, Any]:
    """One item as ``--json`` and ``export`` write it (times in UTC, ISO 8601)."""
    return {
        "id": item.id, "time": item.created.isoformat(), "source": item.source, "giver": item.giver, "giver_name": item.giver_name,
        "verdict": item.verdict, "emoji": item.emoji, "exchange": _exchange_json(item.exchange),
        "retake": None if item.retake is None else _exchange_json(item.retake),
    }


def export_lines(items: Sequence[FeedbackItem]) -> str:
    """The items as JSON Lines."""
    return "".join(json.dumps(item_json(item), ensure_ascii=False) + "\n" for item in items)


def print_feedback(console: Console, items: Sequence[FeedbackItem], tz: ZoneInfo) -> None:
    """The items as a table (oldest first: who, verdict and source, the reply and where), then how many."""
    if items:
        table = Table(show_edge=False, pad_edge=False)
        for column in ("id", "when", "from", "verdict", "reply"):
            table.add_column(column, justify="right" if column == "id" else "left", overflow="fold")
        for item in items:
            verdict = Text(f"{item.verdict} {item.emoji}".strip() + "\n")
            verdict.append(item.source, style="dim")
            reply = Text(_shown(item.exchange) + "\n")
            reply.append(item.exchange.place, style="dim")
            table.add_row(str(item.id), _when(item.created, tz), Text(f"{item.giver_name}\n{item.giver}"), verdict, reply)
        console.print(table)
    console.print(f"{len(items)} feedback item{'' if len(items) == 1 else 's'}", markup=False, highlight=False)


def _exchange_json(exchange: Exchange) -> dict[str, Any]:
    return {
        "id": exchange.id, "platform": exchange.platform, "place": exchange.place, "backend": exchange.backend,
        "time": exchange.created.isoformat(), "context": _context_json(exchange.context), "reply": list(exchange.texts),
    }


def _context_json(context: ReplyContext | None) -> dict[str, Any] | None:
    if context is None:
        return None
    return {
        "place": context.place.fields(), "time": context.time.isoformat(), "participants": list(context.participants),
        "messages": [{"speaker": m.speaker, "text": m.text, "time": m.time.isoformat(), "persona": m.is_persona} for m in context.messages],
    }


def _shown(exchange: Exchange) -> str:
    text = " / ".join(exchange.texts)
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS - 1] + "…"


def _when(time: datetime, tz: ZoneInfo) -> str:
    return time.astimezone(tz).strftime("%Y-%m-%d %H:%M")
