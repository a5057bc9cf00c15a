"""The exchange log, the collection (migration 2) and its Discord-like gallery page."""

from __future__ import annotations

import base64
import hashlib
import re
import sqlite3
from dataclasses import replace
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from clock import NOW
from shizu.chat.media import MediaItem
from shizu.cli import app
from shizu.collection import Exchange, ExchangeLog, SentMessage, export_gallery
from shizu.collection.gallery import markdown, render_gallery, render_items
from shizu.errors import ShizuError
from shizu.store import MessageStore
from shizu.store.migrations import MIGRATIONS
from shizu.workspace import Workspace

T0 = NOW  # the first exchange's trigger; the others and the stars come after it
PNG = b"\x89PNG\r\n\x1a\n fake"


def exchange(trigger_id: str, messages: list[SentMessage], *, text: str = "best pizza?", minutes: int = 0) -> Exchange:
    return Exchange(
        platform="discord", channel_id="10", place="#general (Cozy)", trigger_id=trigger_id, trigger_author="Alice",
        trigger_text=text, trigger_time=T0 + timedelta(minutes=minutes), context_ids=("1", trigger_id), persona="Mika",
        messages=tuple(messages), backend="tiny (transformers, cpu)", stop="end-of-turn", queued_ms=12, latency_ms=840,
        created=T0 + timedelta(minutes=minutes, seconds=2),
    )


def test_migration_2_adds_the_exchange_log_and_the_collection(tmp_path: Path) -> None:
    MessageStore(tmp_path / "s.db").close()
    db = sqlite3.connect(tmp_path / "s.db")
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"exchanges", "exchange_messages", "collection"} <= tables


def test_exchanges_are_recorded_and_their_messages_found_again(tmp_path: Path) -> None:
    with MessageStore(tmp_path / "s.db") as store:
        log = ExchangeLog(store)
        first = log.record(exchange("2", [SentMessage(("100",), "pineapple", "pineapple"), SentMessage(("101", "102"), "long", "long")]))
        second = log.record(exchange("3", []))
        assert (first, second) == (1, 2)
        assert log.persona_texts(["100", "101", "102", "999"]) == {"100": "pineapple", "101": "long", "102": ""}
        assert log.persona_texts(str(i) for i in range(2000)) == {"100": "pineapple", "101": "long", "102": ""}
        assert log.collection() == []


def test_the_first_star_puts_the_exchange_in_the_collection(tmp_path: Path) -> None:
    cat = MediaItem("gif", "cat vibing", "https://tenor.com/view/cat-vibing-gif-1")
    with MessageStore(tmp_path / "s.db") as store:
        log = ExchangeLog(store)
        log.record(exchange("2", [SentMessage(("100",), "a", "a")]))
        log.record(exchange("3", [SentMessage(("200",), f"b {cat.url}", "b", (cat,))], minutes=5))
        assert log.star("999", "7", "Bob", T0) is None  # not a persona message
        assert log.star("200", "7", "Bob", T0 + timedelta(hours=1)) == 2
        assert log.star("200", "8", "Cleo", T0 + timedelta(hours=2)) is None  # already there: the first star counts
        assert log.star("100", "8", "Cleo", T0 + timedelta(hours=3)) == 1
        first, second = log.collection()
    assert (first.exchange.id, first.by_name, first.at) == (1, "Cleo", T0 + timedelta(hours=3))
    assert (second.exchange.id, second.by_id, second.by_name) == (2, "7", "Bob")
    assert second.exchange == replace(exchange("3", [SentMessage(("200",), f"b {cat.url}", "b", (cat,))], minutes=5), id=2)


def test_the_gallery_looks_like_discord_and_escapes_everything(tmp_path: Path) -> None:
    picture = tmp_path / "cat_pic.png"
    picture.write_bytes(PNG)
    items = (
        MediaItem("image", "cat pic", "https://cdn.discordapp.com/attachments/1/2/cat_pic.png", str(picture), str(tmp_path)),
        MediaItem("gif", "cat vibing", "https://tenor.com/view/cat-vibing-gif-1"),
        MediaItem("image", "gone", "https://example.com/gone.png", str(tmp_path / "missing.png")),
    )
    with MessageStore(tmp_path / "s.db") as store:
        log = ExchangeLog(store)
        log.record(exchange("2", [SentMessage(("100",), "**so** <good> <:blob:123>", "**so** <good> <:blob:123>", items)],
                            text="<script>alert(1)</script> pizza?"))
        log.star("100", "7", "Bob", T0 + timedelta(hours=1))
        page = render_gallery(log.collection(), title="Mika Messages", zone=ZoneInfo("Europe/Paris"))
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; pizza?" in page
    assert "<strong>so</strong> &lt;good&gt; <span class=\"emoji\">:blob:</span>" in page
    assert f'src="data:image/png;base64,{base64.b64encode(PNG).decode()}"' in page
    assert '<a class="file" href="https://tenor.com/view/cat-vibing-gif-1">cat vibing</a>' in page
    assert '<img class="media" src="https://example.com/gone.png" alt="gone">' in page
    assert '<span class="bot">BOT</span>' in page
    assert "#general (Cozy) \u00b7 \u2b50 Bob \u00b7 02/03/2024 23:14 CET" in page
    assert "<h1>Mika Messages</h1>\n<p class=\"count\">1 starred exchange</p>" in page


def test_markdown_keeps_code_links_and_emoji_whole() -> None:
    assert markdown("*hi* __u__ ~~no~~ `a*b*c` https://x.io/a_b_c.") == (
        '<em>hi</em> <u>u</u> <s>no</s> <code>a*b*c</code> <a href="https://x.io/a_b_c">https://x.io/a_b_c</a>.'
    )
    assert markdown('https://x.io/"onmouseover=1') == '<a href="https://x.io/">https://x.io/</a>&quot;onmouseover=1'


def test_collection_export_writes_the_page(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "ws", name="Mika")
    with ws.open_store() as store:
        log = ExchangeLog(store)
        log.record(exchange("2", [SentMessage(("100",), "pineapple", "pineapple")]))
        log.star("100", "7", "Bob", T0)
    out = tmp_path / "out" / "mika.html"
    result = CliRunner().invoke(app, ["collection", "export", str(out), "-w", str(ws.root)])
    assert result.exit_code == 0, result.output
    assert result.output.replace("\n", "") == f"Wrote 1 starred exchange(s) to {out}"
    page = out.read_text(encoding="utf-8")
    assert "<title>Mika Messages</title>" in page and "pineapple" in page


def test_exporting_an_empty_collection_says_how_to_fill_it(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "ws", name="Mika")
    out = tmp_path / "empty.html"
    assert export_gallery(ws, out) == 0
    assert "Nothing starred yet: react with \u2b50 to one of the bot's messages." in out.read_text(encoding="utf-8")
    with pytest.raises(ShizuError, match="Cannot write"):
        export_gallery(ws, tmp_path)  # a folder, not a file


class _Links(HTMLParser):
    """Every ``href`` and ``src`` of a page, and whether it has style attributes or event handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.active: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src"):
                self.urls.append(value or "")
            elif name == "style" or name.startswith("on"):
                self.active.append(f"{tag} {name}")


def links(page: str) -> _Links:
    parser = _Links()
    parser.feed(page)
    return parser


BAD_URLS = [
    "javascript:alert(1)", "JavaScript:window.__pwned=1", " javascript:alert(1)", "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>", "data:image/svg+xml,<svg onload=alert(1)>", "vbscript:msgbox(1)",
    "file:///etc/passwd", "//evil.example/x.png", "/etc/passwd", "https:\\\\evil.example", "\\\\evil.example\\x.png",
]


@pytest.mark.parametrize("url", BAD_URLS)
def test_only_web_urls_become_links_or_sources(tmp_path: Path, url: str) -> None:
    items = (MediaItem("image", "evil.png", url), MediaItem("gif", "evil gif", url + "#.gif"), MediaItem("link", "fine", "https://ok.example/"))
    text = f"see {url} and [x]({url}) <{url}>"
    with MessageStore(tmp_path / "s.db") as store:
        log = ExchangeLog(store)
        log.record(exchange("2", [SentMessage(("100",), text, text, items)], text=f"look {url}"))
        log.star("100", "7", url, T0)
        starred = log.collection()
    exported = render_gallery(starred, title=url, zone=ZoneInfo("UTC"))
    served = render_items(starred, title=url, zone=ZoneInfo("UTC"), local=lambda item: None)
    for page in (exported, served):
        found = links(page)
        assert found.urls == ["https://ok.example/"]  # the one web URL; the others are text
        assert found.active == []
        assert '<span class="file">evil.png</span>' in page and '<span class="file">evil gif</span>' in page


def test_the_export_embeds_only_local_pictures_proven_by_their_bytes(tmp_path: Path) -> None:
    export = tmp_path / "export"
    export.mkdir()
    secret = tmp_path / "secret.png"
    secret.write_bytes(PNG + b" private")
    files = {
        "pic.png": PNG, "page.html": b"<script>alert(1)</script>", "cat.png": b"<html><script>alert(1)</script>",
        "drawing.svg": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    }
    for name, content in files.items():
        (export / name).write_bytes(content)
    (export / "link.png").symlink_to(secret)
    items = tuple(MediaItem("image", name, "", str(export / name), str(export)) for name in [*files, "link.png"])
    items += (MediaItem("image", "no root", "", str(export / "pic.png")), MediaItem("image", "outside", "", str(secret), str(export)))
    with MessageStore(tmp_path / "s.db") as store:
        log = ExchangeLog(store)
        log.record(exchange("2", [SentMessage(("100",), "pics", "pics", items)]))
        log.star("100", "7", "Bob", T0)
        page = render_gallery(log.collection(), title="Mika Messages", zone=ZoneInfo("UTC"))
    assert links(page).urls == [f"data:image/png;base64,{base64.b64encode(PNG).decode()}"]
    assert str(tmp_path) not in page
    for name in ["page.html", "cat.png", "drawing.svg", "link.png", "no root", "outside"]:
        assert f'<span class="file">{name}</span>' in page


def test_the_exported_page_allows_no_script_and_only_its_own_style(tmp_path: Path) -> None:
    with MessageStore(tmp_path / "s.db") as store:
        log = ExchangeLog(store)
        log.record(exchange("2", [SentMessage(("100",), "hi", "hi")]))
        log.star("100", "7", "Bob", T0)
        page = render_gallery(log.collection(), title="</title><script>alert(1)</script>", zone=ZoneInfo("UTC"))
    policy = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page)
    style = re.search(r"<style>(.*?)</style>", page, re.DOTALL)
    assert policy is not None and style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert policy.group(1) == (
        f"default-src 'none'; img-src data: http: https:; style-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"
    )
    assert '<meta name="referrer" content="no-referrer">' in page
    assert "<script" not in page and links(page).active == []
    assert 'class="avatar c' in page and 'class="name c' in page  # colours are classes, not style attributes
