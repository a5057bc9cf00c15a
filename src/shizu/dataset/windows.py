"""Cut a conversation into example windows: every persona turn is trained on exactly once.

A window is a run of consecutive turns ending on a persona turn. Windows do not overlap: the first
window ends on the first persona turn, and keeps growing to include later persona turns while it
stays within ``max_turns`` turns before its last persona turn and within the character budget; then
the next window starts after it. Each window opens with the turns since the previous window (at most
``max_turns`` of them, and only as many as the budget allows) as context.

Why not one example per persona turn, each with its full context? That trains every persona message
up to ``max_turns`` times over (near-duplicate examples, a dataset several times larger, and a model
that memorises). With non-overlapping windows the dataset is about as large as the conversations
themselves, and each assistant message carries loss once. The price: a persona turn early in a
window sees less context than it had in the real conversation.
"""

from __future__ import annotations

from collections.abc import Sequence


def plan_windows(
    persona: Sequence[bool], chars: Sequence[int], *, max_turns: int, budget_chars: int
) -> tuple[list[tuple[int, int]], list[int]]:
    """Windows as inclusive ``(start, end)`` turn indexes, and the persona turns too long to fit.

    ``persona[i]``: turn ``i`` is the persona's; ``chars[i]``: its rendered length.
    """
    prefix = [0]
    for c in chars:
        prefix.append(prefix[-1] + c)

    def cost(start: int, end: int) -> int:
        return prefix[end + 1] - prefix[start]

    windows: list[tuple[int, int]] = []
    too_long: list[int] = []
    free = 0  # first turn no window has used yet
    current: tuple[int, int] | None = None
    for p, is_persona in enumerate(persona):
        if not is_persona:
            continue
        if current is not None:
            start = current[0]
            if p - start <= max_turns and cost(start, p) <= budget_chars:
                current = (start, p)
                continue
            windows.append(current)
            free = current[1] + 1
            current = None
        if chars[p] > budget_chars:
            too_long.append(p)
            free = p + 1
            continue
        start = max(free, p - max_turns)
        while cost(start, p) > budget_chars:
            start += 1
        current = (start, p)
    if current is not None:
        windows.append(current)
    return windows, too_long
