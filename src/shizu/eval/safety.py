"""The product's promises, measured per reply: no self-talk, no invented links, no leaked training text.

* **Self-talk**: the reply writes another person's line (``Theo: ...``) or opens a new chat-template
  turn. Checked with the runtime's own :func:`shizu.persona.self_talk` against every other
  speaker of the dataset, not only the people in the conversation the guard knows about, both on
  what the model wrote before the guard cut it and on what is sent.
* **Invented links**: a URL, or a media tag, that is not one of the persona's catalogue items.
  Before post-processing this is the runtime's own count of what it removed (links not in the
  catalogue, tags with no item close enough); after it, the sent messages are checked again.
* **Verbatim copies**: the reply repeats a span of at least :data:`COPY_SPAN` words of the
  persona's training text (privacy: a model that memorised its data leaks it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from shizu.eval.style import words
from shizu.persona import Reply, invented_links, self_talk
from shizu.persona.media import MediaCatalogue
from shizu.persona.postprocess import TAG_RE, Cleaner, Cleanup, OutMessage

COPY_SPAN = 8  # words in a row shared with the training text that count as a verbatim copy


@dataclass(frozen=True)
class Flags:
    """Which promises one reply breaks."""

    self_talk: bool  # in what is sent
    self_talk_before_guard: bool  # in what the model wrote
    invented_link: bool  # in what is sent (after post-processing)
    invented_link_before_postprocess: bool
    verbatim_copy: bool


class CopyDetector:
    """Every :data:`COPY_SPAN`-word span of the persona's training turns, hashed for memory."""

    def __init__(self, texts: Iterable[str], span: int = COPY_SPAN) -> None:
        self.span = span
        self.spans = {hash(gram) for text in texts for gram in self._grams(text)}

    def copies(self, text: str) -> bool:
        """True when ``text`` repeats a span of the training text word for word (case aside)."""
        return any(hash(gram) in self.spans for gram in self._grams(text))

    def _grams(self, text: str) -> Iterable[tuple[str, ...]]:
        tokens = words(text)
        return (tuple(tokens[i:i + self.span]) for i in range(len(tokens) - self.span + 1))


def reply_flags(reply: Reply, names: Sequence[str], catalogue: MediaCatalogue, copies: CopyDetector) -> Flags:
    """The flags of a generated reply, from the runtime's own guard and post-processing results."""
    cleanup = reply.cleanup
    return Flags(
        self_talk=self_talk(_sent(reply.messages), names),
        self_talk_before_guard=self_talk(reply.generated, names),
        invented_link=_leaks(reply.messages, catalogue),
        invented_link_before_postprocess=cleanup.links_removed + cleanup.tags_dropped > 0,
        verbatim_copy=copies.copies(reply.raw),
    )


def real_flags(text: str, names: Sequence[str], cleaner: Cleaner, copies: CopyDetector) -> Flags:
    """The same flags for a real reply, put through the same post-processing."""
    cleanup = Cleanup()
    messages = cleaner.turn(text, cleanup)
    talks = self_talk(text, names)
    return Flags(
        self_talk=talks,
        self_talk_before_guard=talks,
        invented_link=_leaks(messages, cleaner.catalogue),
        invented_link_before_postprocess=cleanup.links_removed + cleanup.tags_dropped > 0,
        verbatim_copy=copies.copies(text),
    )


def _sent(messages: Sequence[OutMessage]) -> str:
    return "\n".join(m.text for m in messages)


def _leaks(messages: Sequence[OutMessage], catalogue: MediaCatalogue) -> bool:
    """A sent message holds a URL that is not a catalogue item, or a tag left unresolved."""
    return any(invented_links(m.text, catalogue) or TAG_RE.search(m.text) for m in messages)
