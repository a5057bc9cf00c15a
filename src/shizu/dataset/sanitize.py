"""The privacy rules every string from a chat goes through before the training set or the memory keeps it.

One :class:`Sanitizer` per build (and one per live persona, for the exchanges it remembers): names
as :class:`~shizu.dataset.names.Names` shows them (the persona's name, pseudonyms, opted-out people
as "someone") and PII redacted by :class:`~shizu.dataset.privacy.Redactor` (``docs/privacy.md``).
What it found is handed to ``found`` (the build's tally counts it), with the text as written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from shizu.chat.layout import Place
from shizu.config import PrivacyConfig
from shizu.dataset.names import Names

Found = Callable[[list[tuple[str, str]], str], None]  # (PII type, text) found, and the redacted text


class Sanitizer:
    """Names and PII of the persona ``persona`` (``me``: its user ids) as ``privacy`` says."""

    def __init__(
        self, privacy: PrivacyConfig, persona: str, me: Iterable[str], known: Mapping[str, Iterable[str]], found: Found = lambda _found, _text: None,
    ) -> None:
        self.me = frozenset(me)
        self.pseudonymize = privacy.pseudonymize
        self.found = found
        self.redactor = None
        self.placeholders: dict[str, str] = {}
        if privacy.redact_pii:
            from shizu.dataset.privacy import PLACEHOLDERS, Redactor

            self.redactor = Redactor()
            self.placeholders = PLACEHOLDERS
        self.persona = self.name(persona)  # the persona's own name comes from the export too
        self.names = Names(persona_name=self.persona, me=self.me, known=known, opted_out=privacy.opt_out, pseudonymize=privacy.pseudonymize)
        self._speakers: dict[tuple[str, str], str] = {}

    def text(self, text: str) -> str:
        """A message's text: mentions renamed (with ``pseudonymize``, opted-out people's bare names too), PII redacted."""
        text = self.names.mentions(text)
        if self.pseudonymize:
            text = self.names.scrub_opted_out(text)
        if self.redactor is not None and text and not text.isspace():
            result = self.redactor.redact(text)
            if result.found:
                self.found(result.found, result.text.strip())
            text = result.text
        return text

    def name(self, text: str) -> str:
        """A name (a person's, a channel's, a server's) with its PII redacted."""
        if self.redactor is None or not text:
            return text
        result = self.redactor.redact(text)
        if result.found:
            self.found(result.found, result.text)
        return result.text

    def speaker(self, author_id: str, label: str) -> str:
        """The name a speaker is shown with: :meth:`Names.speaker`, without opted-out people's
        names in it, PII redacted (a WhatsApp contact saved by number only is ``<PHONE>``)."""
        key = (author_id, label)
        name = self._speakers.get(key)
        if name is None:
            name = self.names.speaker(author_id, label)
            if author_id not in self.me:
                name = self.name(self.names.scrub_opted_out(name))
            self._speakers[key] = name
        return name

    def place(self, place: Place) -> Place:
        """``place`` as prompts show it: each name without opted-out people's names, PII redacted;
        with ``pseudonymize``, no DM or group name (they are usually people's names)."""
        channel = place.channel if place.kind in ("guild-text", "thread") or not self.pseudonymize else ""
        return Place(
            kind=place.kind, channel=self._place_name(channel), server=self._place_name(place.server),
            parent=self._place_name(place.parent), platform=place.platform,
        )

    def _place_name(self, name: str) -> str:
        return self.name(self.names.strip_opted_out(name)) if name else name
