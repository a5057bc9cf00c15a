"""The shared renderer: exact chat layout, system prompts per place, and the burst round trip."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from shizu.chat.layout import Place, Situation, Turn, format_time, render, render_ids, split_burst, system_prompt

T = datetime(2024, 3, 2, 21, 14, 5, tzinfo=UTC)
GENERAL = Place(kind="guild-text", channel="general", server="Cozy Corner")


def test_render_merges_other_speakers_and_keeps_bursts_one_message_per_line() -> None:
    turns = [
        Turn("Alice", False, ("did you see the trailer",), ("1",)),
        Turn("Bob", False, ("it looks so good",), ("2",)),
        Turn("Mika", True, ("omg yes", "im SO hyped [gif: cat vibing]"), ("3", "4")),
        Turn("Alice", False, ("same",), ("5",)),
        Turn("Mika", True, ("ok brb",), ("6",)),
    ]
    situation = Situation("Mika", GENERAL, T, ("Alice", "Bob"))
    assert render(situation, turns) == [
        {"role": "system", "content": (
            'You are Mika, chatting on Discord in #general on the server "Cozy Corner" with Alice and Bob.'
            " It is Saturday 2 March 2024, 21:14 UTC. Write only Mika's messages, one chat message per line."
        )},
        {"role": "user", "content": "Alice: did you see the trailer\nBob: it looks so good"},
        {"role": "assistant", "content": "omg yes\nim SO hyped [gif: cat vibing]"},
        {"role": "user", "content": "Alice: same"},
        {"role": "assistant", "content": "ok brb"},
    ]
    assert render_ids(turns) == [[], ["1", "2"], ["3", "4"], ["5"], ["6"]]


def test_consecutive_persona_turns_merge_so_roles_alternate() -> None:
    turns = [Turn("Mika", True, ("morning",)), Turn("Mika", True, ("anyone up?",)), Turn("Al", False, ("me",))]
    messages = render(Situation("Mika", GENERAL, T), turns)
    assert [m["role"] for m in messages] == ["system", "assistant", "user"]
    assert messages[1]["content"] == "morning\nanyone up?"


def test_newlines_inside_a_message_become_line_separators() -> None:
    messages = render(Situation("Mika", GENERAL, T), [Turn("Al", False, ("line one\nline two\r\nthree",))])
    assert messages[1]["content"] == "Al: line one\u2028line two\u2028three"
    assert split_burst(messages[1]["content"]) == ["Al: line one\nline two\nthree"]


def test_speaker_names_cannot_break_the_layout() -> None:
    messages = render(Situation("Mi\nka", GENERAL, T), [Turn("A\u2028l  ice", False, ("hi",))])
    assert messages[1]["content"] == "A l ice: hi"
    assert messages[0]["content"].startswith("You are Mi ka,")


def test_system_prompt_names_the_place() -> None:
    def prompt(place: Place, others: tuple[str, ...] = ("Alice",)) -> str:
        return system_prompt(Situation("Mika", place, T, others)).split(". It is")[0]

    assert prompt(Place(kind="dm", channel="alice")) == "You are Mika, chatting on Discord in a direct message with Alice"
    assert prompt(Place(kind="group", channel="the squad"), ("Alice", "Bob", "Cy")) == (
        'You are Mika, chatting on Discord in the group chat "the squad" with Alice, Bob and Cy'
    )
    assert prompt(Place(kind="group")) == "You are Mika, chatting on Discord in a group chat with Alice"
    assert prompt(Place(kind="thread", channel="plans", server="Guild", parent="general")) == (
        'You are Mika, chatting on Discord in the thread "plans" of #general on the server "Guild" with Alice'
    )
    assert prompt(Place(kind="dm", platform="telegram"), ()) == "You are Mika, chatting on Telegram in a direct message"
    many = tuple(f"P{i}" for i in range(10))
    assert prompt(GENERAL, many).endswith("with P0, P1, P2, P3, P4, P5, P6, P7 and 2 others")


def test_time_is_written_in_the_situation_zone_in_english() -> None:
    assert format_time(T.astimezone(ZoneInfo("Europe/Paris"))) == "Saturday 2 March 2024, 22:14 CET"
    assert format_time(datetime(2024, 7, 1, 8, 5, tzinfo=UTC)) == "Monday 1 July 2024, 08:05 UTC"


_messages = st.lists(
    st.text(alphabet=st.characters(blacklist_characters="\u2028\r", blacklist_categories=("Cs",)), max_size=40),
    min_size=1, max_size=6,
)


@given(_messages)
def test_split_burst_inverts_the_assistant_layout(texts: list[str]) -> None:
    content = render(Situation("Mika", GENERAL, T), [Turn("Mika", True, tuple(texts))])[1]["content"]
    assert split_burst(content) == texts


@given(_messages)
def test_split_burst_inverts_the_user_layout(texts: list[str]) -> None:
    content = render(Situation("Mika", GENERAL, T), [Turn("Alice", False, tuple(texts))])[1]["content"]
    assert split_burst(content) == [f"Alice: {t}" for t in texts]
