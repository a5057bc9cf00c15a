"""The detector on constructed cases: copies of the real replies are indistinguishable, another speaker is not."""

from __future__ import annotations

import math

import pytest

from shizu.eval.detector import detect
from shizu.eval.intervals import bootstrap_mean, contexts_needed, paired_difference

PERSONA = [
    "lol yes 😭", "omg nooo", "ok brb", "wait what 😭", "lmaooo", "yeah same", "nah im good", "ok ok",
    "that's so cute 😭", "hahaha yes", "bro what", "mhm", "no way 😭", "fr fr", "i cant lol", "ya",
    "ok but why", "lmao same", "nooo 😭 why", "yesss", "tbh same", "idk lol", "cute", "omg",
]
OTHER = [
    "Hello there. How are you doing today?", "I think that is a reasonable plan, thank you.",
    "Could you please send me the document?", "Certainly. I will be there at 5 PM.",
    "That sounds wonderful. Let me know when you are free.", "I appreciate your help with this matter.",
    "Good morning! I hope you slept well.", "Please remember to bring the tickets.",
    "I have finished reading the book you recommended.", "We should discuss this further tomorrow.",
    "Thank you for the invitation; I would be delighted to attend.", "The meeting has been moved to Thursday.",
    "Have you had a chance to review my proposal?", "I am afraid I cannot make it tonight.",
    "Congratulations on your new position!", "Let us schedule a call next week.",
    "I agree with your assessment entirely.", "Please find the attached report.",
    "What time does the train depart?", "I will forward the details shortly.",
    "It was a pleasure meeting you yesterday.", "Kindly confirm your attendance.",
    "The weather is lovely this afternoon.", "I look forward to hearing from you.",
]


def test_copies_of_the_real_replies_cannot_be_told_apart() -> None:
    result = detect(PERSONA, PERSONA)
    assert result is not None
    assert result.accuracy.value == pytest.approx(0.5)  # each context: the same text twice, one is right
    assert result.picked_as_real.value == pytest.approx(0.5)  # every pair is a tie


def test_another_speakers_replies_are_detected() -> None:
    result = detect(PERSONA, OTHER)
    assert result is not None
    assert result.accuracy.value >= 0.95 and result.accuracy.low >= 0.85
    assert result.picked_as_real.value <= 0.05
    assert set(result.by_group) == {"char n-grams", "style"}
    assert result.strongest in result.by_group


def test_too_few_contexts_give_no_verdict() -> None:
    assert detect(PERSONA[:3], OTHER[:3]) is None


def test_intervals_are_deterministic_and_cover_the_mean() -> None:
    values = [1.0, 0.0, 1.0, 1.0, 0.5, 0.0, 1.0, 1.0]
    a, b = bootstrap_mean(values), bootstrap_mean(values)
    assert a == b and a.low <= a.value <= a.high and a.n == 8 and a.value == pytest.approx(0.6875)
    assert math.isnan(bootstrap_mean([]).value)


def test_a_paired_difference_is_significant_only_when_its_interval_excludes_zero() -> None:
    clear = paired_difference([1.0] * 30, [0.0] * 30)
    assert clear.significant and contexts_needed(clear) is None
    noisy = paired_difference([1.0, 0.0, 1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 1.0, 0.0, 0.0, 1.0])
    assert not noisy.significant
    assert contexts_needed(paired_difference([1.0, 0.0, 1.0, 1.0, 0.0, 1.0], [0.0, 1.0, 1.0, 0.0, 0.0, 1.0])) > 6
