"""Hand-made stores for the ``shizu build`` tests: a cast, a clock, and messages said one by one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from shizu.message import Author, Channel, Message
from shizu.workspace import Workspace

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


ZED = Author(id="4", name="zed", display_name="Zed")
DM_AL = Channel(id="10", name="alice", kind="dm")
DM_BO = Channel(id="11", name="bob", kind="dm")
GENERAL = Channel(id="20", name="general", kind="guild-text", guild_id="5", guild_name="Cozy")
THREAD = Channel(id="21", name="plans", kind="thread", guild_id="5", guild_name="Cozy", parent_id="20", parent_name="general")
DAY = 24 * 60


def story() -> Chat:
    """Mika over four days: a secret told in a DM with Alice (1001), a cat and Zed's hobby in #general
    of Cozy (1003, 1005), then the secret asked for in a DM with Bob, in a thread of Cozy and again by
    Alice, and the cat asked about in #general."""
    chat = Chat()
    chat.say(DM_AL, AL, 0, "whats your locker code")
    chat.say(DM_AL, ME, 1, "its 4711 dont tell anyone")
    chat.say(GENERAL, BO, 60, "did you adopt that cat")
    chat.say(GENERAL, ME, 61, "yes her name is miso, a tabby")
    chat.say(GENERAL, ZED, 62, "my hobby is falconry btw")
    chat.say(GENERAL, ME, 63, "falconry sounds wild")
    chat.say(DM_BO, BO, DAY, "whats the locker code again")
    chat.say(DM_BO, ME, DAY + 1, "no idea")
    chat.say(GENERAL, AL, 2 * DAY, "how is miso the cat doing")
    chat.say(GENERAL, ME, 2 * DAY + 1, "miso is great, she sleeps all day")
    chat.say(GENERAL, AL, 2 * DAY + 2, "any falconry news")
    chat.say(GENERAL, ME, 2 * DAY + 3, "nope")
    chat.say(THREAD, BO, 2 * DAY + 60, "locker code?")
    chat.say(THREAD, ME, 2 * DAY + 61, "ask alice")
    chat.say(DM_AL, AL, 3 * DAY, "remind me the locker code")
    chat.say(DM_AL, ME, 3 * DAY + 1, "4711 lol")
    return chat


def story_workspace(root: Path, settings: str = "", chat: Chat | None = None) -> Workspace:
    """A workspace holding :func:`story` (or ``chat``), PII redacted, a fifth of it held out, the
    memory on; ``settings``: more of shizu.toml (lines of [build], then other tables; a
    ``[memory]`` table there may set ``enabled = false``)."""
    if "[memory]\n" not in settings:
        settings += "[memory]\n"
    if "enabled = " not in settings.split("[memory]\n", 1)[1]:
        settings = settings.replace("[memory]\n", "[memory]\nenabled = true\n", 1)
    ws = Workspace.create(root)
    ws.config_path.write_text('[persona]\nme = ["1"]\n[build]\nval_fraction = 0.2\n' + settings, encoding="utf-8")
    with ws.open_store() as store:
        store.write_source((chat or story()).messages, path="t.json", format="test", sha256="abc", quality=2)
    return ws
