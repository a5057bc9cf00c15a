"""The Discord bot's parts that need no Discord: triggers, cooldowns, the queue, outgoing messages,
owner commands, the token and the [discord] settings."""

from __future__ import annotations

import asyncio
import random
import tomllib
from pathlib import Path

import pytest

from shizu.chat.layout import Place
from shizu.chat.media import MediaItem
from shizu.config import ConfigError, DiscordConfig, parse_config, render_template
from shizu.errors import DiscordError
from shizu.frontends.discord.commands import Status, format_status, parse_command
from shizu.frontends.discord.context import is_command
from shizu.frontends.discord.launch import token_from_env
from shizu.frontends.discord.outgoing import MAX_FILES, pause_before, prepare, resolve_emoji, split_message
from shizu.frontends.discord.queue import Request, RequestQueue, Retake
from shizu.frontends.discord.triggers import Cooldowns, Seen, Triggers
from shizu.persona.postprocess import OutMessage


def seen(text: str = "hello", *, channel: str = "10", author: str = "1", dm: bool = False, **flags: object) -> Seen:
    values = dict(parent_id=None, automated=False, mentions_me=False, replies_to_me=False)
    values.update(flags)
    return Seen(author_id=author, channel_id=channel, is_dm=dm, text=text, **values)  # type: ignore[arg-type]


# -- triggers ----------------------------------------------------------------------------


def test_triggers_answer_dms_mentions_replies_and_names_as_words() -> None:
    triggers = Triggers(DiscordConfig(), ["Mika", "mimi chan"], ignored_users=[])
    assert triggers.reason(seen(dm=True)) == "dm"
    assert triggers.reason(seen(mentions_me=True)) == "mention"
    assert triggers.reason(seen(replies_to_me=True)) == "reply"
    assert triggers.reason(seen("what do you think, MIKA?")) == "name"
    assert triggers.reason(seen("hey Mimi Chan")) == "name"
    assert triggers.reason(seen("mikado is a game")) is None
    assert triggers.reason(seen("hello all")) is None


def test_triggers_ignore_bots_deny_lists_and_opted_out_people() -> None:
    config = DiscordConfig(deny_channels=["20"], deny_users=["7"])
    triggers = Triggers(config, ["Mika"], ignored_users=["7", "8"])
    assert triggers.reason(seen(dm=True, automated=True)) is None
    assert triggers.reason(seen(dm=True, author="7")) is None
    assert triggers.reason(seen(dm=True, author="8")) is None
    assert triggers.reason(seen(mentions_me=True, channel="20")) is None
    assert triggers.reason(seen(mentions_me=True, channel="21", parent_id="20")) is None  # a thread of a denied channel
    assert triggers.reason(seen(mentions_me=True, channel="21", parent_id="22")) == "mention"


def test_chime_in_only_in_allowed_channels_with_the_configured_chance() -> None:
    config = DiscordConfig(chime_in_channels=["30"], chime_in_probability=0.25)
    triggers = Triggers(config, ["Mika"], ignored_users=[], rng=random.Random(3))
    picks = [triggers.reason(seen("just chatting", channel="30")) for _ in range(2000)]
    expected = random.Random(3)
    assert picks == ["chime-in" if expected.random() < 0.25 else None for _ in range(2000)]
    assert 400 < picks.count("chime-in") < 600
    assert triggers.reason(seen("just chatting", channel="31")) is None
    always = Triggers(DiscordConfig(chime_in_channels=["30"], chime_in_probability=1), ["Mika"], ignored_users=[])
    assert always.reason(seen("in a thread", channel="32", parent_id="30")) == "chime-in"
    never = Triggers(DiscordConfig(chime_in_channels=["30"], chime_in_probability=0), ["Mika"], ignored_users=[])
    assert all(never.reason(seen("x", channel="30")) is None for _ in range(100))


def test_cooldowns_hold_per_channel_and_per_person_then_expire() -> None:
    now = [0.0]
    cooldowns = Cooldowns(channel_s=10, user_s=4, clock=lambda: now[0])
    assert cooldowns.allows("c1", "u1")
    cooldowns.start("c1", "u1")
    assert not cooldowns.allows("c1", "u2")  # same channel
    assert not cooldowns.allows("c2", "u1")  # same person
    assert cooldowns.allows("c2", "u2")
    now[0] = 4.0
    assert cooldowns.allows("c2", "u1") and not cooldowns.allows("c1", "u2")
    now[0] = 10.0
    assert cooldowns.allows("c1", "u1")


def test_cooldown_tables_forget_expired_windows() -> None:
    now = [0.0]
    cooldowns = Cooldowns(channel_s=1, user_s=1, clock=lambda: now[0])
    for i in range(10_000):
        now[0] = i * 0.01
        cooldowns.start(f"c{i}", f"u{i}")
    assert len(cooldowns) <= 512


# -- the queue ---------------------------------------------------------------------------


def request(channel: str, *, dm: bool = False, trigger: object = None) -> Request:
    return Request(channel_id=channel, is_dm=dm, reason="dm" if dm else "mention", trigger=trigger or channel)


def test_the_queue_keeps_one_request_per_channel_answering_the_latest_trigger() -> None:
    queue = RequestQueue(capacity=3)
    assert queue.put(request("a", trigger="first")) is None
    assert queue.put(request("b")) is None
    assert queue.put(request("a", trigger="second")) is None
    assert len(queue) == 2

    async def drain() -> list[object]:
        return [(await queue.get()).trigger for _ in range(2)]

    assert asyncio.run(drain()) == ["second", "b"]


def test_a_full_queue_drops_the_oldest_server_request_and_keeps_dms() -> None:
    queue = RequestQueue(capacity=3)
    queue.put(request("dm1", dm=True))
    queue.put(request("s1"))
    queue.put(request("s2"))
    dropped = queue.put(request("dm2", dm=True))
    assert dropped is not None and dropped.channel_id == "s1"
    dropped = queue.put(request("dm3", dm=True))
    assert dropped is not None and dropped.channel_id == "s2"
    newcomer = request("s3")
    assert queue.put(newcomer) is newcomer  # only DMs wait: the server request is the one dropped
    dropped = queue.put(request("dm4", dm=True))
    assert dropped is not None and dropped.channel_id == "dm1"
    assert (len(queue), queue.peak) == (3, 3)
    assert queue.clear() == 3 and len(queue) == 0


def test_another_take_waits_in_a_slot_of_its_own_one_per_exchange() -> None:
    queue = RequestQueue(capacity=4)
    queue.put(request("a", trigger="question"))
    again = Request(channel_id="a", is_dm=False, reason="again", trigger="old question", retake=Retake(7, ("1", "Owner")))
    assert queue.put(again) is None
    assert queue.put(request("a", trigger="newer question")) is None  # merged with the channel's request, not the take
    assert queue.put(Request(channel_id="a", is_dm=False, reason="again", trigger="old question", retake=Retake(7, ("1", "Owner")))) is None
    assert len(queue) == 2

    async def drain() -> list[tuple[object, Retake | None]]:
        return [((r := await queue.get()).trigger, r.retake) for _ in range(2)]

    assert asyncio.run(drain()) == [("newer question", None), ("old question", Retake(7, ("1", "Owner")))]


# -- outgoing ----------------------------------------------------------------------------


def test_split_message_cuts_at_line_breaks_then_spaces_then_anywhere() -> None:
    assert split_message("short") == ["short"]
    assert split_message("aaaa\nbbbb cc", limit=6) == ["aaaa", "bbbb", "cc"]
    assert split_message("x" * 13, limit=5) == ["xxxxx", "xxxxx", "xxx"]
    assert split_message("   ") == []


def test_emoji_resolve_to_what_the_bot_can_use() -> None:
    usable = {"blob": "<:blob:11>", "party": "<a:party:22>"}
    assert resolve_emoji(":blob: and :party: and :nope:", usable) == "<:blob:11> and <a:party:22> and :nope:"
    assert resolve_emoji("<:blob:99> <:blob:11> <:other:5>", usable) == "<:blob:11> <:blob:11> <:other:5>"


def test_prepare_uploads_local_files_that_fit_and_links_the_rest(tmp_path: Path) -> None:
    small = tmp_path / "small.png"
    small.write_bytes(b"x" * 10)
    big = tmp_path / "big.mp4"
    big.write_bytes(b"x" * 100)
    items = (
        MediaItem("image", "small", "https://cdn.example/small.png", str(small), str(tmp_path)),
        MediaItem("video", "big", "https://cdn.example/big.mp4", str(big), str(tmp_path)),
        MediaItem("gif", "gone", "https://tenor.com/view/gone-gif-1", str(tmp_path / "missing.gif"), str(tmp_path)),
    )
    message = OutMessage(text="look https://cdn.example/small.png https://cdn.example/big.mp4 https://tenor.com/view/gone-gif-1",
                         body="look", media=items)
    out = prepare(message, {}, upload_limit=50)
    assert out.files == (small,)
    assert out.parts == ("look\nhttps://cdn.example/big.mp4 https://tenor.com/view/gone-gif-1",)
    many = OutMessage(text="", body="", media=tuple(MediaItem("image", f"p{i}", f"https://x/{i}.png", str(small), str(tmp_path)) for i in range(12)))
    spread = prepare(many, {}, upload_limit=50)
    assert len(spread.files) == MAX_FILES
    assert spread.parts == ("https://x/10.png https://x/11.png",)


def test_prepare_never_uploads_a_file_outside_its_export_nor_links_a_script(tmp_path: Path) -> None:
    export = tmp_path / "export"
    export.mkdir()
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"x")
    (export / "link.png").symlink_to(secret)
    items = (
        MediaItem("image", "up", "https://cdn.example/up.png", str(export / ".." / "secret.png"), str(export)),
        MediaItem("image", "link", "https://cdn.example/link.png", str(export / "link.png"), str(export)),
        MediaItem("image", "abs", "https://cdn.example/abs.png", str(secret), str(export)),
        MediaItem("image", "no root", "https://cdn.example/old.png", str(secret)),  # a catalogue from before local_root
        MediaItem("sticker", "evil", "javascript:alert(1)"),
    )
    out = prepare(OutMessage(text="x", body="look", media=items), {}, upload_limit=50)
    assert out.files == ()
    assert out.parts == ("look\nhttps://cdn.example/up.png https://cdn.example/link.png https://cdn.example/abs.png https://cdn.example/old.png",)


def test_pauses_grow_with_length_and_are_capped() -> None:
    assert pause_before("x" * 10, 0.05, 3) == pytest.approx(0.5)
    assert pause_before("x" * 1000, 0.05, 3) == 3


# -- commands and helpers ----------------------------------------------------------------


def test_owner_commands_are_parsed_strictly() -> None:
    assert parse_command("!shizu pause", "!shizu") == "pause"
    assert parse_command("  !SHIZU   Status now", "!shizu") == "status"
    assert parse_command("!shizu", "!shizu") == "help"
    assert parse_command("!shizu dance", "!shizu") == "help"
    assert parse_command("!shizu again", "!shizu") == "again"
    assert parse_command("!shizuuu pause", "!shizu") is None
    assert parse_command("hey !shizu pause", "!shizu") is None


def test_status_reports_queue_latency_and_backend() -> None:
    status = Status(
        persona="Mika", paused=False, waiting=2, capacity=16, peak=5, writing_in="#general (Cozy)", gateway_seconds=0.0421,
        reply_seconds=(1.0, 3.0, 2.0), backend="tiny + adapter (transformers, cpu)", answered=12, dropped=1, errors=0,
    )
    assert format_status(status, "!shizu") == (
        "**Mika** is answering\n"
        "queue: 2 waiting of 16 (peak 5), writing in #general (Cozy) now\n"
        "latency: gateway 42 ms; replies median 2.0 s over the last 3\n"
        "backend: tiny + adapter (transformers, cpu)\n"
        "since start: 12 answered, 1 dropped, 0 failed"
    )


def test_build_commands_and_places_read_like_the_build() -> None:
    assert is_command("!play song", ("!", "/")) and is_command("/roll", ("!", "/"))
    assert not is_command("! not a command", ("!",)) and not is_command("hello!", ("!",))
    assert Place(kind="guild-text", channel="general", server="Cozy").label() == "#general on Cozy"
    assert Place(kind="dm").label("Ana") == "a direct message with Ana"
    assert Place(kind="thread", channel="plans", server="Cozy", parent="general").label() == "the thread plans in #general on Cozy"


def test_the_token_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MY_BOT_TOKEN", raising=False)
    with pytest.raises(DiscordError) as missing:
        token_from_env("MY_BOT_TOKEN")
    assert missing.value.message == "No Discord bot token: the environment variable MY_BOT_TOKEN is not set"
    assert "export MY_BOT_TOKEN=" in (missing.value.hint or "")
    monkeypatch.setenv("MY_BOT_TOKEN", "  Bot abc.def.ghi \n")
    assert token_from_env("MY_BOT_TOKEN") == "abc.def.ghi"


def test_discord_settings_are_validated_with_the_rest() -> None:
    config = parse_config(tomllib.loads(render_template(name="Mika")))
    assert config.discord == DiscordConfig()
    with pytest.raises(ConfigError) as info:
        parse_config({"discord": {
            "owners": ["abc"], "chime_in_probability": 1.5, "mentions": ["everyone", "nobody"], "queue_size": 0,
            "token_env": "not a name", "bot_token": "x",
        }})
    problems = info.value.problems
    assert problems[0].startswith("[discord] has 'bot_token': secrets never go in shizu.toml")
    assert problems[1].startswith("discord.mentions: Invalid enum value 'nobody'")
    assert problems[2:] == [
        "discord.owners: 'abc' is not a Discord id (turn on Developer Mode, right-click, Copy ID)",
        "discord.token_env must be an environment variable name (got 'not a name')",
        "discord.chime_in_probability must be in [0, 1] (for example 0.05)",
        "discord.queue_size must be >= 1 (for example 16)",
    ]
