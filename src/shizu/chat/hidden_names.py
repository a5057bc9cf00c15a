"""The names of people who opted out, removed wherever a name list or a text shows them.

``[privacy] opt_out`` removes a person's messages, but their names also live in other people's
places: a group DM that DiscordChatExporter names after its members ("alice, bob, carol"), a
channel named after someone, the text of other messages. One matcher serves every stage that
shows names (the training set, the reports, ``shizu stats``): whole names only (not inside a
longer word), case-insensitively, with an English possessive ("carol's") taken along.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

SOMEONE = "someone"  # what an opted-out person's name becomes inside a text

_LIST_SEPARATOR = re.compile(r"(\s*(?:[,&+/|·•;]|\band\b)\s*)", re.I)
_DANGLING = " \t-_.,:;'’~|&+/·•()[]{}"


class HiddenNames:
    """Matches every name in ``names`` (two characters or more, some letter or digit), except ``keep``."""

    def __init__(self, names: Iterable[str], keep: str = "") -> None:
        keep = keep.casefold()
        hidden = {n.strip() for n in names if len(n.strip()) >= 2 and any(c.isalnum() for c in n) and n.strip().casefold() != keep}
        self._pattern = re.compile(
            r"(?<![^\W\d_])(?:" + "|".join(re.escape(n) for n in sorted(hidden, key=lambda n: (-len(n), n)))
            + r")(?P<possessive>['’]s)?(?![^\W\d_])",
            re.I,
        ) if hidden else None

    def strip(self, name: str) -> str:
        """A channel, group or server name without the hidden names ("" when nothing else is left)."""
        if self._pattern is None or not name:
            return name
        stripped = self._pattern.sub("", name)
        return name if stripped == name else _tidy(stripped)

    def scrub(self, text: str) -> str:
        """``text`` with each hidden name written as "someone"."""
        if self._pattern is None or not text:
            return text
        return self._pattern.sub(lambda m: SOMEONE + (m.group("possessive") or ""), text)


def _tidy(name: str) -> str:
    """What is left of a name list once names were cut out: no empty items, no dangling separators."""
    pieces = _LIST_SEPARATOR.split(" ".join(name.split()))
    items, separators = pieces[0::2], pieces[1::2]
    kept = [(separators[i - 1] if i else "", item.strip()) for i, item in enumerate(items) if item.strip(_DANGLING)]
    return "".join((sep if k else "") + item for k, (sep, item) in enumerate(kept)).strip(_DANGLING)
