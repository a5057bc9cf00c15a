"""Telegram Desktop variants seen in real exports: negative ids, polls, a damaged head, stripped ids."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shizu.errors import IngestError
from shizu.ingest.base import FileReport
from shizu.ingest.pipeline import discover
from shizu.ingest.source import Source
from shizu.ingest.telegram import TelegramImporter


def message(mid: int, text: object = "hi", **extra: object) -> dict:
    return {"id": mid, "type": "message", "date": "2021-03-01T10:00:00", "date_unixtime": str(1614592800 + abs(mid) % 1000),
            "from": "Ana", "from_id": "user5", "text": text, "text_entities": [], **extra}


def chat(messages: list[dict], **fields: object) -> dict:
    return {"name": "Old group", "type": "private_supergroup", "id": 1500, "messages": messages, **fields}


def read(path: Path) -> tuple[list, FileReport]:
    source = Source(path)
    report = FileReport(source)
    return list(TelegramImporter().read(source, report)), report


def test_messages_carried_over_from_a_group_keep_their_negative_ids(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    path.write_text(json.dumps(chat([
        message(-999678449, "from the old group"),
        message(-999678448, "a reply", reply_to_message_id=-999678449),
        message(999678449, "same number, positive"),
    ])), encoding="utf-8")
    messages, report = read(path)
    assert [m.id for m in messages] == ["tg:1500:n999678449", "tg:1500:n999678448", "tg:1500:999678449"]
    assert messages[1].reply_to == "tg:1500:n999678449"
    assert not report.skipped


def test_a_poll_keeps_its_question_and_options(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    poll = {"question": "Pizza or sushi?", "closed": False, "total_voters": 3,
            "answers": [{"text": "Pizza", "voters": 2, "chosen": True}, {"text": "Sushi", "voters": 1, "chosen": False}]}
    path.write_text(json.dumps(chat([message(7, "", poll=poll)])), encoding="utf-8")
    (msg,), _ = read(path)
    assert msg.content == "Pizza or sushi?\n- Pizza\n- Sushi"


def test_a_telegram_export_with_a_missing_comma_reaches_the_parser(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    text = json.dumps(chat([message(1), message(2)]), indent=1).replace('"name": "Old group",', '"name": "Old group"', 1)
    path.write_text(text, encoding="utf-8")
    found, ignored, _ = discover([tmp_path])
    assert [s.filename for s, _ in found] == ["result.json"] and ignored == []
    with pytest.raises(IngestError) as caught:
        read(path)
    assert caught.value.position == "line 3, column 2"
    assert "is not valid JSON" in caught.value.message and "Export the chat again from Telegram Desktop" in (caught.value.hint or "")


def test_an_export_stripped_of_its_ids_says_what_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    stripped = chat([message(1), message(2)])
    del stripped["id"]
    path.write_text(json.dumps(stripped), encoding="utf-8")
    with pytest.raises(IngestError, match=r"looks like a Telegram Desktop export but its chats have no `id`"):
        read(path)
