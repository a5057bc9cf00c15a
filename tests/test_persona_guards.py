"""Guards: the persona's turn ends at end-of-turn and at any other speaker's line, also mid-stream."""

from __future__ import annotations

import pytest

from shizu.persona.guards import Guard, self_talk, stop_strings

STOPS = ["<|im_end|>", "<|im_start|>", "\nAlice:", "\nBob:"]


def run(text: str, participants: tuple[str, ...] = ("Alice", "Bob"), size: int = 1) -> tuple[str, str | None]:
    """Feed ``text`` in chunks of ``size`` characters; return the released text and the stop reason."""
    guard = Guard(STOPS, participants)
    pieces = [guard.feed(text[i:i + size]) for i in range(0, len(text), size)]
    pieces.append(guard.finish())
    return "".join(pieces), guard.stopped


@pytest.mark.parametrize("size", [1, 3, 1000])
def test_another_participants_line_is_cut(size: int) -> None:
    text, stopped = run("omg yes\nim SO hyped\nAlice: wait really?\nBob: lol", size=size)
    assert (text, stopped) == ("omg yes\nim SO hyped\n", "other-speaker")


@pytest.mark.parametrize("size", [1, 4, 1000])
def test_a_chat_template_header_is_cut(size: int) -> None:
    text, stopped = run("ok brb<|im_end|>\n<|im_start|>user\nAlice: k", size=size)
    assert (text, stopped) == ("ok brb", "end-of-turn")
    text, stopped = run("sure\n<|im_start|>user\nAlice: k", size=size)
    assert (text, stopped) == ("sure\n", "end-of-turn")


def test_any_special_token_shaped_header_is_cut() -> None:
    assert run("hi there<|eot_id|><|start_header_id|>user") == ("hi there", "end-of-turn")
    assert run("hi<|assistant|>more") == ("hi", "end-of-turn")


def test_speaker_headers_are_case_insensitive_and_ignore_leading_spaces() -> None:
    assert run("yo\n  alice: hm") == ("yo\n", "other-speaker")
    assert run("alice: hm") == ("", "other-speaker")


def test_a_line_break_inside_a_message_also_starts_a_line() -> None:
    assert run("lol\u2028Bob: same") == ("lol\u2028", "other-speaker")


def test_names_in_the_middle_of_a_line_or_other_names_are_kept() -> None:
    text = "tell Alice: no\nAlicia: is not here\nCharlie: hi"
    assert run(text) == (text, None)


def test_text_that_may_become_a_header_is_held_back_until_it_cannot() -> None:
    guard = Guard(STOPS, ("Alice",))
    assert guard.feed("hey\nAl") == "hey\n"
    assert guard.feed("i") == ""
    assert guard.feed("ve") == ""  # "Alive:" would be a near miss of "Alice:"
    assert guard.feed(" <|im") == "Alive "  # no name has a "<" in it
    assert guard.feed("_e") == ""
    assert guard.feed("nd|>tail") == ""
    assert guard.stopped == "end-of-turn"
    assert guard.finish() == ""
    assert guard.text[: guard.released] == "hey\nAlive "


def test_held_back_text_is_released_when_the_stream_ends() -> None:
    guard = Guard(STOPS, ("Alice",))
    assert guard.feed("see u\nali") == "see u\n"
    assert guard.finish() == "ali"
    assert guard.stopped is None


def test_self_talk_check() -> None:
    assert self_talk("omg yes\nAlice: really?", ["Alice", "Bob"])
    assert self_talk("sure<|im_start|>user", ["Alice"])
    assert self_talk("hm\u2028bob: ok", ["Alice", "Bob"])
    assert not self_talk("omg yes\ntell Alice: no", ["Alice", "Bob"])
    assert not self_talk("Charlie: hi", ["Alice", "Bob"])


def test_stop_strings_hold_end_of_turn_specials_and_speaker_lines() -> None:
    class Tok:
        eos_token = "<|im_end|>"
        all_special_tokens = ["<|im_start|>", "<|im_end|>", "<unk>"]

    class Llama3Tok:
        eos_token = "<|end_of_text|>"
        all_special_tokens = ["<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"]

    assert stop_strings(Tok(), "<|im_end|>", ["Alice", "Bo  b"]) == [
        "<|im_end|>", "<|im_start|>", "<|endoftext|>", "<|eot_id|>", "<|start_header_id|>", "</s>", "\nAlice:", "\nBo b:",
    ]
    assert stop_strings(Llama3Tok(), "<|eot_id|>", []) == [
        "<|eot_id|>", "<|end_of_text|>", "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|start_header_id|>", "</s>",
        "<|begin_of_text|>",
    ]


@pytest.mark.parametrize(("text", "kept"), [
    ("haha\nAlcie: no way", "haha\n"),  # a misspelled participant and a colon: self-talk
    ("Bbo: sure", ""),
    ("ALICE : hey", ""),
    ("lol: that is so me", "lol: that is so me"),  # short words must be a very close match
    ("note: bring snacks", "note: bring snacks"),
    ("see https://x.org/a:b", "see https://x.org/a:b"),
])
def test_a_near_miss_of_a_name_before_a_colon_is_self_talk(text: str, kept: str) -> None:
    assert run(text)[0] == kept
    assert self_talk(text, ("Alice", "Bob")) == (kept != text)
