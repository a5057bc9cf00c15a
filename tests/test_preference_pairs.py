"""Preference pairs from self-play (the real reply over the model's own, weighed by reactions, safe to learn from) and from feedback."""

from __future__ import annotations

from pathlib import Path

import pytest

from persona_helpers import ScriptedBackend
from preference_helpers import PLACE, T0, preference_workspace
from shizu.chat.layout import Situation, system_prompt
from shizu.dataset.reader import read_examples
from shizu.eval.heldout import read_heldout
from shizu.message import Reaction
from shizu.persona import Persona
from shizu.preference import feedback
from shizu.preference.feedback import FOOLED, NO_CONTEXT, NO_RETAKE, REROLLED, SPOTTED, feedback_signals
from shizu.preference.pairs import INVENTED_LINK, SAMPLED, SELF_TALK
from shizu.preference.passing import without_passing
from shizu.preference.selfplay import OPTED_OUT, PROMPT_DIFFERS, SAME_REPLY, self_play
from shizu.preference.signals import MAX_REACTION_BONUS, History, reaction_weight
from shizu.store.exchanges import ContextMessage, Exchange, ReplyContext, SentMessage
from shizu.store.feedback import FeedbackItem
from shizu.train.pair import Pair, heldout_keys, unpaired


def played(tmp_path: Path, script: list[str], *, opt_out: tuple[str, ...] = (), name: str = "Mika"):
    """Self-play over every persona turn of the helper's train.jsonl, the model's replies scripted."""
    ws = preference_workspace(tmp_path / "ws", opt_out=opt_out, parent=False)
    _, turns = read_heldout(ws.dataset_dir / "train.jsonl", "UTC")
    with ws.open_store() as store:
        history = History.read(read_examples(ws.dataset_dir / "train.jsonl"), store, ws.config.privacy.opt_out)
    persona = Persona(name, ScriptedBackend(script))
    return turns, self_play(persona, turns, history)


def test_reactions_weigh_a_turn_up_to_a_cap_and_disapproval_does_not_count() -> None:
    assert reaction_weight([]) == 1
    assert reaction_weight([Reaction(emoji="😂", count=1)]) == 2
    assert reaction_weight([Reaction(emoji="😂"), Reaction(emoji="🔥", count=5)]) == 1 + MAX_REACTION_BONUS
    assert reaction_weight([Reaction(emoji="👎", count=3), Reaction(emoji="❌")]) == 1


def test_the_real_reply_wins_and_the_model_reply_loses_as_it_was_written(tmp_path: Path) -> None:
    script = ["OMG YES!!<|im_end|>", "ok brb<|im_end|>", "yeah sure thing\nBob: great", "dont ask https://made.up/x<|im_end|>", "lol<|im_end|>"]
    turns, result = played(tmp_path, script)
    assert [turn.reply for turn in turns] == ["omg yes", "ok brb", "sure", "dont ask", "lmao no way"]
    by_key = {pair.key: pair for pair in result.pairs}
    assert sorted(by_key) == ["20:0:0#0", "20:1:0#0", "20:2:0#0", "20:3:0#0"]  # "ok brb" was the real reply: no pair
    assert result.skipped == {SAME_REPLY: 1}
    first = by_key["20:0:0#0"]
    assert (first.chosen, first.rejected, first.why, first.source) == ("omg yes", "OMG YES!!", SAMPLED, "self-play")
    assert first.weight == 1 + MAX_REACTION_BONUS  # 4 approving reactions, capped
    assert first.context == turns[0].context  # the training render of the context: system prompt and Alice's line
    # The guard cut the turn at Bob's line: it loses with that line in it.
    talk = by_key["20:1:0#0"]
    assert (talk.chosen, talk.rejected, talk.why, talk.weight) == ("sure", "yeah sure thing\nBob: great", SELF_TALK, 1)  # 👎 does not count
    link = by_key["20:2:0#0"]
    assert (link.rejected, link.why) == ("dont ask https://made.up/x", INVENTED_LINK)
    assert by_key["20:3:0#0"].rejected == "lol"
    assert "4 pairs from 5 contexts (1 weighted up by reactions); none from 1: 1 the model's reply is the real one" == result.describe()


def test_a_reply_the_guard_cut_always_loses_even_when_it_starts_as_the_real_one(tmp_path: Path) -> None:
    _, result = played(tmp_path, ["omg yes\nAlice: same"])
    assert {pair.key: (pair.rejected, pair.why) for pair in result.pairs}["20:0:0#0"] == ("omg yes\nAlice: same", SELF_TALK)


def test_contexts_written_partly_by_opted_out_people_give_no_pair(tmp_path: Path) -> None:
    _, result = played(tmp_path, ["hm<|im_end|>"], opt_out=("3",))  # Bob opted out after the build
    assert result.skipped[OPTED_OUT] == 3  # "ok brb" answers Bob, and the two windows Bob opened
    assert sorted(pair.key for pair in result.pairs) == ["20:0:0#0", "20:2:0#0"]


def test_a_runtime_prompt_that_is_not_the_training_render_gives_no_pair(tmp_path: Path) -> None:
    _, result = played(tmp_path, ["hm<|im_end|>"], name="Mika Renamed")
    assert result.pairs == [] and result.skipped == {PROMPT_DIFFERS: 5}


def exchange(texts: tuple[str, ...], *, context: bool = True, channel: str = "20") -> Exchange:
    """A logged reply of the bot to Alice in #general (``channel``: a blind-test answer's held-out turn)."""
    said = ReplyContext(PLACE, T0, ("Alice",), (ContextMessage("Alice", "hi mika", T0),)) if context else None
    return Exchange(
        platform="discord", channel_id=channel, place="#general (Cozy)", trigger_id="9", trigger_author="Alice", trigger_text="hi mika",
        trigger_time=T0, context_ids=("9",), persona="Mika", messages=tuple(SentMessage(ids=(), text=t, body=t) for t in texts),
        backend="test", stop="end-of-turn", queued_ms=0, latency_ms=0, created=T0, context=said,
    )


def item(
    number: int, verdict: str, giver: str = "1", retake: Exchange | None = None, context: bool = True, source: str | None = None, channel: str = "20",
) -> FeedbackItem:
    return FeedbackItem(
        id=number, created=T0, source=source or ("reroll" if verdict == "rejected" else "web"), giver=giver, giver_name=giver,  # type: ignore[arg-type]
        verdict=verdict, emoji="", exchange=exchange(("As an AI, hello.",), context=context, channel=channel), retake=retake,  # type: ignore[arg-type]
    )


def test_a_reroll_is_a_pair_thumbs_are_ratings_and_a_reroll_needs_its_context_and_new_take(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    persona = Persona("Mika", ScriptedBackend(["unused"]))
    take = exchange(("heyy", "wassup"))
    items = [
        item(1, "rejected", retake=take), item(2, "up"), item(3, "rejected", retake=take, context=False), item(4, "rejected"),
        item(5, "down", source="discord-reaction"),
    ]
    signals = feedback_signals(items, persona, {})
    assert [(p.key, p.chosen, p.rejected, p.source, p.why) for p in signals.pairs] == [("feedback:1", "heyy\nwassup", "As an AI, hello.", "feedback", REROLLED)]
    assert signals.pairs[0].context[0]["content"] == system_prompt(Situation("Mika", PLACE, T0, ("Alice",)))
    assert signals.pairs[0].context[1:] == ({"role": "user", "content": "Alice: hi mika"},)
    assert [(r.key, r.reply, r.good, r.source, r.why) for r in signals.ratings] == [
        ("feedback:5", "As an AI, hello.", False, "discord-reaction", "👎 on Discord"),  # the latest first
        ("feedback:2", "As an AI, hello.", True, "web", "thumb up on the web page"),
    ]
    assert signals.ratings[0].context == signals.pairs[0].context
    assert signals.skipped == {NO_CONTEXT: 1, NO_RETAKE: 1}
    monkeypatch.setattr(feedback, "MAX_PER_GIVER", 1)
    signals = feedback_signals([item(5, "rejected", retake=take), item(6, "up"), item(7, "rejected", "2", take)], persona, {})
    assert [p.key for p in signals.pairs] == ["feedback:7"] and [r.key for r in signals.ratings] == ["feedback:6"]
    assert signals.skipped == {feedback.OVER_CAP: 1}  # one giver's latest only, pair or rating


def test_blind_test_answers_spotted_lose_to_the_real_reply_and_fooled_ones_are_good_ratings(tmp_path: Path) -> None:
    ws = preference_workspace(tmp_path / "ws", parent=False)
    _, turns = read_heldout(ws.dataset_dir / "train.jsonl", "UTC")
    heldout = {turn.key: turn for turn in turns}
    persona = Persona("Mika", ScriptedBackend(["unused"]))
    spotted, fooled, gone = (
        item(1, "down", source="blind-test", channel="20:0:0#0"), item(2, "up", "2", source="blind-test", channel="20:1:0#0"),
        item(3, "down", "3", source="blind-test", channel="20:9:0#0"),
    )
    signals = feedback_signals([spotted, fooled, gone], persona, heldout)
    assert [(p.key, p.chosen, p.rejected, p.source, p.why) for p in signals.pairs] == [
        ("heldout:20:0:0#0", "omg yes", "As an AI, hello.", "blind-test", SPOTTED),  # the person's real reply wins
    ]
    assert [(r.key, r.good, r.why) for r in signals.ratings] == [
        ("heldout:20:9:0#0", False, SPOTTED),  # its turn is no longer held out: the spotted reply alone
        ("heldout:20:1:0#0", True, FOOLED),
    ]
    assert heldout_keys([*signals.pairs, *signals.ratings]) == {"20:0:0#0", "20:1:0#0", "20:9:0#0"}
    assert [(r.reply, r.good, r.key) for r in unpaired(signals.pairs)] == [
        ("omg yes", True, "heldout:20:0:0#0"), ("As an AI, hello.", False, "heldout:20:0:0#0"),
    ]


def test_skip_passing_leaves_out_the_self_play_pairs_whose_loser_the_detector_takes_for_real() -> None:
    slang = ["lol yeah same", "omg no way", "ngl thats so good", "haha ok fair", "wait fr??", "lmao stop", "yesss finally", "ugh same tbh",
             "nah its fine lol", "ok but why tho", "LMAO", "bruh"]
    formal = ["Certainly! I would be happy to help you with that request.", "As an AI assistant, I can provide more information about this topic.",
              "Thank you for your message. Here is a detailed answer.", "I understand your concern. Let me explain the situation clearly.",
              "That is an excellent question. There are several factors to consider.", "I appreciate you sharing that with me. Please let me know more.",
              "Of course. The following points summarise the main ideas.", "I hope this helps. Feel free to ask any further questions.",
              "It is important to note that opinions may differ on this matter.", "Here is a brief overview of the relevant details.",
              "Please find my response to your question below.", "I would recommend reviewing the documentation carefully."]
    pairs = [Pair(key=f"e{i}#0", context=(), chosen=slang[i], rejected=formal[i]) for i in range(10)]
    # the person wrote formally here and the model like the person: its reply passes, and this pair is left out
    pairs += [Pair(key="e10#0", context=(), chosen=formal[10], rejected=slang[10]), Pair(key="e11#0", context=(), chosen=formal[11], rejected=slang[11])]
    cut = Pair(key="cut#0", context=(), chosen=formal[0], rejected="lol same", why=SELF_TALK)  # guard-cut losers always lose
    reroll = Pair(key="reroll", context=(), chosen=formal[1], rejected="haha ok", source="feedback", why=REROLLED)  # a person's verdict
    kept = without_passing([*pairs, cut, reroll], distinctive=frozenset(), embed=None)
    assert [pair.key for pair in kept.pairs] == [f"e{i}#0" for i in range(10)] + ["cut#0", "reroll"]
    assert (kept.judged, kept.skipped) == (12, 2)
    assert kept.describe() == "--skip-passing: the detector took the model's reply for the real one in 2 of 12 self-play pairs, left out"
    few = without_passing(pairs[:5], distinctive=frozenset(), embed=None)
    assert (few.pairs, few.judged, few.skipped) == (pairs[:5], None, 0)
