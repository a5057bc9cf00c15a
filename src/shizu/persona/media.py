"""The persona's media catalogue at run time: ``dataset/media.json`` read back for sending.

The model writes media as tags (``[gif: cat vibing]``) because it cannot reproduce URLs. A tag is
only ever sent as a real item from this catalogue: the entry with exactly that label, else the
most similar label of the same kind when it is close enough (the model misspelled or shortened
it), else nothing. The catalogue also knows the ids of the persona's custom emoji.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from shizu.chat.media import MediaItem, url_key
from shizu.errors import WorkspaceError

NEAREST_MIN_RATIO = 0.85  # difflib similarity a misspelled label needs ("cat vibin" ~ "cat vibing": 0.95)


class MediaCatalogue:
    """The persona's media (most-sent first) and custom emoji ids (``name -> id``)."""

    def __init__(self, items: Sequence[MediaItem] = (), emoji: Mapping[str, str] | None = None) -> None:
        self.items = tuple(items)
        self.emoji = dict(emoji or {})
        self._by_tag: dict[tuple[str, str], MediaItem] = {}
        self._by_url: dict[str, MediaItem] = {}
        for item in self.items:  # the most-sent item wins when two share a label or URL
            self._by_tag.setdefault((item.kind, item.label.casefold()), item)
            self._by_url.setdefault(url_key(item.url), item)

    @classmethod
    def load(cls, path: Path) -> MediaCatalogue:
        """Read ``media.json`` as ``shizu build`` writes it; a missing file is an empty catalogue."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as exc:
            raise WorkspaceError(f"{path} is not readable JSON: {exc}", hint="Rebuild it with `shizu build`.") from None
        try:
            items = [
                MediaItem(kind=i["kind"], label=i["label"], url=i["url"], local_path=i.get("local_path"), local_root=i.get("local_root"))
                for i in data.get("items", [])
            ]
            emoji = {e["name"]: str(e["id"]) for e in data.get("emoji", [])}
        except (AttributeError, KeyError, TypeError) as exc:
            raise WorkspaceError(
                f"{path} is not a media catalogue as `shizu build` writes it ({type(exc).__name__}: {exc})",
                hint="Rebuild it with `shizu build`.",
            ) from None
        return cls(items=items, emoji=emoji)

    def exact(self, kind: str, label: str) -> MediaItem | None:
        """The item tagged ``[kind: label]`` (labels compared without case)."""
        return self._by_tag.get((kind, " ".join(label.split()).casefold()))

    def nearest(self, kind: str, label: str) -> MediaItem | None:
        """The item of ``kind`` whose label is most similar to ``label``, if similar enough."""
        wanted = " ".join(label.split()).casefold()
        best, best_ratio = None, NEAREST_MIN_RATIO
        for item in self.items:
            if item.kind != kind:
                continue
            ratio = difflib.SequenceMatcher(None, wanted, item.label.casefold()).ratio()
            if ratio > best_ratio or (best is None and ratio == best_ratio):
                best, best_ratio = item, ratio
        return best

    def by_url(self, url: str) -> MediaItem | None:
        """The item with this URL (Discord CDN links compared without their expiring signature)."""
        return self._by_url.get(url_key(url))
