"""What an export holds stays inert: links only to web URLs, local files only from their export's
folder, and files shown inline only when their bytes are a known picture, video or sound.

An export is data someone else may have written: a message can carry ``javascript:`` or ``data:``
links, an attachment can be an HTML or SVG page (scripts) named ``cat.png``, and a crafted export
can point a local path (or a symlink next to it) at any file of this machine. Everything here is
pure and small; the URL rule and the picture signatures are the collection gallery's
(:mod:`shizu.collection.gallery`, which the server's pages and the exported HTML share).

* :func:`web_url`: the only URLs a page or exported HTML links to or loads from are ``http://``
  and ``https://`` ones (besides the server's own ``/media/N``); anything else is shown as text.
* :func:`media_file`: a catalogue item's local file, checked again at every use, and its type.
* :func:`sniff`: the media type a file's first bytes prove; :data:`INLINE_TYPES` are the only
  types ever served inline, everything else is a download (``application/octet-stream``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from shizu.chat.media import MediaItem
from shizu.collection.gallery import picture_type, web_url

__all__ = ["DOWNLOAD_TYPE", "INLINE_TYPES", "MediaFile", "media_file", "sniff", "web_url"]

SNIFF_BYTES = 64  # enough for every signature below (an Ogg page's codec header starts at 28)

INLINE_TYPES = frozenset({
    "image/png", "image/jpeg", "image/gif", "image/webp", "image/avif",
    "video/mp4", "video/quicktime", "video/3gpp", "video/webm", "video/x-matroska", "video/ogg",
    "audio/mp4", "audio/mpeg", "audio/aac", "audio/ogg", "audio/wav", "audio/flac",
})
DOWNLOAD_TYPE = "application/octet-stream"


@dataclass(frozen=True)
class MediaFile:
    """A checked local file and the inline type its bytes prove (``None``: served as a download)."""

    path: Path
    inline_type: str | None

    @property
    def show(self) -> str:
        """How a page shows it: ``image``, ``video``, ``audio`` or ``link`` (a download)."""
        return self.inline_type.split("/")[0] if self.inline_type else "link"


def media_file(item: MediaItem) -> MediaFile | None:
    """The item's local file, checked again now (:meth:`~shizu.chat.media.MediaItem.local_file`: the
    project's one rule, resolved inside the export's folder recorded by ``shizu build``; an item
    without that folder has none), with its :func:`sniff`-ed type; or ``None``. The file served is
    the resolved path, not the recorded one."""
    path = item.local_file()
    if path is None:
        return None
    try:
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError:
        return None
    return MediaFile(path, sniff(head))


def sniff(head: bytes) -> str | None:
    """The media type proven by a file's first bytes, if it is on :data:`INLINE_TYPES`, else ``None``.

    Only the content counts: a name or an extension proves nothing.
    """
    found = picture_type(head) or _other_type(head)
    return found if found in INLINE_TYPES else None


def _other_type(head: bytes) -> str | None:
    brand = head[8:12]
    if head[:4] == b"RIFF" and brand == b"WAVE":
        return "audio/wav"
    if head[4:8] == b"ftyp":  # ISO base media: MP4, MOV, 3GP, M4A, AVIF (HEIC is not shown by browsers)
        return "video/3gpp" if brand[:3] == b"3gp" else _FTYP.get(brand, None if brand in _FTYP_OTHER else "video/mp4")
    if head.startswith(b"\x1a\x45\xdf\xa3"):  # EBML: WebM or Matroska
        return "video/webm" if b"webm" in head else "video/x-matroska"
    if head.startswith(b"OggS"):
        return "video/ogg" if b"\x80theora" in head else "audio/ogg"
    if head.startswith(b"fLaC"):
        return "audio/flac"
    if head.startswith(b"ID3"):
        return "audio/mpeg"
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return "audio/aac"  # an ADTS frame
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06:
        return "audio/mpeg"  # an MPEG audio frame (layer I to III)
    return None


_FTYP = {b"avif": "image/avif", b"avis": "image/avif", b"qt  ": "video/quicktime", b"M4A ": "audio/mp4", b"M4B ": "audio/mp4"}
_FTYP_OTHER = {b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1", b"crx "}
