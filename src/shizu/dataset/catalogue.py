"""The persona's media catalogue as ``shizu build`` collects it (``dataset/media.json``).

Every item the persona sent gets a unique label ("cat vibing", "cat vibing 2", ...) on first
sight; the runtime (:mod:`shizu.persona.media`) turns a tag back into the real item, and a tag
that is not in the catalogue is never sent.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace

from shizu.chat.media import LOCAL_OUTSIDE, URL_SCHEME, MediaKind, MediaRef, contained_file, is_web_url, make_tag


@dataclass(slots=True)
class Entry:
    """One catalogue item; ``count`` is how often the persona sent it."""

    kind: MediaKind
    label: str
    url: str
    local_path: str | None
    local_root: str | None = None
    count: int = 0

    @property
    def tag(self) -> str:
        return make_tag(self.kind, self.label)


class Catalogue:
    """The persona's media, keyed by item, with unique labels assigned on first sight.

    ``url_is_safe`` screens each new URL (for example for PII in a query string); an unsafe item
    still appears as a tag in the text but is never catalogued, so it can never be sent.
    ``path_is_safe`` screens each local file path the same way (a file named after an email
    address): an unsafe path is left out and the item is catalogued by its URL alone.
    """

    def __init__(
        self,
        url_is_safe: Callable[[str], bool] = lambda url: True,
        path_is_safe: Callable[[str], bool] = lambda path: True,
    ) -> None:
        self._entries: dict[str, Entry] = {}
        self._labels: set[str] = set()
        self._withheld: set[str] = set()
        self._url_is_safe = url_is_safe
        self._path_is_safe = path_is_safe
        self.emoji: dict[str, list] = {}  # name -> [id, count]
        self.dropped: Counter[str] = Counter()  # reason code -> media refused (LOCAL_OUTSIDE, URL_SCHEME)

    def tag(self, ref: MediaRef, persona: bool) -> str:
        """The tag for ``ref`` in the text; the persona's items are catalogued and counted.

        What is stored is checked again here, whatever version of Shizu ingested it: a local file
        must pass :func:`~shizu.chat.media.contained_file` and a URL must be http(s) (a ``file://``
        URL only with a local file that passed); otherwise the item is only a tag.
        """
        if persona:
            ref = self._checked(ref)
            if ref.local_path and not self._path_is_safe(ref.local_path):
                ref = replace(ref, local_path=None, local_root=None)
        entry = self._entries.get(ref.key)
        if persona and entry is None and ref.key not in self._withheld:
            if ref.url and self._url_is_safe(ref.url):
                entry = self._add(ref)
            else:
                self._withheld.add(ref.key)
        if entry is None:
            return make_tag(ref.kind, ref.label)
        if persona:
            entry.count += 1
            if entry.local_path is None and ref.local_path:
                entry.local_path, entry.local_root = ref.local_path, ref.local_root
        return entry.tag

    def _checked(self, ref: MediaRef) -> MediaRef:
        """``ref`` without what fails the local-file and URL-scheme rules (counted by reason)."""
        local = None
        if ref.local_path:
            local = contained_file(ref.local_path, ref.local_root) if ref.local_root else None
            if local is None:
                self.dropped[LOCAL_OUTSIDE] += 1
        url = ref.url
        if url and not is_web_url(url) and not (local is not None and url.lower().startswith("file:")):
            self.dropped[URL_SCHEME] += 1
            url = ""
        if local is None and url == ref.url and not ref.local_path:
            return ref
        return replace(ref, url=url, local_path=str(local) if local else None, local_root=ref.local_root if local else None)

    def add_emoji(self, name: str, emoji_id: str) -> None:
        seen = self.emoji.setdefault(name, [emoji_id, 0])
        seen[1] += 1

    @property
    def withheld(self) -> int:
        """Items the persona sent that were kept out of the catalogue by ``url_is_safe``."""
        return len(self._withheld)

    def entries(self) -> list[Entry]:
        """Most-sent first, then in the order first sent."""
        return sorted(self._entries.values(), key=lambda e: -e.count)

    def to_json(self) -> dict:
        return {
            "items": [
                {"kind": e.kind, "label": e.label, "tag": e.tag, "url": e.url, "local_path": e.local_path, "local_root": e.local_root,
                 "count": e.count}
                for e in self.entries()
            ],
            "emoji": [
                {"name": name, "id": emoji_id, "count": count}
                for name, (emoji_id, count) in sorted(self.emoji.items(), key=lambda kv: (-kv[1][1], kv[0]))
            ],
        }

    def _add(self, ref: MediaRef) -> Entry:
        label = ref.label
        n = 2
        while label in self._labels:
            label = f"{ref.label} {n}"
            n += 1
        self._labels.add(label)
        entry = Entry(kind=ref.kind, label=label, url=ref.url, local_path=ref.local_path, local_root=ref.local_root)
        self._entries[ref.key] = entry
        return entry
