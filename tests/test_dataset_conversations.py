"""Conversations: session gaps, bursts, reply context, non-overlapping windows, names in mentions."""

from __future__ import annotations

from shizu.dataset.conversations import Line, locate, reply_context, segment
from shizu.dataset.names import Names
from shizu.dataset.windows import plan_windows


def _line(mid: str, author: str, ts: float, text: str = "x", reply_to: str | None = None) -> Line:
    return Line(id=mid, author_id=author, speaker=author.title(), is_persona=author == "me", ts=ts, text=text,
                reply_to=reply_to)


def _shape(conversations) -> list[list[list[str]]]:
    return [[[line.id for line in turn] for turn in conv.turns] for conv in conversations]


def test_gap_starts_a_conversation_and_same_author_within_window_is_one_turn() -> None:
    lines = [
        _line("1", "al", 0), _line("2", "al", 100), _line("3", "me", 150), _line("4", "me", 400),  # 250 s > 180
        _line("5", "al", 400 + 1800),  # exactly the gap: same conversation
        _line("6", "me", 400 + 1800 + 1801),  # beyond the gap
    ]
    assert _shape(segment(lines, gap_s=1800, burst_s=180)) == [[["1", "2"], ["3"], ["4"], ["5"]], [["6"]]]


def test_burst_is_measured_between_consecutive_messages() -> None:
    lines = [_line(str(i), "me", i * 170) for i in range(4)]
    assert _shape(segment(lines, gap_s=1800, burst_s=180)) == [[["0", "1", "2", "3"]]]


def test_reply_context_pulls_answered_messages_from_before_the_window() -> None:
    lines = [
        _line("1", "al", 0, "old question"),
        _line("2", "bo", 10_000, "chatter"), _line("3", "al", 10_100, "more"),
        _line("4", "me", 10_200, "answer", reply_to="1"),
        _line("5", "me", 10_210, "and to bo", reply_to="2"),  # inside the window: not pulled
        _line("6", "me", 10_220, "lost", reply_to="999"),  # not in the store: ignored
    ]
    convs = segment(lines, gap_s=1800, burst_s=180)
    where = locate(convs, {"1", "2", "999"})
    assert sorted(where) == ["1", "2"]
    assert [line.id for line in reply_context(convs[1], 0, 2, where, budget_chars=1000)] == ["1"]
    # The window starting at turn 2 pulls bo's message too, most recent first within the budget.
    assert [line.id for line in reply_context(convs[1], 2, 2, where, budget_chars=1000)] == ["1", "2"]
    assert [line.id for line in reply_context(convs[1], 2, 2, where, budget_chars=12)] == ["2"]


def test_windows_exact_layout() -> None:
    persona = [False, True, False, True, False, True]
    assert plan_windows(persona, [10] * 6, max_turns=2, budget_chars=1000) == ([(0, 1), (2, 3), (4, 5)], [])
    assert plan_windows(persona, [10] * 6, max_turns=8, budget_chars=1000) == ([(0, 5)], [])
    # The budget bounds windows too: 30 characters hold three turns.
    assert plan_windows(persona, [10] * 6, max_turns=8, budget_chars=30) == ([(0, 1), (2, 3), (4, 5)], [])


def test_windows_trim_context_to_the_turn_limit_and_the_budget() -> None:
    persona = [False, False, False, False, True]
    assert plan_windows(persona, [10] * 5, max_turns=2, budget_chars=1000) == ([(2, 4)], [])
    assert plan_windows(persona, [10, 10, 10, 50, 10], max_turns=8, budget_chars=65) == ([(3, 4)], [])
    assert plan_windows(persona, [10, 10, 10, 50, 10], max_turns=8, budget_chars=55) == ([(4, 4)], [])


def test_persona_opening_and_too_long_turns() -> None:
    persona = [True, False, True, True]
    assert plan_windows(persona, [10, 10, 500, 10], max_turns=8, budget_chars=100) == ([(0, 0), (3, 3)], [2])


def _names(**kw) -> Names:
    known = {"me": {"Mika", "mika_x"}, "al": {"Alice", "Alice Smith", "alice"}, "bo": {"Bob"}, "gone": {"Zed"}}
    return Names(persona_name="Mika", me=["me"], known=known, opted_out=["gone"], **kw)


def test_mentions_name_the_persona_and_hide_opted_out_people() -> None:
    names = _names()
    assert names.speaker("me", "mika_x") == "Mika"
    assert names.speaker("al", "Alice") == "Alice"
    assert names.mentions("@mika_x ask @Zed or @Alice Smith, mail a@Zed.com") == (
        "@Mika ask @someone or @Alice Smith, mail a@Zed.com"
    )


def test_pseudonyms_are_consistent_in_speakers_and_mentions() -> None:
    names = _names(pseudonymize=True)
    pseudo_al = names.speaker("al", "Alice")
    assert names.speaker("al", "alice") == pseudo_al  # the same person under another name
    pseudo_bo = names.speaker("bo", "Bob")
    assert pseudo_al not in ("Alice", "Mika", pseudo_bo) and pseudo_bo != "Bob"
    # The longest known name wins: "@Alice Smith" is one mention, not "@Alice" + " Smith".
    assert names.mentions("@Alice Smith and @alice and @Alicea and @Bob!") == (
        f"@{pseudo_al} and @{pseudo_al} and @Alicea and @{pseudo_bo}!"
    )
    assert _names(pseudonymize=True).speaker("al", "Alice") == pseudo_al  # stable across builds
