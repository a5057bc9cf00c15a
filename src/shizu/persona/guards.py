"""Guards against self-talk: the persona's turn ends where another speaker's would begin.

A chat model that was trained on ``Name: text`` lines for the other people, or whose template and
stop tokens do not match, happily writes the whole conversation. The :class:`Guard` watches the
streamed text and ends the persona's turn at the first of

* the template's end-of-turn token or any other chat-template header (``<|im_start|>``,
  ``<|eot_id|>``, anything shaped ``<|...|>``), wherever it appears;
* a line that starts another participant's turn (``Alice: ...``, case-insensitive; inside one
  message a U+2028 line break starts a line too), or a near miss of a participant's name before a
  colon (``Alcie: ...``, ``Bbo: ...``: a base model misspells the names it imitates), judged by
  :func:`near_name` (one edit, or similarity 0.8 and up, for names of four letters or more; one
  typo or swap at the same length for shorter ones).

Text is released only once it can no longer turn into such a cut (a line that may still become
``Alice:`` is held back), so a frontend never shows a word it would have to take back.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from shizu.chat.layout import LINE_SEP, clean_name

StopReason = Literal["end-of-turn", "other-speaker"]

SPECIAL_RE = re.compile(r"<\|[^|\n<>]{1,40}\|>")  # <|im_start|>, <|eot_id|>, <|start_header_id|> ...
_PARTIAL_SPECIAL_RE = re.compile(r"<(?:\|[^|\n<>]{0,40}\|?)?$")
_LINE_BREAKS = ("\n", LINE_SEP)
_LINES_RE = re.compile("[\n\u2028]")
GENERIC_STOPS = ("<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<|start_header_id|>", "</s>")
TURN_OPENERS = ("<|im_start|>", "<|start_header_id|>", "<|user|>", "<|assistant|>", "<start_of_turn>")


NEAR_MIN_RATIO = 0.8  # names of four letters or more; shorter ones need one typo or swap at the same length
_NAME_OPENING_RE = re.compile(r"\s*([^\s:/<>][^:\n/<>]{0,39}?)\s*:(?:\s|$)")
_NAMEISH_RE = re.compile(r"\s*[^\s:/<>][^:\n/<>]{0,39}$")  # may still become "Name:"


def near_name(candidate: str, headers: Sequence[str]) -> bool:
    """Whether ``candidate`` (the text before a colon) is a misspelling of a participant's name."""
    folded = " ".join(candidate.split()).casefold()
    for header in headers:
        name = header[:-1]
        if folded == name:
            return True
        if min(len(folded), len(name)) >= 4:
            if difflib.SequenceMatcher(None, folded, name).ratio() >= NEAR_MIN_RATIO or _one_edit(folded, name):
                return True
        elif len(folded) == len(name) and _one_edit(folded, name):  # short names: one typo or swap, same length
            return True
    return False


def _one_edit(a: str, b: str) -> bool:
    """One substitution, insertion, deletion or swap of neighbours turns ``a`` into ``b``."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b)) if x != y]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))


def _may_become_near(opening: str, headers: Sequence[str]) -> bool:
    """Whether a line's opening could still grow into a near miss of a name and a colon."""
    if not _NAMEISH_RE.fullmatch(opening):
        return False
    folded = " ".join(opening.split()).casefold()
    return any(
        len(folded) <= len(h) + 1 and difflib.SequenceMatcher(None, folded, h[: len(folded)]).ratio() >= 0.5 for h in headers
    )


def speaker_headers(participants: Iterable[str]) -> list[str]:
    """The ``name:`` line openings (case-folded) of the other participants."""
    return sorted({clean_name(name).casefold() + ":" for name in participants if name.strip()})


def stop_strings(tokenizer: Any, eot: str, participants: Iterable[str]) -> list[str]:
    """Strings a backend may stop on: end-of-turn, the template's special tokens, new speaker lines.

    Servers get these as ``stop``; the :class:`Guard` enforces the same rules on the text anyway.
    """
    specials = [t for t in (eot, getattr(tokenizer, "eos_token", None), *GENERIC_STOPS) if t]
    specials += [t for t in getattr(tokenizer, "all_special_tokens", []) if t and SPECIAL_RE.fullmatch(t)]
    lines = [f"\n{clean_name(name)}:" for name in participants if name.strip()]
    return list(dict.fromkeys(specials + lines))


def self_talk(reply: str, participants: Iterable[str]) -> bool:
    """True when ``reply`` writes another participant's line or opens a new chat-template turn."""
    return any(opener in reply for opener in TURN_OPENERS) or _speaker_line(reply, speaker_headers(participants)) is not None


class Guard:
    """Streaming cut of one persona turn: :meth:`feed` chunks in, safe text out."""

    def __init__(self, stops: Sequence[str], participants: Iterable[str]) -> None:
        self.stops = tuple(s for s in stops if s and not s.startswith("\n"))
        self.headers = speaker_headers(participants)
        self.text = ""  # everything the model wrote so far
        self.released = 0  # how much of ``text`` was handed out
        self.stopped: StopReason | None = None

    def feed(self, chunk: str) -> str:
        """Take more model text; return the part that is now certain to belong to the persona."""
        if self.stopped:
            return ""
        self.text += chunk
        cut = _cut(self.text, self.stops, self.headers)
        if cut is not None:
            end, self.stopped = cut
            return self._release(end)
        return self._release(len(self.text) - self._holdback())

    def finish(self) -> str:
        """The stream ended: release what was held back (it can no longer become a cut)."""
        return "" if self.stopped else self._release(len(self.text))

    def _release(self, end: int) -> str:
        out = self.text[self.released:end] if end > self.released else ""
        self.released = max(self.released, end)
        return out

    def _holdback(self) -> int:
        """Length of the tail that might still grow into a stop string or a speaker header."""
        text = self.text
        hold = 0
        for stop in self.stops:
            for k in range(min(len(stop) - 1, len(text)), hold, -1):
                if stop.startswith(text[-k:]):
                    hold = k
                    break
        lt = text.rfind("<")
        if lt >= 0 and _PARTIAL_SPECIAL_RE.match(text, lt):
            hold = max(hold, len(text) - lt)
        start = max(text.rfind(b) for b in _LINE_BREAKS) + 1
        opening = text[start:].lstrip().casefold()
        if any(header.startswith(opening) for header in self.headers) or _may_become_near(text[start:], self.headers):
            hold = max(hold, len(text) - start)  # may still be a speaker's "Name:" or a near miss of one
        return hold


def _cut(text: str, stops: Sequence[str], headers: Sequence[str]) -> tuple[int, StopReason] | None:
    """Where the persona's turn ends in ``text`` and why, or ``None``."""
    found: list[tuple[int, StopReason]] = []
    for stop in stops:
        at = text.find(stop)
        if at >= 0:
            found.append((at, "end-of-turn"))
    special = SPECIAL_RE.search(text)
    if special:
        found.append((special.start(), "end-of-turn"))
    line = _speaker_line(text, headers)
    if line is not None:
        found.append((line, "other-speaker"))
    return min(found) if found else None


def _speaker_line(text: str, headers: Sequence[str]) -> int | None:
    """Offset of the first line of ``text`` that opens with one of ``headers``."""
    if not headers:
        return None
    start = 0
    for line in _LINES_RE.split(text):
        if line.lstrip().casefold().startswith(tuple(headers)):
            return start
        opening = _NAME_OPENING_RE.match(line)
        if opening and near_name(opening.group(1), headers):
            return start
        start += len(line) + 1
    return None
