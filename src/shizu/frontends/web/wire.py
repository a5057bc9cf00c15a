"""What the web page and the API send: a persona message and its media as JSON, a place in words,
the memories a reply recalled.

A media item comes from the export's local file when there is one that passes the checks
(``/media/<n>``: Discord attachment links expire), else from its web URL. How it is shown follows
the file's bytes (:func:`.inert.sniff`) or, for a web URL, its extension: pictures, videos and
sounds inline; anything else (a Tenor page, a YouTube link, a PDF, a file of unknown type) is a
link with the item's label.

Nothing sent names a local file: an item whose URL is not a web URL (a ``file://`` URL or a path
from a Telegram, WhatsApp or ``--media`` export) is written as its tag (``[image: label]``) in the
message text, and its ``url`` is ``None``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from shizu.chat.media import MediaItem
from shizu.frontends.web.inert import MediaFile, web_url
from shizu.memory import describe
from shizu.persona import OutMessage, Reply

IMAGE_SUFFIXES = (".gif", ".png", ".jpg", ".jpeg", ".webp", ".avif")
VIDEO_SUFFIXES = (".mp4", ".webm", ".mov")

LocalFiles = Callable[[MediaItem], "tuple[int, MediaFile] | None"]  # Site.media_file


def message_json(message: OutMessage, local: LocalFiles) -> dict[str, object]:
    """``text`` (media as web URLs or tags), ``body`` (without them) and the ``media`` to show."""
    return {"text": public_text(message), "body": message.body, "media": [media_json(item, local) for item in message.media]}


def public_text(message: OutMessage) -> str:
    """The message's text with every media URL that is not a web URL replaced by the item's tag."""
    text = message.text
    for item in message.media:
        if item.url and web_url(item.url) is None:
            text = text.replace(item.url, item.tag)
    return text


def media_json(item: MediaItem, local: LocalFiles) -> dict[str, object]:
    """An item's kind, label and web URL (``None`` when it has none); ``src``, where the page gets
    it (``None``: nowhere), and ``show``: ``image``, ``video``, ``audio`` or ``link`` (a labelled
    link to ``src``, or the label alone without one)."""
    url = web_url(item.url)
    found = local(item)
    if found is not None:
        number, file = found
        src: str | None = f"/media/{number}"
        show = file.show
    elif url is not None:
        src = url
        try:
            suffix = PurePosixPath(urlsplit(url).path).suffix.lower()
        except ValueError:  # an unbalanced "[" in the host
            suffix = ""
        show = "video" if suffix in VIDEO_SUFFIXES else "image" if suffix in IMAGE_SUFFIXES else "link"
    else:
        src, show = None, "link"
    return {"kind": item.kind, "label": item.label, "url": url, "src": src, "show": show}


def memories_json(reply: Reply) -> list[dict[str, object]]:
    """What ``reply``'s prompt recalled, oldest first, each as :func:`shizu.memory.describe` writes it."""
    return [describe(r.id, r.memory, reply.situation.persona) for r in reply.memories]
