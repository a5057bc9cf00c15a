"""The exchange log and the collection: what the persona said, and the replies people starred.

Frontends record each answer in the exchange log (:class:`ExchangeLog`, workspace database,
migration 2); a ⭐ reaction on one of the bot's messages puts its exchange in the collection (the
"Shizu Messages" page of the origin story). :func:`export_gallery` writes the collection as a
web page that looks like Discord (``shizu collection export OUT.html``); the web server shows the
same list with :func:`shizu.collection.gallery.render_items`.
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from shizu.collection.gallery import render_gallery
from shizu.errors import ShizuError
from shizu.store.exchanges import Exchange, ExchangeLog, SentMessage, Starred
from shizu.workspace import Workspace

__all__ = ["Exchange", "ExchangeLog", "SentMessage", "Starred", "export_gallery", "gallery_title"]


def gallery_title(ws: Workspace, items: list[Starred]) -> str:
    """"Mika Messages": the persona's name (as it last answered) and the page's purpose."""
    name = items[0].exchange.persona if items else (ws.config.persona.name or "Shizu")
    return f"{name} Messages"


def export_gallery(ws: Workspace, out: Path) -> int:
    """Write the workspace's collection to ``out`` as one HTML page; returns how many exchanges."""
    with ws.open_store() as store:
        items = ExchangeLog(store).collection()
    page = render_gallery(items, title=gallery_title(ws, items), zone=ZoneInfo(ws.config.build.timezone))
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise ShizuError(f"Cannot write {out}: {exc.strerror or exc}", hint="Give a file path in a folder you can write to.") from None
    return len(items)
