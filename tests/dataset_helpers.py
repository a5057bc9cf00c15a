"""Hand-made stores for the ``shizu build`` tests: a cast, a clock, and messages said one by one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from shizu.message import Author, Channel, Message

ME = Author(id="1", name="mika", display_name="Mika")
AL = Author(id="2", name="alice", display_name="Alice")
BO = Author(id="3", name="bob", display_name="Bob")
T0 = datetime(2024, 3, 2, 21, 0, tzinfo=UTC)


class Chat:
    """Messages with increasing ids, placed in minutes after ``T0``."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    def say(self, channel: Channel, author: Author, minute: float, content: str = "", **kw: Any) -> str:
        mid = str(1000 + len(self.messages))
        self.messages.append(Message(
            id=mid, channel=channel, author=author, timestamp=T0 + timedelta(minutes=minute), content=content, **kw,
        ))
        return mid
