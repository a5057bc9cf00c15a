"""Style features, distinctive words and the style distance, on replies with known answers."""

from __future__ import annotations

import pytest

from shizu.eval.style import FEATURES, distance, distinctive_words, measure, words


def test_each_feature_counts_what_it_says() -> None:
    turns = [
        "omg yes 😭😭\nim SO hyped [gif: cat vibing]",  # two messages
        "Is this real?\u2028Really.\n:mochi_pat: 👩\u200d💻",  # a message with an inner line break, then emoji only
        "lol lol lol lol",
    ]
    style = measure(turns, frozenset({"omg", "lol"}))
    v = style.values
    assert style.messages == 5
    assert v["messages_per_burst"] == [2, 2, 1]
    assert v["chars_per_message"] == [len("omg yes 😭😭"), len("im SO hyped [gif: cat vibing]"), len("Is this real?\nReally."), len(":mochi_pat: 👩\u200d💻"), 15]
    assert v["words_per_message"] == [2, 3, 4, 0, 4]
    # lowercase: only messages with cased letters count; tags and :emoji: are not words
    assert v["lowercase_share"] == [1.0, 0.0, 0.0, 1.0]
    assert v["emoji_per_message"] == [2, 0, 0, 1, 0]  # a ZWJ sequence is one emoji
    assert v["custom_emoji_per_message"] == [0, 0, 0, 1, 0]
    assert v["media_per_message"] == [0, 1, 0, 0, 0]
    assert v["punctuation_rate"] == [0.0, 0.0, 1.0, 0.0]  # emoji-only messages have no ending
    assert v["question_rate"] == [0.0, 0.0, 1.0, 0.0, 0.0]
    assert v["distinctive_words_per_message"] == [1, 0, 0, 0, 4]
    assert v["repetition_rate"] == [0.0, 0.0, 1.0]
    # bigrams: (omg yes) (im so) (so hyped) (is this) (this real) (real really) (lol lol) x3
    assert style.distinct_2 == pytest.approx(7 / 9)
    assert style.means()["messages_per_burst"] == pytest.approx(5 / 3)


def test_no_reply_at_all_has_no_values() -> None:
    style = measure(["", "  "], frozenset())
    assert style.messages == 0
    assert style.values["messages_per_burst"] == [0, 0]
    assert style.distinct_2 is None
    assert style.means()["chars_per_message"] is None


def test_words_leave_out_tags_and_custom_emoji() -> None:
    assert words("Can't WAIT [gif: cat vibing] :mochi_pat: 2nite!") == ["can't", "wait", "2nite"]


def test_distance_is_zero_for_the_same_style_and_one_for_disjoint_styles() -> None:
    real = measure(["omg yes\nlol", "ngl same\nok"], frozenset({"ngl"}))
    assert distance(real, real) == (0.0, {f.key: 0.0 for f in FEATURES})
    formal = measure(["Hello, how are you doing today? I am fine."], frozenset({"ngl"}))
    overall, per_feature = distance(formal, real)
    assert per_feature["lowercase_share"] == 1.0
    assert per_feature["messages_per_burst"] == 1.0
    assert per_feature["punctuation_rate"] == 1.0
    assert per_feature["media_per_message"] == 0.0
    assert overall == pytest.approx(sum(per_feature.values()) / len(FEATURES))


def test_a_feature_missing_on_one_side_counts_as_fully_different() -> None:
    emoji_only = measure(["😭"], frozenset())
    words_only = measure(["lol"], frozenset())
    _, per_feature = distance(emoji_only, words_only)
    assert per_feature["lowercase_share"] == 1.0  # no cased letters in "😭"
    assert per_feature["punctuation_rate"] == 1.0


def test_distinctive_words_are_the_persona_s_overused_terms() -> None:
    persona = ["ngl thats so real", "ngl i cant", "lowkey obsessed ngl", "lowkey same", "lowkey yes the movie", "the movie"] * 30
    others = ["I think the movie is good.", "The movie was great.", "Did you see the movie?", "yes it is real"] * 30
    found = distinctive_words(persona, others)
    assert found[:2] == ["lowkey", "ngl"]
    assert "the" not in found and "movie" not in found  # everyone says them
    assert "obsessed" in found  # never said by the others
    assert distinctive_words(persona, others, limit=1) == ["lowkey"]


def test_rare_words_are_not_distinctive() -> None:
    assert distinctive_words(["once upon", "a time"], ["hello there"]) == []
