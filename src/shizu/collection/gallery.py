"""The collection as a web page that looks like Discord: ``shizu collection export OUT.html``.

One self-contained HTML file (no scripts, no external fonts or styles): each starred exchange shows
the message the persona answered and the persona's burst under it, with names, avatars (initials)
and times, Discord's dark theme and a little of its markdown (bold, italics, strike-through, inline
code, links). Images the persona sent are embedded from their local file when the export had one
(Discord attachment links expire), else shown from their URL; other media are links.
``render_items`` gives the list alone, with :data:`GALLERY_CSS`, for pages that embed it (the web
page passes ``local``, so local files are its ``/media/N`` links instead of embedded copies).

An export is data someone else may have written, so nothing in it becomes active
(docs/security.md; the web server applies the same rules, :mod:`shizu.frontends.web.inert`): every
text is escaped; a link or an image
source is only ever an ``http``/``https`` URL (a ``javascript:``, ``data:``, ``vbscript:`` or
``file:`` URL is shown as text); a local file is used only when it passes the path rule and its
bytes are a PNG, JPEG, GIF or WebP picture (then embedded as ``data:image/...``, the only other
source the page has); no style attribute is written (avatar colours are classes). The whole page
carries a Content-Security-Policy that allows no script at all, no request but pictures, and only
its own style sheet (by hash).
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from shizu.chat.media import MediaItem
from shizu.store.exchanges import SentMessage, Starred

MAX_EMBEDDED_BYTES = 4 * 1024 * 1024  # local images up to this size are embedded in the page
LocalSource = Callable[[MediaItem], "tuple[str, bool] | None"]  # item -> (src of its local file, is a picture)
_WEB_URL_RE = re.compile(r"https?://[^\s\x00-\x1f\x7f]+", re.IGNORECASE)
_IMAGE_URL_RE = re.compile(r"\.(png|jpe?g|gif|webp)(\?|$)", re.IGNORECASE)
_AVATAR_COLOURS = ("#5865f2", "#3ba55c", "#faa61a", "#ed4245", "#eb459e", "#1abc9c", "#e67e22", "#9b59b6")

GALLERY_CSS = """
.shizu-gallery { max-width: 860px; margin: 0 auto; padding: 24px 16px; color: #dbdee1;
  font: 16px/1.375 "gg sans", "Noto Sans", "Helvetica Neue", Helvetica, Arial, sans-serif; }
.shizu-gallery h1 { color: #f2f3f5; font-size: 24px; margin: 0 0 4px; }
.shizu-gallery .count { color: #949ba4; margin: 0 0 24px; }
.shizu-gallery .empty { color: #949ba4; font-style: italic; }
.shizu-gallery .exchange { background: #2b2d31; border-radius: 8px; padding: 12px 16px 16px; margin: 0 0 16px; }
.shizu-gallery .where { color: #949ba4; font-size: 12px; margin: 0 0 8px; }
.shizu-gallery .msg { display: flex; gap: 16px; margin-top: 12px; }
.shizu-gallery .avatar { flex: 0 0 40px; height: 40px; border-radius: 50%; color: #fff; font-weight: 600;
  display: flex; align-items: center; justify-content: center; }
.shizu-gallery .name { font-weight: 500; }
.shizu-gallery .bot { background: #5865f2; color: #fff; font-size: 10px; font-weight: 600; border-radius: 3px;
  padding: 1px 4px; margin-left: 4px; vertical-align: 2px; }
.shizu-gallery .time { color: #949ba4; font-size: 12px; margin-left: 6px; }
.shizu-gallery .reply-to { color: #b5bac1; font-size: 14px; margin: 12px 0 -8px 56px; white-space: nowrap;
  overflow: hidden; text-overflow: ellipsis; }
.shizu-gallery .reply-to::before { content: "\\2570\\2500 "; color: #4e5058; }
.shizu-gallery .text { white-space: pre-wrap; word-wrap: break-word; }
.shizu-gallery .text + .text { margin-top: 2px; }
.shizu-gallery code { background: #1e1f22; border-radius: 3px; padding: 0 3px; font-size: 85%; }
.shizu-gallery a { color: #00a8fc; text-decoration: none; }
.shizu-gallery .emoji { color: #b5bac1; }
.shizu-gallery img.media { display: block; max-width: 400px; max-height: 300px; border-radius: 8px; margin-top: 4px; }
.shizu-gallery .file { display: inline-block; background: #2e3035; border: 1px solid #1e1f22; border-radius: 8px;
  padding: 8px 12px; margin-top: 4px; }
""" + "".join(
    f".shizu-gallery .avatar.c{i} {{ background: {c}; }} .shizu-gallery .name.c{i} {{ color: {c}; }}\n"
    for i, c in enumerate(_AVATAR_COLOURS)
)

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{policy}">
<meta name="referrer" content="no-referrer">
<title>{title}</title>
<style>{style}</style>
</head>
<body>
{items}
</body>
</html>
"""


def render_gallery(items: Sequence[Starred], *, title: str, zone: ZoneInfo) -> str:
    """The whole page: ``title``, then every starred exchange (times written in ``zone``)."""
    style = f"\nbody {{ margin: 0; background: #313338; }}\n{GALLERY_CSS}"
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    policy = f"default-src 'none'; img-src data: http: https:; style-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"
    return _PAGE.format(title=html.escape(title), policy=policy, style=style, items=render_items(items, title=title, zone=zone))


def render_items(items: Sequence[Starred], *, title: str, zone: ZoneInfo, local: LocalSource | None = None) -> str:
    """The gallery as one ``<div class="shizu-gallery">`` (style it with :data:`GALLERY_CSS`).

    ``local`` gives where a page gets an item's local file and whether it is a picture; without
    it, local pictures are embedded (``data:`` URIs) and other local files are left out.
    """
    count = f"{len(items)} starred {'exchange' if len(items) == 1 else 'exchanges'}"
    parts = [f'<div class="shizu-gallery">\n<h1>{html.escape(title)}</h1>\n<p class="count">{count}</p>']
    if not items:
        parts.append('<p class="empty">Nothing starred yet: react with \u2b50 to one of the bot\'s messages.</p>')
    parts.extend(_exchange(item, zone, local or _embedded) for item in items)
    parts.append("</div>")
    return "\n".join(parts)


def _exchange(item: Starred, zone: ZoneInfo, local: LocalSource) -> str:
    ex = item.exchange
    snippet = " ".join(ex.trigger_text.split())
    where = f"{html.escape(ex.place)} \u00b7 \u2b50 {html.escape(item.by_name or item.by_id)} \u00b7 {_time(item.at, zone)}"
    trigger = _message(ex.trigger_author, _time(ex.trigger_time, zone), [_text(ex.trigger_text)], bot=False)
    body = [_persona_message(m, local) for m in ex.messages]
    reply = _message(ex.persona, _time(ex.created, zone), body, bot=True)
    reply_to = f'<div class="reply-to">@{html.escape(ex.trigger_author)} {html.escape(snippet[:120])}</div>'
    return (
        f'<section class="exchange" id="exchange-{ex.id}">\n<div class="where">{where}</div>\n'
        f"{trigger}\n{reply_to}\n{reply}\n</section>"
    )


def _message(author: str, when: str, blocks: list[str], *, bot: bool) -> str:
    colour = f"c{int(hashlib.sha256(author.encode()).hexdigest(), 16) % len(_AVATAR_COLOURS)}"
    initial = html.escape(author.strip()[:1].upper() or "?")
    tag = '<span class="bot">BOT</span>' if bot else ""
    head = f'<div><span class="name {colour}">{html.escape(author)}</span>{tag}<span class="time">{when}</span></div>'
    return (
        f'<div class="msg"><div class="avatar {colour}">{initial}</div>'
        f'<div>{head}{"".join(blocks)}</div></div>'
    )


def _persona_message(message: SentMessage, local: LocalSource) -> str:
    text = _text(message.body) if message.body.strip() else ""
    return text + "".join(_media(item, local) for item in message.media)


def _text(text: str) -> str:
    return f'<div class="text">{markdown(text)}</div>'


def _media(item: MediaItem, local: LocalSource) -> str:
    """A picture, a link or the label alone: sources only from ``local`` or a web URL."""
    label = html.escape(item.label)
    url = web_url(item.url)
    found = local(item)
    if found is not None:
        src, picture = found
        if picture:
            return f'<img class="media" src="{html.escape(src)}" alt="{label}">'
        return f'<div><a class="file" href="{html.escape(src)}">{label}</a></div>'
    if url is None:
        return f'<div><span class="file">{label}</span></div>'
    if item.kind in ("image", "gif") and _IMAGE_URL_RE.search(url):
        return f'<a href="{html.escape(url)}"><img class="media" src="{html.escape(url)}" alt="{label}"></a>'
    return f'<div><a class="file" href="{html.escape(url)}">{label}</a></div>'


def _embedded(item: MediaItem) -> tuple[str, bool] | None:
    """A ``data:`` URI of the item's local file, if it passes the path rule
    (:meth:`~shizu.chat.media.MediaItem.local_file`, checked now), its bytes are a picture
    (:func:`picture_type`) and it is small enough."""
    path = item.local_file()
    try:
        if path is None or path.stat().st_size > MAX_EMBEDDED_BYTES:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    mime = picture_type(data[:16])
    return None if mime is None else (f"data:{mime};base64,{base64.b64encode(data).decode()}", True)


def web_url(url: str | None) -> str | None:
    """``url`` if it is an ``http``/``https`` URL with no space or control character in it, else ``None``.

    The one test for what a page or exported HTML may link to or load (besides the server's own
    ``/media/N``). It is made on the string as written, with no parsing a browser could read
    differently: ``javascript:``, ``data:``, ``vbscript:``, ``file:``, relative paths and URLs
    with leading spaces or control characters all fail.
    """
    return url if url and _WEB_URL_RE.fullmatch(url) else None


def picture_type(head: bytes) -> str | None:
    """``image/png``, ``image/jpeg``, ``image/gif`` or ``image/webp`` when a file's first bytes
    (12 are enough) are that picture format's signature; else ``None``. The name proves nothing."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


_TOKEN_RE = re.compile(
    r"`(?P<code>[^`\n]+)`"
    r"|(?P<url>https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]])"
    r"|<a?:(?P<emoji>[A-Za-z0-9_~\-]+):\d+>"
)
_EMPHASIS = (
    (re.compile(r"\*\*(.+?)\*\*", re.DOTALL), r"<strong>\1</strong>"),
    (re.compile(r"__(.+?)__", re.DOTALL), r"<u>\1</u>"),
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", re.DOTALL), r"<em>\1</em>"),
    (re.compile(r"(?<!\w)_(?!\s)(.+?)(?<!\s)_(?!\w)", re.DOTALL), r"<em>\1</em>"),
    (re.compile(r"~~(.+?)~~", re.DOTALL), r"<s>\1</s>"),
)


def markdown(text: str) -> str:
    """``text`` escaped for HTML, with Discord's everyday markdown, custom emoji and links.

    Inline code, links and emoji are kept whole: no emphasis is read inside them.
    """
    out = []
    pos = 0
    for m in _TOKEN_RE.finditer(text):
        out.append(_emphasis(text[pos:m.start()]))
        if m.group("code") is not None:
            out.append(f"<code>{html.escape(m.group('code'))}</code>")
        elif m.group("url") is not None:
            url = html.escape(m.group("url"))
            out.append(f'<a href="{url}">{url}</a>')
        else:
            out.append(f'<span class="emoji">:{html.escape(m.group("emoji"))}:</span>')
        pos = m.end()
    out.append(_emphasis(text[pos:]))
    return "".join(out)


def _emphasis(text: str) -> str:
    text = html.escape(text)
    for pattern, replacement in _EMPHASIS:
        text = pattern.sub(replacement, text)
    return text


def _time(ts: datetime, zone: ZoneInfo) -> str:
    local = ts.astimezone(zone)
    return f"{local:%d/%m/%Y %H:%M} {local.tzname()}"
