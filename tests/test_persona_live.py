"""The live situation is rendered by the training renderer, with the build's context rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shizu.chat.layout import Place, Turn
from shizu.chat.media import MediaItem
from shizu.config import BuildConfig
from shizu.persona.live import LiveMessage, context_turns, incoming_text, render_live, trim_to_budget
from shizu.persona.media import MediaCatalogue

T0 = datetime(2024, 3, 2, 20, 0, tzinfo=UTC)
CAT = MediaItem("gif", "cat vibing", "https://tenor.com/view/cat-vibing-gif-12345678")
CATALOGUE = MediaCatalogue([CAT], {"pepehands": "1"})


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_incoming_links_become_tags_and_raw_emoji_become_names() -> None:
    text = f"look https://tenor.com/view/dog-dancing-gif-55 and {CAT.url} <:pepehands:123> <a:party:9>"
    assert incoming_text(text, CATALOGUE) == "look [gif: dog dancing] and [gif: cat vibing] :pepehands: :party:"


def test_the_live_prompt_is_the_training_layout() -> None:
    history = [
        LiveMessage("Alice", "did you see the trailer", at(0)),
        LiveMessage("Bob", "it looks so good\nfr", at(1)),
        LiveMessage("Mika", "omg yes", at(2), is_persona=True),
        LiveMessage("Mika", f"im SO hyped {CAT.url}", at(2), is_persona=True),
        LiveMessage("Alice", "same", at(3)),
    ]
    place = Place(kind="guild-text", channel="general", server="Cozy Corner")
    build = BuildConfig(timezone="Europe/Paris")
    live = render_live("Mika", place, history, at(4), build, CATALOGUE, participants=["Carol", "Mika"])
    messages, situation = live.messages, live.situation
    assert situation.participants == ("Alice", "Bob", "Carol")
    assert messages == [
        {"role": "system", "content": (
            'You are Mika, chatting on Discord in #general on the server "Cozy Corner" with Alice, Bob and Carol.'
            " It is Saturday 2 March 2024, 21:04 CET. Write only Mika's messages, one chat message per line."
        )},
        {"role": "user", "content": "Alice: did you see the trailer\nBob: it looks so good\u2028fr"},
        {"role": "assistant", "content": "omg yes\nim SO hyped [gif: cat vibing]"},
        {"role": "user", "content": "Alice: same"},
    ]


def test_only_the_current_conversation_is_kept() -> None:
    history = [
        LiveMessage("Alice", "old topic", at(0)),
        LiveMessage("Alice", "hello again", at(45)),  # 45 min of silence > session_gap_minutes = 30
        LiveMessage("Alice", "you there?", at(46)),
    ]
    assert context_turns(history, BuildConfig(), CATALOGUE) == [Turn("Alice", False, ("hello again", "you there?"))]


def test_at_most_max_context_turns_are_kept() -> None:
    history = [LiveMessage(("Alice", "Bob")[i % 2], f"m{i}", at(i)) for i in range(6)]
    turns = context_turns(history, BuildConfig(max_context_turns=2), CATALOGUE)
    assert turns == [Turn("Alice", False, ("m4",)), Turn("Bob", False, ("m5",))]


def test_budget_drops_old_turns_and_keeps_the_newest_lines() -> None:
    turns = [Turn("Al", False, ("a" * 10,)), Turn("Bo", False, ("b" * 10, "c" * 10))]
    # each line costs len(name) + len(text) + 3 = 15 characters
    assert trim_to_budget(turns, 45) == turns
    assert trim_to_budget(turns, 44) == [Turn("Bo", False, ("b" * 10, "c" * 10))]
    assert trim_to_budget(turns, 29) == [Turn("Bo", False, ("c" * 10,))]
    assert trim_to_budget(turns, 1) == [Turn("Bo", False, ("c" * 10,))]
