"""Media in chat messages: find them, label them, write them as tags.

Models cannot reproduce long URLs, so training text never contains one: every link, attachment,
GIF and sticker becomes a short tag such as ``[gif: cat vibing]``. The persona's own media are
collected in the catalogue (``media.json``), which the runtime uses to turn a tag back into the real
item; a tag that is not in the catalogue is never sent.

Labels come from what a person would call the item: the Tenor/Giphy slug words, the file name,
the link preview's title, or the link's host and path words. Tokens that look like ids (more than four characters with a
digit, or more than 20 characters) are dropped, so labels carry no tracking ids or keys.
Catalogue labels are unique across the catalogue ("cat vibing", "cat vibing 2", ...).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import SplitResult, urlsplit

from shizu.chat.discord_markup import is_gif_url
from shizu.message import Embed, Message

MediaKind = Literal["gif", "image", "video", "sticker", "file", "link"]
MEDIA_KINDS: tuple[MediaKind, ...] = ("gif", "image", "video", "sticker", "file", "link")

MAX_LABEL_WORDS = 8
MAX_LABEL_CHARS = 60
MAX_WORD_CHARS = 20  # longer tokens in URLs and file names are ids or keys, never label words

# A Discord masked link "[text](url)", or a bare URL (optionally in <...>, which suppresses embeds);
# "www." links without a scheme count too (people paste them; a model would copy them).
URL_RE = re.compile(
    r"\[([^\]\n]{1,200})\]\(<?(https?://[^\s<>()]+)>?\)|<?((?:https?://|(?<![\w.@/])www\.)[^\s<>]+)>?", re.IGNORECASE
)
_TRAILING = ".,;:!?'\"*_~"
_WORD_RE = re.compile(r"[^\W_]+")
_IMAGE_EXT = {"png", "jpg", "jpeg", "webp", "bmp", "heic", "heif", "avif", "tif", "tiff"}
_VIDEO_EXT = {"mp4", "mov", "webm", "mkv", "avi", "m4v"}
_CDN_HOSTS = ("cdn.discordapp.com", "media.discordapp.net")


# Stable reason codes for media dropped on the way to the catalogue (counted in the build report).
LOCAL_OUTSIDE = "media-path-outside-export"  # a local file that resolves outside its export's folder
URL_SCHEME = "media-url-scheme"  # a URL that is not http(s) (javascript:, data:, a file:// not checked)
WEB_SCHEMES = ("http", "https")


def contained_file(reference: str | Path, root: str | Path) -> Path | None:
    """The regular file ``reference`` names inside folder ``root``, or ``None``.

    The one rule for files an export refers to (used when importing, building and again at every
    use: serving, uploading, embedding): ``reference`` (relative to ``root``, or absolute) is
    resolved with symlinks followed, and only a path that stays inside ``root`` (also resolved)
    and is a regular file passes. ``..``, absolute paths elsewhere and symlinks pointing out fail.
    """
    try:
        base = Path(root).resolve(strict=True)
        target = (base / reference).resolve(strict=True)
    except (OSError, RuntimeError, ValueError):
        return None
    return target if target.is_relative_to(base) and target.is_file() else None


def is_web_url(url: str) -> bool:
    """An ``http``/``https`` URL: the only kind a page may link to or a catalogue may keep."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in WEB_SCHEMES and bool(parts.netloc)


@dataclass(frozen=True, slots=True)
class MediaRef:
    """One media item in one message, before the catalogue gives it its final (unique) label."""

    kind: MediaKind
    label: str
    url: str
    key: str  # identity in the catalogue (URL without expiring signature, or sticker id)
    local_path: str | None = None
    local_root: str | None = None  # the folder of the export the local file must stay inside


@dataclass(frozen=True, slots=True)
class MediaItem:
    """One thing the persona sent: its kind, label, real URL and, when exported, the local file."""

    kind: str
    label: str
    url: str
    local_path: str | None = None
    local_root: str | None = None  # the export's folder; without it the local file is never used

    @property
    def tag(self) -> str:
        return make_tag(self.kind, self.label)

    def local_file(self) -> Path | None:
        """The local file, checked again now (:func:`contained_file`); ``None`` when it does not pass."""
        if not self.local_path or not self.local_root:
            return None
        return contained_file(self.local_path, self.local_root)


def export_folder(source: str) -> str | None:
    """The folder an export file lies in (``Message.source``); ``None`` inside a zip archive."""
    if not source or "!" in source:
        return None
    return str(Path(source).parent)


def make_tag(kind: str, label: str) -> str:
    return f"[{kind}: {label}]"


def has_link(text: str) -> bool:
    """Cheap test: could ``text`` hold a link :data:`URL_RE` finds?"""
    return "://" in text or "www." in text.lower()


def split_text(text: str, embeds: tuple[Embed, ...] = ()) -> list[str | MediaRef]:
    """``text`` cut into plain pieces and the links in it (each link a :class:`MediaRef`).

    A link preview (embed) with the same URL lends its title as the label.
    """
    if not has_link(text):
        return [text] if text else []
    titles = {e.url: e for e in embeds if e.url}
    pieces: list[str | MediaRef] = []
    pos = 0
    for m in URL_RE.finditer(text):
        masked_text, masked_url, bare_url = m.groups()
        start, end = m.span()
        url = masked_url
        if bare_url:
            url = _trim_url(bare_url)
            end = m.start(3) + len(url)
            if url[:4].lower() == "www.":
                url = "https://" + url
            if text[end:end + 1] == ">" and text[start] == "<":
                end += 1
            elif text[start] == "<":
                start += 1
        if start > pos:
            pieces.append(text[pos:start])
        embed = titles.get(url)
        pieces.append(link_ref(url, title=masked_text or (embed.title if embed else ""), embed=embed))
        pos = end
    if pos < len(text):
        pieces.append(text[pos:])
    return pieces


def message_refs(msg: Message, linked: set[str]) -> Iterator[MediaRef]:
    """The media attached to ``msg``: attachments, stickers, and embeds not already linked in its text."""
    for att in msg.attachments:
        name = att.filename or _split(att.url).path.rsplit("/", 1)[-1]
        kind = _kind_from_path(name, default="file")
        yield MediaRef(
            kind=kind,
            label=file_label(name) or kind,
            url=att.url,
            key=url_key(att.url),
            local_path=att.local_path,
            local_root=export_folder(msg.source) if att.local_path else None,
        )
    for sticker in msg.stickers:
        yield MediaRef(
            kind="sticker", label=clean_label(sticker.name) or "sticker", url=sticker.url, key=f"sticker:{sticker.id}"
        )
    for embed in msg.embeds:
        if not embed.url:
            if embed.kind == "link":
                continue  # a link preview without a link says nothing
            # A GIF/image/video the export names without a link (a WhatsApp "GIF omitted", a Telegram
            # animation that was not exported): a tag in the text, never a catalogue entry.
            label = clean_label(embed.title) or embed.kind
            yield MediaRef(kind=embed.kind, label=label, url="", key=f"{embed.kind}:{label}")
        elif embed.url not in linked:
            yield link_ref(embed.url, title=embed.title, embed=embed)


def link_ref(url: str, title: str = "", embed: Embed | None = None) -> MediaRef:
    """A :class:`MediaRef` for a URL: GIF services, direct image/video files, or a plain link."""
    if is_gif_url(url) or (embed is not None and embed.kind == "gif"):
        kind: MediaKind = "gif"
    else:
        kind = _kind_from_path(_split(url).path, default="link")
        if kind == "link" and embed is not None and embed.kind in ("image", "video") and not title:
            kind = embed.kind
    label = ""
    if kind == "gif":
        label = gif_label(url)
    if not label:
        label = clean_label(title)
    if not label:
        label = file_label(_split(url).path.rsplit("/", 1)[-1]) if kind in ("image", "video") else ""
    if not label:
        label = url_label(url)
    return MediaRef(kind=kind, label=label or kind, url=url, key=url_key(url))


def gif_label(url: str) -> str:
    """Words of a Tenor / Giphy slug: ``tenor.com/view/cat-vibing-gif-123`` -> ``cat vibing``."""
    parts = _split(url)
    segment = parts.path.rstrip("/").rsplit("/", 1)[-1]
    tokens = [t for t in re.split(r"[-_]", segment) if t]
    host = (parts.hostname or "").lower()
    if len(tokens) > 1 and ("giphy" in host or tokens[-1].isdigit()):
        tokens = tokens[:-1]  # slugs end with the id (Tenor: digits, Giphy: letters and digits)
    words = [t for t in _words(" ".join(tokens)) if t.lower() not in ("gif", "gifs")]
    if len(words) == 1 and words[0].lower() in ("giphy", "tenor", "view"):
        return ""
    return " ".join(words[:MAX_LABEL_WORDS])


def url_label(url: str) -> str:
    """Host and path words: ``https://www.youtube.com/watch?v=x`` -> ``youtube.com watch``.

    The query is left out, and so is every path segment with an id-like token in it.
    """
    parts = _split(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    words = [w for segment in parts.path.split("/") if not _has_id(segment) for w in _words(segment)]
    return " ".join([host, *words][:MAX_LABEL_WORDS]).strip()


def file_label(filename: str) -> str:
    """A file name as words, without ``SPOILER_`` and the extension: ``cat_pic.png`` -> ``cat pic``."""
    name = filename.rsplit("\\", 1)[-1].removeprefix("SPOILER_")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return " ".join(_words(stem)[:MAX_LABEL_WORDS])


def clean_label(text: str) -> str:
    """Free text (an embed title, a sticker name) made safe for a tag: no URLs, no brackets, short."""
    text = URL_RE.sub(" ", text)
    text = " ".join(text.replace("[", " ").replace("]", " ").split())
    if len(text) > MAX_LABEL_CHARS:
        text = text[:MAX_LABEL_CHARS].rsplit(" ", 1)[0]
    return text


def url_key(url: str) -> str:
    """Catalogue identity of a URL: Discord CDN links lose their expiring signature (query)."""
    parts = _split(url)
    if (parts.hostname or "").lower() in _CDN_HOSTS:
        return f"{parts.scheme}://{parts.netloc}{parts.path}"
    return url.split("#", 1)[0]


def _words(text: str) -> list[str]:
    """Word tokens without id-like ones: over four characters with a digit, or over 20 characters."""
    return [
        w for w in _WORD_RE.findall(text)
        if len(w) <= 4 or (len(w) <= MAX_WORD_CHARS and not any(c.isdigit() for c in w))
    ]


def _split(url: str) -> SplitResult:
    """``urlsplit`` that never raises: chat text holds malformed links (``http://[oops``)."""
    try:
        return urlsplit(url)
    except ValueError:
        return SplitResult("", "", url, "", "")


def _has_id(segment: str) -> bool:
    """A path segment holding an id-like token is dropped whole (tokens hide in such segments)."""
    return len(_words(segment)) < len(_WORD_RE.findall(segment))


def _kind_from_path(path: str, default: MediaKind) -> MediaKind:
    ext = path.rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else ""
    if ext == "gif":
        return "gif"
    if ext in _IMAGE_EXT:
        return "image"
    if ext in _VIDEO_EXT:
        return "video"
    return default if not ext or default == "link" else "file"


def _trim_url(url: str) -> str:
    """Drop sentence punctuation glued to a URL's end, keeping balanced parentheses."""
    while url and (url[-1] in _TRAILING or (url[-1] == ")" and url.count("(") < url.count(")"))):
        url = url[:-1]
    return url
