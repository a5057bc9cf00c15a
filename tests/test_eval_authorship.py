"""The authorship classifier: trained on the training split, it tells the persona's voice from the others'."""

from __future__ import annotations

from shizu.eval.authorship import Authorship

PERSONA = [
    "ngl thats so real 😭", "lowkey obsessed w this", "no bc why is it 3am", "istg im crying rn", "omg yes bestie",
    "im so tired fr fr", "lmaooo stoppp", "this is literally me 💀", "pls no", "ok but why tho",
] * 3
OTHERS = [
    "I think we should leave at eight.", "Did you finish the report?", "That is a good point, honestly.",
    "The meeting was moved to Friday.", "Thanks, I will check it later.", "WHAT NO WAY!!!", "Sounds good to me.",
    "Could you send me the file?", "I am not sure about that.", "See you tomorrow.",
] * 3


def test_the_persona_s_voice_scores_high_and_everyone_else_s_low() -> None:
    model = Authorship.fit(PERSONA, OTHERS)
    assert model is not None
    assert model.train_turns == {"persona": 30, "others": 30}
    mine, theirs, empty = model.probabilities(["ngl im so obsessed rn 😭", "I will send the report on Friday.", ""])
    assert mine > 0.5 > theirs
    assert empty == 0.0
    assert model.accuracy(["lowkey crying rn fr", "omg why tho"], ["I am sure it is fine.", "Thanks for the file."]) == 1.0
    assert model.accuracy([], ["x"]) is None


def test_without_enough_text_of_both_kinds_there_is_no_classifier() -> None:
    assert Authorship.fit(PERSONA, ["only one other turn"]) is None
    assert Authorship.fit([], OTHERS) is None
