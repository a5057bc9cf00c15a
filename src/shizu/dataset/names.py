"""How people are named in training text: the persona's name, pseudonyms, opted-out people.

Speaker prefixes and ``@mentions`` go through one :class:`Names` object so that a person is called
the same everywhere: the persona always by the persona name, opted-out people (in mentions) as
``@someone``, and, with ``[privacy] pseudonymize``, everyone else by a pseudonym picked from a hash
of their user id. Bare names inside message text are not rewritten: only mentions, which the
export marks unambiguously. A mention is matched by the longest known name after the ``@``.

Opted-out people also leave the places: :meth:`Names.strip_opted_out` removes every name known for
them (username, display names, nicknames) from channel, group and server names, so a group DM that
DiscordChatExporter named "alice, bob, carol" reads "alice, bob" without carol, and one named only
after them reads as an unnamed group ("a group chat"). :meth:`Names.scrub_opted_out` writes their
bare names as "someone" (applied to other people's display names always, and to message text and
media labels with ``pseudonymize``). A name matches case-insensitively where no letter touches it
("Carol", "carol's", "carol_fan", "carol2"), never inside a longer word ("Caroline").
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping

from shizu.chat.hidden_names import SOMEONE, HiddenNames

OPTED_OUT_NAME = SOMEONE
_MENTION_START = re.compile(r"(?<![\w@])@")

PSEUDONYMS = (
    "Alex", "Bailey", "Casey", "Dana", "Eden", "Finley", "Gray", "Harper", "Indigo", "Jordan", "Kai", "Lane",
    "Morgan", "Noel", "Oakley", "Parker", "Quinn", "Reese", "Sage", "Taylor", "Umi", "Vale", "Wren", "Yael",
    "Zion", "Ash", "Blair", "Cameron", "Drew", "Ellis", "Frankie", "Hayden", "Jules", "Kendall", "Logan",
    "Marlow", "Nico", "Peyton", "Riley", "Rowan", "Shay", "Skyler", "Tatum", "Val", "Winter", "Robin",
    "Emery", "Charlie", "Avery", "Jamie", "Kit", "Lee", "Milan", "Remy", "Sam", "Teagan", "Arden", "Bellamy",
    "Carey", "Devon", "Ezra", "Greer", "Hollis", "Jody",
)


class Names:
    """Maps authors to the names shown to the model and rewrites ``@mentions`` to match."""

    def __init__(
        self,
        *,
        persona_name: str,
        me: Iterable[str],
        known: Mapping[str, Iterable[str]],
        opted_out: Iterable[str] = (),
        pseudonymize: bool = False,
    ) -> None:
        """``known``: every name (display names over time, handles) of every author id."""
        self.persona_name = persona_name
        self._me = frozenset(me)
        self._opted_out = frozenset(opted_out)
        self._pseudonyms = _assign_pseudonyms(
            sorted(a for a in known if a not in self._me and a not in self._opted_out), persona_name
        ) if pseudonymize else {}
        replace: dict[str, str] = {}
        for author_id, names in known.items():
            if author_id in self._me:
                target = persona_name
            elif author_id in self._opted_out:
                target = OPTED_OUT_NAME
            elif author_id in self._pseudonyms:
                target = self._pseudonyms[author_id]
            else:
                continue
            for name in names:
                if name and name != target:
                    replace.setdefault(name, target)
        self._mention_map = replace
        self._longest = max(map(len, replace), default=0)
        self._hidden = HiddenNames((name for author_id in self._opted_out for name in known.get(author_id, ())), keep=persona_name)

    def speaker(self, author_id: str, label: str) -> str:
        """The name shown for a speaker: the persona name, a pseudonym, or their own label."""
        if author_id in self._me:
            return self.persona_name
        return self._pseudonyms.get(author_id, label)

    def mentions(self, text: str) -> str:
        """``text`` with ``@Name`` mentions rewritten consistently with :meth:`speaker`."""
        if not self._mention_map or "@" not in text:
            return text
        out: list[str] = []
        pos = 0
        for m in _MENTION_START.finditer(text):
            if m.start() < pos:
                continue
            start = m.end()
            for end in range(min(len(text), start + self._longest), start, -1):
                if end < len(text) and (text[end].isalnum() or text[end] == "_"):
                    continue
                target = self._mention_map.get(text[start:end])
                if target is not None:
                    out.append(text[pos:start])
                    out.append(target)
                    pos = end
                    break
        out.append(text[pos:])
        return "".join(out)


    def strip_opted_out(self, name: str) -> str:
        """A channel, group or server name without the names of opted-out people ("" when nothing
        else is left: an unnamed group)."""
        return self._hidden.strip(name)

    def scrub_opted_out(self, text: str) -> str:
        """``text`` with the bare names of opted-out people written as "someone"."""
        return self._hidden.scrub(text)


def _assign_pseudonyms(author_ids: list[str], avoid: str) -> dict[str, str]:
    """A stable pseudonym per author id, from a hash of the id; clashes get a number."""
    taken = {avoid}
    out: dict[str, str] = {}
    for author_id in author_ids:
        base = PSEUDONYMS[int.from_bytes(hashlib.sha256(author_id.encode()).digest()[:8], "big") % len(PSEUDONYMS)]
        name, n = base, 2
        while name in taken:
            name = f"{base} {n}"
            n += 1
        taken.add(name)
        out[author_id] = name
    return out
