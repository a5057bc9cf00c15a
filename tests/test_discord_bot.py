"""The Discord bot end to end: the real discord.py client against the fake Discord on 127.0.0.1.

Each test starts the fake (gateway + REST), the bot with a scripted persona (the real runtime
around a script instead of a model), plays messages and reactions through the gateway, and checks
the requests the bot made: what it posted, with which allowed mentions and files.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from fake_discord import FakeDiscord, bot_config, running
from fake_discord.persona import scripted_persona
from persona_helpers import chatml_tokenizer, completion_server
from shizu.chat.media import MediaItem
from shizu.config import Config
from shizu.errors import DiscordError
from shizu.frontends.discord.bot import WARNING, DiscordBot
from shizu.persona.backends.remote import RemoteBackend
from shizu.persona.media import MediaCatalogue
from shizu.persona.memory import PersonaMemory
from shizu.persona.runtime import Persona
from shizu.store import MessageStore
from shizu.store.exchanges import ExchangeLog

ZWSP = "\u200b"
NO_PINGS = {"parse": []}


def play(
    tmp_path: Path, scenario: Callable[[FakeDiscord, DiscordBot, Any], Awaitable[None]], *,
    reply: Callable[[str], str | Sequence[str]] = lambda prompt: "hey!", config: Config | None = None,
    catalogue: MediaCatalogue | None = None, fake: FakeDiscord | None = None, world: World | None = None,
    memory: PersonaMemory | None = None,
) -> None:
    """Run ``scenario(fake, bot, world)`` with the bot connected to a fake Discord.

    The world has Alice (with a DM channel) and Bob, a server "Cozy" with #general and #random,
    and the bot's owner. ``memory``: the persona's (none by default).
    """
    fake = fake or FakeDiscord()
    world = world or World(fake)

    async def main() -> None:
        with MessageStore(tmp_path / "shizu.db") as store:
            persona = scripted_persona(reply, catalogue=catalogue)
            persona.memory = memory
            bot = DiscordBot(persona, config or bot_config(), ExchangeLog(store))
            async with running(fake, bot):
                await scenario(fake, bot, world)

    asyncio.run(asyncio.wait_for(main(), timeout=60))


class World:
    def __init__(self, fake: FakeDiscord) -> None:
        self.alice = fake.add_user("Alice")
        self.bob = fake.add_user("Bob")
        self.other_bot = fake.add_user("Helper", bot=True)
        self.me = fake.add_user("mikachan")  # the person the persona imitates (in tests with a memory)
        self.dm = fake.add_dm(self.alice)
        self.bob_dm = fake.add_dm(self.bob)
        self.owner_dm = fake.add_dm(fake.owner)
        self.guild, (self.general, self.random) = fake.add_guild(
            "Cozy", ["general", "random"], emojis=[("blobwave", False), ("partyparrot", True)]
        )
        self.mention = f"<@{fake.bot['id']}>"


def contents(fake: FakeDiscord, channel_id: int) -> list[str]:
    return [call.json["content"] for call in fake.posts(channel_id)]


def last_line(prompt: str) -> str:
    """The last line the model was shown before its turn (the message it answers)."""
    return prompt.rsplit("<|im_end|>", 1)[0].rsplit("\n", 1)[-1]


def prompts(bot: DiscordBot) -> list[str]:
    return bot.persona.backend.prompts  # type: ignore[attr-defined]


def test_a_dm_gets_a_burst_of_replies_with_typing_and_no_pings(tmp_path: Path) -> None:
    async def scenario(fake: FakeDiscord, bot: DiscordBot, w: World) -> None:
        trigger = await fake.say(w.dm, w.alice, "hi mika, you there?")
        await fake.wait_until(lambda: bot.answered == 1)
        posts = fake.posts(w.dm)
        assert [p.json["content"] for p in posts] == ["hey alice!", "yes", "what's up"]
        assert all(p.json["allowed_mentions"] == NO_PINGS and not p.multipart for p in posts)
        assert all("message_reference" not in p.json for p in posts)  # nobody spoke in between
        first_typing = next(i for i, c in enumerate(fake.calls) if c.path == f"/channels/{w.dm}/typing")
        assert first_typing < fake.calls.index(posts[0])
        [prompt] = prompts(bot)
        assert "You are Mika, chatting on Discord in a direct message with Alice." in prompt
        assert "<|im_start|>user\nAlice: hi mika, you there?<|im_end|>\n<|im_start|>assistant\n" in prompt
        row = bot.exchanges.store.db.execute(
            "SELECT trigger_id, trigger_author, trigger_text, context_ids, reply, backend, stop, place FROM exchanges"
        ).fetchone()
        assert row[:3] == (trigger["id"], "Alice", "hi mika, you there?")
        assert json.loads(row[3]) == [trigger["id"]]
        sent_ids = [m["id"] for m in fake.history[w.dm][1:]]
        assert [m["ids"] for m in json.loads(row[4])] == [[i] for i in sent_ids]
        assert row[5:] == ("scripted test model", "end", "a direct message with Alice")

    play(tmp_path, scenario, reply=lambda prompt: ["hey alice!\nye", "s\nwhat's up"])


def test_server_triggers_mention_reply_and_name_but_never_bots_or_webhooks(tmp_path: Path) -> None:
    async def scenario(fake: FakeDiscord, bot: DiscordBot, w: World) -> None:
        await fake.say(w.general, w.other_bot, f"{w.mention} ping from a bot", mentions=[fake.bot])
        await fake.say(w.general, w.alice, f"{w.mention} webhook relay", mentions=[fake.bot], webhook=True)
        await fake.say(w.general, w.alice, "just chatting, nobody called")
        await fake.say(w.general, w.alice, "mikael is not her name")
        await fake.say(w.general, w.alice, f"{w.mention} are you up?", mentions=[fake.bot])
        await fake.wait_until(lambda: len(fake.posts(w.general)) == 1)
        bot_message = fake.history[w.general][-1]
        await fake.say(w.general, w.bob, "do you agree?", reply_to=bot_message)
        await fake.wait_until(lambda: len(fake.posts(w.general)) == 2)
        await fake.say(w.random, w.bob, "what does MIKA think")
        await fake.wait_until(lambda: len(fake.posts(w.random)) == 1)
        await fake.settle()
        assert len(fake.posts()) == 3
        assert [last_line(p) for p in prompts(bot)] == [
            "Alice: @Mika are you up?", "Bob: do you agree?", "Bob: what does MIKA think",
        ]

    play(tmp_path, scenario)


def test_a_generated_everyone_ping_goes_out_with_mentions_disabled(tmp_path: Path) -> None:
    async def scenario(fake: FakeDiscord, bot: DiscordBot, w: World) -> None:
        await fake.say(w.general, w.alice, f"{w.mention} say it", mentions=[fake.bot])
        await fake.wait_until(lambda: len(fake.posts(w.general)) == 1)
        [post] = fake.posts(w.general)
        assert post.json["content"] == f"@{ZWSP}everyone @{ZWSP}here wake up <@123456789012345678> @role"
        assert post.json["allowed_mentions"] == NO_PINGS

    play(tmp_path, scenario, reply=lambda prompt: "@everyone @here wake up <@123456789012345678> <@&42424242424242>")


def test_user_pings_are_allowed_only_when_configured(tmp_path: Path) -> None:
    async def scenario(fake: FakeDiscord, bot: DiscordBot, w: World) -> None:
        await fake.say(w.dm, w.alice, "tag me")
        await fake.wait_until(lambda: len(fake.posts(w.dm)) == 1)
        assert fake.posts(w.dm)[0].json["allowed_mentions"] == {"parse": ["users"]}

    play(tmp_path, scenario, config=bot_config(mentions=["users"]))


def test_burst_messages_wait_longer_the_longer_they_are(tmp_path: Path) -> None:
    async def scenario(fake: FakeDiscord, bot: DiscordBot, w: World) -> None:
        await fake.say(w.dm, w.alice, "tell me everything")
        await fake.wait_until(lambda: bot.answered == 1)
        first, second, third = fake.posts(w.dm)
        assert [p.json["content"] for p in (first, second, third)] == ["ok", "x" * 20, "y" * 200]
        assert second.at - first.at >= 0.2  # 20 characters at 10 ms each
        assert 0.5 <= third.at - second.at < 2.0  # capped at 0.5 s (200 characters would be 2 s)

    play(tmp_path, scenario, reply=lambda prompt: "ok\n" + "x" * 20 + "\n" + "y" * 200,
         config=bot_config(pause_seconds_per_char=0.01, max_pause_seconds=0.5))


def test_media_tags_upload_the_local_file_or_send_the_stored_link(tmp_path: Path) -> None:
    picture = tmp_path / "cat_pic.png"
    picture.write_bytes(b"\x89PNG fake image bytes")
    catalogue = MediaCatalogue([
        MediaItem("image", "cat pic", "https://cdn.discordapp.com/attachments/1/2/cat_pic.png?ex=1", str(picture), str(tmp_path)),
        MediaItem("gif", "cat vibing", "https://tenor.com/view/cat-vibing-gif-12345678"),
    ])

    async def scenario(fake: FakeDiscord, bot: DiscordBot, w: World) -> None:
        await fake.say(w.dm, w.alice, "show me")
        await fake.wait_until(lambda: len(fake.posts(w.dm)) == 2)
        upload, link = fake.posts(w.dm)
        assert upload.multipart
        assert upload.files == {"files[0]": ("cat_pic.png", b"\x89PNG fake image bytes")}
        assert upload.json["content"] == "look at him"
        assert upload.json["attachments"] == [{"id": 0, "filename": "cat_pic.png"}]
        assert upload.json["allowed_mentions"] == NO_PINGS
        assert not link.multipart
        assert link.json["content"] == "same energy https://tenor.com/view/cat-vibing-gif-12345678"

    play(tmp_path, scenario, catalogue=catalogue, reply=lambda prompt: "look at him [image: cat pic]\nsame energy [gif: cat vibing]")


def test_custom_emoji_resolve_and_long_messages_split_at_the_limit(tmp_path: Path) -> None:
    long_line = " ".join(["word"] * 450)  # 2,249 characters

    async def scenario(fake: FakeDiscord, bot: DiscordBot, w: World) -> None:
        await fake.say(w.dm, w.alice, "hello")
        await fake.wait_until(lambda: len(fake.posts(w.dm)) == 3)
        guild = fake.guilds[w.guild]
        ids = {e["name"]: e["id"] for e in guild["emojis"]}
        first, *parts = contents(fake, w.dm)
        assert first == f"hi <:blobwave:{ids['blobwave']}> <a:partyparrot:{ids['partyparrot']}> :unknown:"
        assert [len(p) for p in parts] == [1999, 249]
        assert " ".join(parts) == long_line

    play(tmp_path, scenario, reply=lambda prompt: f"hi :blobwave: <:partyparrot:42> :unknown:\n{long_line}")


def test_cooldowns_hold_per_channel_and_per_person_but_not_in_dms(tmp_path: Path) -> None:
    async def scenario(fake: FakeDiscord, bot: DiscordBot, w: World) -> None:
        await fake.say(w.general, w.alice, f"{w.mention} one", mentions=[fake.bot])
        await fake.say(w.general, w.bob, f"{w.mention} two, same channel", mentions=[fake.bot])
        await fake.say(w.random, w.alice, f"{w.mention} three, same person", mentions=[fake.bot])
        await fake.say(w.random, w.bob, f"{w.mention} four, new channel and person", mentions=[fake.bot])
        await fake.say(w.dm, w.alice, "five, a DM")
        await fake.wait_until(lambda: len(fake.posts(w.dm)) == 1)
        await fake.say(w.dm, w.alice, "six, another DM")
        await fake.wait_until(lambda: len(fake.posts(w.dm)) == 2)
        await fake.settle()
        assert len(fake.posts(w.general)) == 1 and len(fake.posts(w.random)) == 1
        assert [last_line(p) for p in prompts(bot)] == [
            "Alice: @Mika one", "Bob: @Mika four, new channel and person",
            "Alice: five, a DM", "Alice: six, another DM",
        ]

    play(tmp_path, scenario, config=bot_config(channel_cooldown_seconds=60, user_cooldown_seconds=60))


def test_a_gateway_disconnect_is_resumed_and_the_missed_message_answered(tmp_path: Path) -> None:
    async def scenario(fake: FakeDiscord, bot: DiscordBot, w: World) -> None:
        await fake.say(w.dm, w.alice, "before")
        await fake.wait_until(lambda: bot.answered == 1)
        [session] = fake.sessions.values()
        await fake.wait_until(lambda: bot.client.ws.sequence == session.seq)  # the bot saw every event so far
        seen = session.seq
        await fake.drop_connections()
        await fake.say(w.dm, w.alice, "while you were away")  # kept for the resume
        await fake.wait_until(lambda: len(fake.posts(w.dm)) == 2)
        identifies = [d for op, d in fake.gateway_ops if op == 2]
        resumes = [d for op, d in fake.gateway_ops if op == 6]
        assert len(identifies) == 1
        assert len(resumes) == 1 and resumes[0]["session_id"] == session.id and resumes[0]["seq"] == seen
        assert last_line(prompts(bot)[-1]) == "Alice: while you were away"
        assert len(fake.sessions) == 1

    play(tmp_path, scenario)


def test_a_star_saves_the_exchange_to_the_collection_once(tmp_path: Path) -> None:
    async def scenario(fake: FakeDiscord, bot: DiscordBot, w: World) -> None:
        question = await fake.say(w.general, w.alice, f"{w.mention} best pizza?", mentions=[fake.bot])
        await fake.wait_until(lambda: bot.answered == 1)
        reply_id = fake.history[w.general][1]["id"]
        await fake.react(w.general, question["id"], w.bob)  # not a bot message
        await fake.react(w.general, reply_id, w.bob, emoji="\N{THUMBS UP SIGN}")  # not a star
        await fake.react(w.general, reply_id, w.bob)
        await fake.react(w.general, fake.history[w.general][2]["id"], w.alice)  # same exchange again
        await fake.say(w.dm, w.alice, "sync")  # answered after every reaction above was handled
        await fake.wait_until(lambda: len(fake.posts(w.dm)) == 1)
        [starred] = bot.exchanges.collection()
        assert (starred.by_id, starred.by_name) == (w.bob["id"], "Bob")
        assert starred.exchange.trigger_text == "@Mika best pizza?"
        assert [m.text for m in starred.exchange.messages] == ["pineapple", "fight me"]

    play(tmp_path, scenario, reply=lambda prompt: "pineapple\nfight me")


def test_a_failing_request_warns_where_addressed_and_the_bot_goes_on(tmp_path: Path) -> None:
    def reply(prompt: str) -> str:
        if "boom" in prompt.rsplit("<|im_start|>user", 1)[-1]:
            raise RuntimeError("the model fell over")
        return "all good"

    async def scenario(fake: FakeDiscord, bot: DiscordBot, w: World) -> None:
        trigger = await fake.say(w.general, w.alice, f"{w.mention} boom", mentions=[fake.bot])
        await fake.wait_until(lambda: len(fake.posts(w.general)) == 1)
        [warning] = fake.posts(w.general)
        assert warning.json["content"] == WARNING
        assert str(warning.json["message_reference"]["message_id"]) == trigger["id"]
        assert warning.json["allowed_mentions"] == {"parse": [], "replied_user": False}
        await fake.say(w.dm, w.alice, "still there?")
        await fake.wait_until(lambda: bot.answered == 1)
        assert contents(fake, w.dm) == ["all good"]
        assert (bot.errors, bot.answered) == (1, 1)

    play(tmp_path, scenario, reply=reply)


def test_owner_commands_pause_resume_status_and_forget(tmp_path: Path) -> None:
    async def scenario(fake: FakeDiscord, bot: DiscordBot, w: World) -> None:
        await fake.say(w.dm, w.alice, "!shizu pause")  # not an owner: ignored, and not answered either
        await fake.say(w.owner_dm, fake.owner, "!shizu pause")
        await fake.wait_until(lambda: len(fake.posts(w.owner_dm)) == 1)
        await fake.say(w.dm, w.alice, "hello? (while paused)")
        await fake.say(w.owner_dm, fake.owner, "!shizu status")
        await fake.wait_until(lambda: len(fake.posts(w.owner_dm)) == 2)
        await fake.say(w.general, w.alice, "old news nobody should remember")
        await fake.say(w.general, fake.owner, "!shizu forget")
        await fake.wait_until(lambda: len(fake.posts(w.general)) == 1)
        await fake.say(w.owner_dm, fake.owner, "!SHIZU resume")
        await fake.wait_until(lambda: len(fake.posts(w.owner_dm)) == 3)
        await fake.say(w.general, w.bob, f"{w.mention} what did we talk about?", mentions=[fake.bot])
        await fake.wait_until(lambda: len(fake.posts(w.general)) == 2)
        await fake.settle()
        assert fake.posts(w.dm) == []
        paused, status, resumed = contents(fake, w.owner_dm)
        assert paused == "Paused: I won't answer until `!shizu resume`."
        assert status.splitlines() == [
            "**Mika** is paused (`!shizu resume` to answer again)",
            "queue: 0 waiting of 16 (peak 0)",
            status.splitlines()[2],
            "backend: scripted test model",
            "since start: 0 answered, 0 dropped, 0 failed",
        ]
        assert status.splitlines()[2].startswith("latency: gateway ") and status.splitlines()[2].endswith("; replies none yet")
        assert resumed == "Answering again."
        assert contents(fake, w.general)[0] == "Forgotten: nothing said here before this message is read again."
        [prompt] = prompts(bot)
        assert "old news" not in prompt and "!shizu" not in prompt and "Forgotten" not in prompt
        assert "<|im_start|>user\nBob: @Mika what did we talk about?<|im_end|>" in prompt

    play(tmp_path, scenario)


def test_context_has_history_reply_chain_and_own_turns_but_no_bots(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    answers = iter(["good morning!", "it was ok", "the plan is pizza"])

    async def scenario(fake: FakeDiscord, bot: DiscordBot, w: World) -> None:
        concert = f"how was the concert yesterday <#{w.random}>?"
        old = await fake.say(w.general, w.bob, concert, at=now - timedelta(hours=5), dispatch=False)
        await fake.say(w.general, w.alice, "long ago, another conversation", at=now - timedelta(minutes=50), dispatch=False)
        await fake.say(w.general, w.alice, f"morning {w.mention}", at=now - timedelta(minutes=2), mentions=[fake.bot])
        await fake.wait_until(lambda: len(fake.posts(w.general)) == 1)
        await fake.say(w.general, w.other_bot, "BEEP automated message")
        await fake.say(w.general, w.bob, "!play some song")
        await fake.say(w.general, w.alice, "look https://cdn.discordapp.com/attachments/1/2/dog.png")
        await fake.say(w.general, w.bob, f"{w.mention} answering this late", reply_to=old, mentions=[fake.bot])
        await fake.wait_until(lambda: bot.answered == 2)
        last = prompts(bot)[-1]
        assert last.split("<|im_end|>\n", 1)[1] == (
            "<|im_start|>user\nBob: how was the concert yesterday #random?\nAlice: morning @Mika<|im_end|>\n"
            "<|im_start|>assistant\ngood morning!<|im_end|>\n"
            "<|im_start|>user\nAlice: look [image: dog]\nBob: @Mika answering this late<|im_end|>\n"
            "<|im_start|>assistant\n"
        )
        assert "with Bob and Alice." in last.split("<|im_end|>", 1)[0]
        row = bot.exchanges.store.db.execute("SELECT context_ids FROM exchanges ORDER BY id DESC").fetchone()
        left_out = ("long ago, another conversation", "BEEP automated message", "!play some song")
        kept = [m["id"] for m in fake.history[w.general] if m["content"] not in left_out]
        assert json.loads(row[0]) == kept[:-1]
        # a reply to a message that was read with the history but lies before the last silence
        plan = await fake.say(w.random, w.alice, "remember the plan?", at=now - timedelta(minutes=40), dispatch=False)
        await fake.say(w.random, w.bob, f"{w.mention} you tell us", reply_to=plan, mentions=[fake.bot])
        await fake.wait_until(lambda: bot.answered == 3)
        assert prompts(bot)[-1].split("<|im_end|>\n", 1)[1] == (
            "<|im_start|>user\nAlice: remember the plan?\nBob: @Mika you tell us<|im_end|>\n<|im_start|>assistant\n"
        )

    play(tmp_path, scenario, reply=lambda prompt: next(answers))


def test_a_sharded_bot_connects_every_shard_and_answers_on_each(tmp_path: Path) -> None:
    fake = FakeDiscord(shards=2)

    async def scenario(fake: FakeDiscord, bot: DiscordBot, w: World) -> None:
        assert {s.shard for s in fake.sessions.values()} == {(0, 2), (1, 2)}
        await fake.say(w.general, w.alice, f"{w.mention} hi from shard {(w.guild >> 22) % 2}", mentions=[fake.bot])
        await fake.say(w.dm, w.alice, "and a DM")
        await fake.wait_until(lambda: len(fake.posts(w.general)) == 1 and len(fake.posts(w.dm)) == 1)
        assert type(bot.client).__name__ == "AutoShardedClient"

    play(tmp_path, scenario, config=bot_config(sharded=True), fake=fake)


def test_startup_errors_say_what_to_do_and_never_show_the_token(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)

    async def start(fake: FakeDiscord, token: str) -> None:
        with MessageStore(tmp_path / "shizu.db") as store:
            bot = DiscordBot(scripted_persona(lambda prompt: "hi"), bot_config(), ExchangeLog(store))
            async with running(fake, bot, token=token):
                raise AssertionError("the bot should not have connected")

    with pytest.raises(DiscordError) as rejected:
        asyncio.run(asyncio.wait_for(start(FakeDiscord(), "not-the-token-xyz"), 30))
    assert rejected.value.message == "Discord rejected the bot token in SHIZU_DISCORD_TOKEN"
    assert "Reset Token" in (rejected.value.hint or "")

    fake = FakeDiscord(message_content_intent=False)
    with pytest.raises(DiscordError) as intent:
        asyncio.run(asyncio.wait_for(start(fake, fake.token), 30))
    assert intent.value.message == "The Message Content intent is not enabled for this bot"
    assert "MESSAGE CONTENT INTENT" in (intent.value.hint or "")
    assert fake.close_codes == [4014]
    assert "not-the-token-xyz" not in caplog.text and fake.token not in caplog.text


def test_a_bot_can_generate_on_a_shared_openai_compatible_server(tmp_path: Path) -> None:
    fake = FakeDiscord()
    alice = fake.add_user("Alice")
    dm = fake.add_dm(alice)
    chatml_tokenizer().save_pretrained(tmp_path / "tokenizer")

    async def main(server_url: str) -> None:
        persona = Persona("Mika", RemoteBackend(server_url, tmp_path / "tokenizer", "tiny-lora"))
        with MessageStore(tmp_path / "shizu.db") as store:
            bot = DiscordBot(persona, bot_config(), ExchangeLog(store))
            async with running(fake, bot):
                await fake.say(dm, alice, "hi from discord")
                await fake.wait_until(lambda: bot.answered == 1)
                backend = store.db.execute("SELECT backend FROM exchanges").fetchone()[0]
        assert contents(fake, dm) == ["hello from the server"]
        assert backend == f"tiny-lora at {server_url} (OpenAI-compatible server)"

    with completion_server([["hello from", " the server<|im_end|>"]]) as server:
        asyncio.run(asyncio.wait_for(main(server.url), timeout=60))
    assert server.requests[0]["prompt"].endswith("<|im_start|>user\nAlice: hi from discord<|im_end|>\n<|im_start|>assistant\n")


SECRET = "its 4711 dont tell anyone"


def remembering(tmp_path: Path, fake: FakeDiscord, world: World, said: list[str], **memory: Any) -> tuple[Config, PersonaMemory]:
    """Settings with the memory on (``memory``: more of ``[memory]``), the person being ``world.me``,
    and the persona's memory over the bot's ``shizu.db`` (its warnings go to ``said``)."""
    config = bot_config(tables={"persona": {"me": [world.me["id"]]}, "memory": {"enabled": True, **memory}})
    store = MessageStore(tmp_path / "shizu.db", shared=True)
    return config, PersonaMemory(store, config, "Mika", config.persona.me, said.append)


def stored(tmp_path: Path) -> list[tuple[str, str]]:
    """``(origin, key)`` of every memory, read on a connection of its own."""
    with sqlite3.connect(tmp_path / "shizu.db") as db:
        return db.execute("SELECT origin, key FROM memories JOIN memory_texts USING (id) ORDER BY id").fetchall()


def secret_reply(prompt: str) -> str:
    """The secret for Alice's first question, "ok" to anything else."""
    return SECRET if last_line(prompt) == "Alice: whats the locker code" else "ok"


def recalled(prompt: str) -> str:
    """The system part of a prompt: where the memories are."""
    return prompt.split("<|im_end|>", 1)[0]


def test_a_dm_secret_is_recalled_only_in_that_dm_and_the_persons_words_in_its_server(tmp_path: Path) -> None:
    fake, said = FakeDiscord(), []
    world = World(fake)
    config, memory = remembering(tmp_path, fake, world, said, remember_own_replies=True)
    later = datetime.now(UTC) + timedelta(hours=3)  # a new conversation everywhere

    async def scenario(fake: FakeDiscord, bot: DiscordBot, w: World) -> None:
        await fake.say(w.dm, w.alice, "whats the locker code")
        await fake.say(w.general, w.me, f"{w.mention} my cat is called miso btw", mentions=[fake.bot])
        await fake.wait_until(lambda: len(stored(tmp_path)) == 3)  # the bot's DM reply, the person's words, and the bot's "ok"
        asks = [
            (w.bob_dm, w.bob, "whats the locker code, and the cat is called?"),
            (w.general, w.bob, f"{w.mention} locker code? what is the cat called"),
            (w.random, w.bob, f"{w.mention} locker code? what is the cat called"),
            (w.dm, w.alice, "the locker code again?"),
        ]
        for n, (channel, who, text) in enumerate(asks, start=3):
            await fake.say(channel, who, text, at=later, mentions=[fake.bot] if w.mention in text else [])
            await fake.wait_until(lambda n=n: bot.answered == n)
        bob_dm, general, random_, alice_again = map(recalled, prompts(bot)[2:])
        assert "4711" not in bob_dm and "miso" not in bob_dm
        for prompt in (general, random_):  # a server: the person's words come back anywhere in it, the DM never
            assert "4711" not in prompt and "Earlier conversations Mika remembers:" in prompt
            assert "#general on Cozy:\nMika: @Mika my cat is called miso btw" in prompt
        assert f"a direct message with Alice:\nAlice: whats the locker code\nMika: {SECRET}" in alice_again

    play(tmp_path, scenario, reply=secret_reply, config=config, fake=fake, world=world, memory=memory)
    assert said == []
    origins = [origin for origin, _ in stored(tmp_path)]
    assert origins.count("live") == 1 and "history" not in origins


def test_the_bots_own_replies_are_not_remembered_by_default_and_a_broken_memory_only_warns(tmp_path: Path) -> None:
    fake, said = FakeDiscord(), []
    world = World(fake)
    config, memory = remembering(tmp_path, fake, world, said)
    later = datetime.now(UTC) + timedelta(hours=3)

    async def scenario(fake: FakeDiscord, bot: DiscordBot, w: World) -> None:
        await fake.say(w.dm, w.alice, "whats the locker code")
        await fake.wait_until(lambda: bot.answered == 1)
        await fake.say(w.general, w.me, f"{w.mention} whats the locker code", mentions=[fake.bot])
        await fake.wait_until(lambda: len(stored(tmp_path)) == 1)
        await fake.say(w.dm, w.alice, "the locker code again?", at=later)
        await fake.wait_until(lambda: bot.answered == 3)
        assert "remembers" not in prompts(bot)[2]
        assert [origin for origin, _ in stored(tmp_path)] == ["live"]  # the person's words only
        memory.store.db.close()  # the memory breaks: the bot answers without it, and says so once
        for n in (4, 5):
            await fake.say(w.dm, w.alice, f"still there {n}?", at=later)
            await fake.wait_until(lambda n=n: bot.answered == n)
        assert contents(fake, w.dm)[-2:] == ["ok", "ok"]

    play(tmp_path, scenario, reply=secret_reply, config=config, fake=fake, world=world, memory=memory)
    assert len(said) == 1 and said[0].startswith("memory: could not recall (ProgrammingError: ")


# -- feedback (docs/feedback.md) -------------------------------------------------------------

THUMBS_UP, THUMBS_DOWN, HEART, RETAKE = "\N{THUMBS UP SIGN}", "\N{THUMBS DOWN SIGN}", "\N{HEAVY BLACK HEART}", "\N{CLOCKWISE RIGHTWARDS AND LEFTWARDS OPEN CIRCLE ARROWS}"


def verdicts(bot: DiscordBot) -> list[tuple[str, str, str, str, str, int]]:
    """(source, giver name, verdict, emoji, reply judged, exchange id) of every stored feedback, oldest first."""
    return [(i.source, i.giver_name, i.verdict, i.emoji, "\n".join(i.exchange.texts), i.exchange.id or 0) for i in bot.feedback.items()]


def test_reactions_on_a_reply_are_feedback_once_per_person_and_verdict(tmp_path: Path) -> None:
    fake = FakeDiscord()
    world = World(fake)
    olly = fake.add_user("Olly")  # opted out: nothing of theirs is ever stored

    async def scenario(fake: FakeDiscord, bot: DiscordBot, w: World) -> None:
        question = await fake.say(w.general, w.alice, f"{w.mention} best pizza?", mentions=[fake.bot])
        await fake.wait_until(lambda: bot.answered == 1)
        first, second = (m["id"] for m in fake.history[w.general][1:3])
        await fake.react(w.general, question["id"], w.bob, emoji=THUMBS_UP)  # not a bot message
        await fake.react(w.general, first, w.bob, emoji=THUMBS_UP)
        await fake.react(w.general, second, w.bob)  # a star: the same verdict again, but into the collection
        await fake.react(w.general, first, w.alice, emoji=HEART + "\N{VARIATION SELECTOR-16}")
        await fake.react(w.general, second, w.alice, emoji=THUMBS_DOWN + "\N{EMOJI MODIFIER FITZPATRICK TYPE-4}")
        await fake.react(w.general, first, w.alice, emoji="\N{CROSS MARK}")  # down again: stored once
        await fake.react(w.general, first, w.bob, emoji="\N{PARTY POPPER}")  # says nothing
        await fake.react(w.general, first, w.other_bot, emoji=THUMBS_UP)
        await fake.react(w.general, first, olly, emoji=THUMBS_UP)
        await fake.react(w.general, first, w.bob, emoji=RETAKE)  # Bob is no owner: no other take
        await fake.say(w.dm, w.alice, "sync")  # answered after every reaction above was handled
        await fake.wait_until(lambda: len(fake.posts(w.dm)) == 1)
        await fake.settle()
        assert verdicts(bot) == [
            ("discord-reaction", "Bob", "up", THUMBS_UP, "pineapple\nfight me", 1),
            ("discord-reaction", "Alice", "up", HEART, "pineapple\nfight me", 1),
            ("discord-reaction", "Alice", "down", THUMBS_DOWN, "pineapple\nfight me", 1),
        ]
        assert [i.giver for i in bot.feedback.items()] == [w.bob["id"], w.alice["id"], w.alice["id"]]
        [starred] = bot.exchanges.collection()
        assert starred.by_name == "Bob" and len(fake.posts(w.general)) == 2
        context = bot.feedback.items()[0].exchange.context
        assert context is not None
        assert [(m.speaker, m.text, m.is_persona) for m in context.messages] == [("Alice", "@Mika best pizza?", False)]
        assert (context.place.kind, context.place.channel, context.place.server, context.participants) == (
            "guild-text", "general", "Cozy", ("Alice",))

    config = bot_config(tables={"privacy": {"opt_out": [olly["id"]]}})
    play(tmp_path, scenario, reply=lambda prompt: "pineapple\nfight me", config=config, fake=fake, world=world)


def test_an_owner_gets_another_take_and_the_discarded_reply_is_rejected(tmp_path: Path) -> None:
    fake = FakeDiscord()
    world = World(fake)
    answers = iter(["pineapple", "margherita, obviously", "napoli style", "ok"])

    async def scenario(fake: FakeDiscord, bot: DiscordBot, w: World) -> None:
        question = await fake.say(w.general, w.alice, f"{w.mention} best pizza?", mentions=[fake.bot])
        await fake.wait_until(lambda: bot.answered == 1)
        await fake.say(w.general, w.bob, "lol")
        await fake.react(w.general, fake.history[w.general][1]["id"], fake.owner, emoji=RETAKE)
        await fake.wait_until(lambda: bot.answered == 2)
        retake = fake.posts(w.general)[-1]
        assert retake.json["content"] == "margherita, obviously"
        assert str(retake.json["message_reference"]["message_id"]) == question["id"]  # answers the same message
        await fake.say(w.general, w.me, "!shizu again")  # the person themselves ([persona] me) may too
        await fake.wait_until(lambda: bot.answered == 3)
        await fake.say(w.random, fake.owner, "!shizu again")
        await fake.wait_until(lambda: len(fake.posts(w.random)) == 1)
        assert contents(fake, w.random) == ["I have not answered in this channel yet: nothing to take again."]
        first, again, third = prompts(bot)
        assert first.split("<|im_end|>", 1)[1] == again.split("<|im_end|>", 1)[1] == third.split("<|im_end|>", 1)[1]
        assert first.endswith("<|im_start|>user\nAlice: @Mika best pizza?<|im_end|>\n<|im_start|>assistant\n")
        items = bot.feedback.items()
        assert [(i.source, i.giver, i.giver_name, i.verdict, i.emoji) for i in items] == [
            ("reroll", fake.owner["id"], "Owner", "rejected", ""), ("reroll", w.me["id"], "mikachan", "rejected", ""),
        ]
        assert [(i.exchange.texts, i.retake.texts if i.retake else None) for i in items] == [
            (("pineapple",), ("margherita, obviously",)), (("margherita, obviously",), ("napoli style",)),
        ]

    config = bot_config(tables={"persona": {"me": [world.me["id"]]}})
    play(tmp_path, scenario, reply=lambda prompt: next(answers), config=config, fake=fake, world=world)


def test_another_take_that_fails_only_warns_and_rejects_nothing(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="shizu.discord")
    calls = iter(["pineapple", RuntimeError("the model fell over"), "ok"])

    def reply(prompt: str) -> str:
        answer = next(calls)
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def scenario(fake: FakeDiscord, bot: DiscordBot, w: World) -> None:
        question = await fake.say(w.general, w.alice, f"{w.mention} best pizza?", mentions=[fake.bot])
        await fake.wait_until(lambda: bot.answered == 1)
        await fake.react(w.general, fake.history[w.general][1]["id"], fake.owner, emoji=RETAKE)
        await fake.wait_until(lambda: len(fake.posts(w.general)) == 2)
        warning = fake.posts(w.general)[-1]
        assert warning.json["content"] == WARNING
        assert str(warning.json["message_reference"]["message_id"]) == question["id"]
        fake.history[w.general].remove(question)  # the message answered is deleted: no other take of it
        await fake.say(w.general, fake.owner, "!shizu again")
        await fake.wait_until(lambda: len(fake.posts(w.general)) == 3)
        assert contents(fake, w.general)[-1] == "No other take: the message it answered is gone."
        await fake.say(w.dm, w.alice, "still there?")
        await fake.wait_until(lambda: bot.answered == 2)
        assert (bot.errors, bot.feedback.items()) == (1, [])

    play(tmp_path, scenario, reply=reply)
    assert "cannot take exchange 1 again: 404 Not Found (error code: 10008): Unknown Message" in caplog.text
