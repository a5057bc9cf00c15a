"""What the web page receives: a persona message and its media as JSON, a place in words.

A media item comes from the export's local file when there is one (``/media/<n>``: Discord
attachment links expire), else from its URL. Picture and video files are shown inline; anything
else (a Tenor page, a YouTube link, a PDF) is a link with the item's label.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from shizu.chat.media import MediaItem
from shizu.persona import OutMessage

IMAGE_SUFFIXES = (".gif", ".png", ".jpg", ".jpeg", ".webp", ".avif")
VIDEO_SUFFIXES = (".mp4", ".webm", ".mov")


def message_json(message: OutMessage, numbers: Mapping[MediaItem, int]) -> dict[str, object]:
    """``text`` (media as URLs), ``body`` (without them) and the ``media`` to show."""
    return {"text": message.text, "body": message.body, "media": [media_json(item, numbers) for item in message.media]}


def media_json(item: MediaItem, numbers: Mapping[MediaItem, int]) -> dict[str, object]:
    """An item's kind, label and URL; ``src``, where the page gets it (``None``: nowhere), and
    ``show``: ``image``, ``video`` or ``link`` (a labelled link to ``src``)."""
    number = numbers.get(item)
    if item.local_path and number is not None and Path(item.local_path).is_file():
        src: str | None = f"/media/{number}"
        suffix = Path(item.local_path).suffix.lower()
    else:
        src = item.url if item.url.startswith(("https://", "http://")) else None
        suffix = PurePosixPath(urlsplit(item.url).path).suffix.lower()
    show = "link" if src is None else "video" if suffix in VIDEO_SUFFIXES else "image" if suffix in IMAGE_SUFFIXES else "link"
    return {"kind": item.kind, "label": item.label, "url": item.url, "src": src, "show": show}
