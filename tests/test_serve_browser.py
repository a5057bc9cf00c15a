"""The web page in a real browser: Debian's Chromium, driven by Playwright, against a live server.

Chat (streaming typing indicator, one row per burst message, media shown, a star), the collection,
the blind test (answers change the score), the key dialog, and script payloads in every field
staying text. Every page runs under the server's Content-Security-Policy: a test fails on any
console error or warning (CSP violations are reported there, and by a ``securitypolicyviolation``
listener), any uncaught page error and any dialog (``alert``). Requests to other sites get a
one-pixel PNG (the machine may be offline). Screenshots go to ``test-artifacts/`` for people to
look at.
"""

from __future__ import annotations

import io
import random
import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from clock import NOW
from dataset_helpers import AL, DAY, DM_AL, ME, story
from persona_helpers import ScriptedBackend
from serve_helpers import CAT, REAL, example, live_server, make_site, memory_site, write_val
from shizu.chat.layout import Place, Turn
from shizu.chat.media import MediaItem
from shizu.collection import Exchange, ExchangeLog, SentMessage
from shizu.collection.gallery import render_gallery
from shizu.frontends.web.blind import BlindTest
from shizu.persona.media import MediaCatalogue
from shizu.store.feedback import FeedbackTable

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium: apt-get install -y chromium")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield browser
        browser.close()


# Reports every CSP violation on the console (where the fixture collects it), with what was blocked.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation",
  event => console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline code"}`));
"""
OTHER_SITES = re.compile(r"^https?://(?!127\.0\.0\.1[:/])")


def pixel() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (1, 1), "#5865f2").save(out, format="PNG")
    return out.getvalue()


def chat_ready(page: object) -> None:
    """Wait until the chat page has set itself up (it fills its fields from /api/info and the
    browser's storage then), so what a test types next is not overwritten."""
    from playwright.sync_api import expect

    expect(page).not_to_have_title("Shizu")  # type: ignore[arg-type]  (the page's script names the persona)


@pytest.fixture()
def page(browser: object) -> Iterator[object]:
    """A page that records console errors and warnings, page errors and dialogs; the test fails
    if there was any."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})  # type: ignore[attr-defined]
    context.set_default_timeout(15_000)
    context.add_init_script(REPORT_VIOLATIONS)
    image = pixel()
    context.route(OTHER_SITES, lambda route: route.fulfill(status=200, content_type="image/png", body=image))
    page = context.new_page()
    problems: list[str] = []

    def dialog(box: object) -> None:
        problems.append(f"dialog: {box.message}")  # type: ignore[attr-defined]
        box.dismiss()  # type: ignore[attr-defined]

    page.on("console", lambda message: problems.append(f"console {message.type}: {message.text}")
            if message.type in ("error", "warning") else None)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("dialog", dialog)
    yield page
    context.close()
    assert problems == []


def shot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))  # type: ignore[attr-defined]


def sunset(path: Path) -> Path:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (240, 150), "#ff9a5a")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 100, 240, 150), fill="#2a3b6e")
    draw.ellipse((90, 55, 150, 115), fill="#ffe27a")
    image.save(path)
    return path


def test_chat_streams_bubbles_with_media_and_stars_into_the_collection(tmp_path: Path, page: object) -> None:
    gate = threading.Event()
    backend = ScriptedBackend([
        ["omg hiii", "\nlook at this [image: sunset]", "\nso pretty ngl<|im_end|>"],
        ["wait **what** [gif: cat vibing]<|im_end|>"],
    ], gate=gate)
    catalogue = MediaCatalogue([
        MediaItem("image", "sunset", "https://cdn.discordapp.com/attachments/1/2/sunset.png?ex=1", str(sunset(tmp_path / "sunset.png")),
                  str(tmp_path)),
        MediaItem("gif", "cat vibing", CAT),
    ])
    site = make_site(tmp_path, backend, catalogue=catalogue)
    with live_server(site) as url:
        page.goto(url + "/")
        chat_ready(page)
        page.fill("#speaker", "Sam")
        page.fill("#text", "hey mika, what are you up to?")
        page.press("#text", "Enter")
        page.wait_for_selector("#typing:has-text('Mika is typing')")
        shot(page, "chat-typing")
        gate.set()
        page.wait_for_function("() => document.querySelectorAll('.msg.persona').length === 3")
        page.wait_for_function("() => document.querySelector('.msg.persona img').naturalWidth === 240")
        page.wait_for_selector("#typing:empty")
        shot(page, "chat")
        texts = page.locator(".msg.persona .text").all_inner_texts()
        image = page.locator(".msg.persona img").get_attribute("src")
        names = page.locator(".msg.first .name").all_inner_texts()

        page.locator(".msg.persona").nth(1).hover()
        page.locator(".msg.persona").nth(1).locator(".star").click()
        page.wait_for_selector(".star.on")

        page.select_option("#place-kind", "channel")
        page.fill("#channel", "memes")
        page.fill("#text", "look")
        page.press("#text", "Enter")
        page.wait_for_function("() => document.querySelectorAll('.msg.persona').length === 4")
        last = page.locator(".msg.persona").nth(3)
        gif_card = last.locator(".media .card").inner_text()
        bold = last.locator(".text strong").inner_text()
        header = page.locator(".topbar").inner_text()
        shot(page, "chat-channel")

        page.click("nav.rail a[href='/collection']")
        page.wait_for_selector(".shizu-gallery .exchange")
        gallery = page.locator(".shizu-gallery .exchange").all_inner_texts()
        shot(page, "collection")
    assert texts == ["omg hiii", "look at this", "so pretty ngl"]
    assert image == "/media/0"
    assert names == ["Sam", "Mika"]  # one header per run of messages, as in Discord
    assert (bold, gif_card, header.split()) == ("what", "GIF\ncat vibing", ["#", "memes", "with", "Mika"])
    assert "in #memes" in backend.prompts[1]
    assert backend.prompts[1].endswith(
        "Sam: hey mika, what are you up to?<|im_end|>\n<|im_start|>assistant\nomg hiii\nlook at this [image: sunset]\n"
        "so pretty ngl<|im_end|>\n<|im_start|>user\nSam: look<|im_end|>\n<|im_start|>assistant\n"
    )
    assert len(gallery) == 1
    assert "hey mika, what are you up to?" in gallery[0] and "so pretty ngl" in gallery[0]


def test_blind_test_answers_change_the_score(tmp_path: Path, page: object) -> None:
    site = make_site(tmp_path, ScriptedBackend([["hmm idk\nmaybe later"]]), catalogue=MediaCatalogue([MediaItem("gif", "cat vibing", CAT)]))
    write_val(site)
    site.blind = BlindTest(site.ws, rng=random.Random(3))

    def real_choice() -> tuple[str, str]:
        last = page.locator(".context .msg .text").last.inner_text()  # type: ignore[attr-defined]
        first_reply = page.locator("#choice-a .text").first.inner_text()  # type: ignore[attr-defined]
        real = REAL[last][0]["body"]
        return ("a", "b") if first_reply == real else ("b", "a")

    blind_requests: list[str] = []
    page.on("request", lambda request: blind_requests.append(request.method) if "/api/blind" in request.url else None)
    with live_server(site) as url:
        page.goto(url + "/blind")
        page.wait_for_selector(".choice .pick")
        before = page.locator("#score-all").inner_text()
        real, fake = real_choice()
        shot(page, "blind-question")
        page.click(f"#choice-{real} .pick")
        page.wait_for_selector(".outcome")
        right = (page.locator(".outcome .says").inner_text(), page.locator("#score-all").inner_text())
        verdicts = page.locator(".verdict").all_text_contents()
        shot(page, "blind-answered")
        page.click("#next")
        page.wait_for_selector(".choice .pick")
        real, fake = real_choice()
        page.click(f"#choice-{fake} .pick")
        page.wait_for_selector(".outcome")
        wrong = (page.locator(".outcome .says").inner_text(), page.locator("#score-all").inner_text())
        yours = page.locator("#score-you .what").inner_text()
    assert before == "–\nNobody has answered yet."
    assert right == ("Right: you spotted the real reply.", "100%\n1 of 1 answer picked the real reply.")
    assert sorted(verdicts) == ["Model", "Real"]
    assert wrong == (f"Fooled: reply {real.upper()} was the real one.", "50%\n1 of 2 answers picked the real reply.")
    assert yours == "1 of 2 answers picked the real reply."
    assert blind_requests == ["POST"] * 4  # two questions, two answers: nothing made by GET


def test_a_server_with_a_key_asks_for_it_once(tmp_path: Path, page: object) -> None:
    site = make_site(tmp_path, ScriptedBackend([["heyy"]]), key="open sesame")
    with live_server(site) as url:
        page.goto(url + "/")
        page.wait_for_selector(".dialog #key")
        page.fill("#key", "open sesam")
        page.press("#key", "Enter")
        page.wait_for_selector(".dialog .wrong:not([hidden])")
        warning = page.locator(".dialog .wrong").inner_text()
        shot(page, "key-dialog")
        page.fill("#key", "open sesame")
        page.press("#key", "Enter")
        page.wait_for_selector("#persona-title:has-text('Mika')")
        page.fill("#text", "hi")
        page.press("#text", "Enter")
        page.wait_for_selector(".msg.persona")
        reply = page.locator(".msg.persona .text").inner_text()
        page.goto(url + "/collection")
        page.wait_for_selector(".shizu-gallery")
        dialogs = page.locator(".dialog").count()
        script_sees = page.evaluate("document.cookie")
        [cookie] = page.context.cookies()
        page.context.clear_cookies()
        page.context.add_cookies([{**cookie, "value": "stale"}])
        page.goto(url + "/")
        page.wait_for_selector(".dialog .wrong:not([hidden])")
        stale = page.locator(".dialog .wrong").inner_text()
    assert warning == "The server did not accept this key."
    assert reply == "heyy"
    assert dialogs == 0  # the cookie carries the key to the other pages
    assert script_sees == ""  # HttpOnly: no script of the page can read it
    assert (cookie["name"], cookie["httpOnly"], cookie["sameSite"], cookie["path"], cookie["secure"]) == (
        "shizu_key", True, "Strict", "/", False)  # not Secure: the server listens on 127.0.0.1
    assert "open sesame" not in cookie["value"]
    assert stale == "The server did not accept the key this browser had."


# Script payloads, put in every field the pages show. None may run: each would set window.pwned
# or open a dialog (which the page fixture fails on).
XSS = '<img src=x onerror="window.pwned=1"><script>window.pwned=1</script>'
LABEL = "<svg onload=alert(1)>"
JS_URL = "javascript:window.pwned=1"
DATA_URL = "data:text/html,<script>window.pwned=1</script>"
ALLOWED_URL = r"^(https?://|/media/\d+$|/static/[a-z]+\.(css|js|svg)$|/collection\.css$|/$|/collection$|/blind$)"


def assert_inert(page: object) -> None:
    """No payload ran, and every link and source is http(s), /media/N or one of the server's own files."""
    assert page.evaluate("window.pwned") is None  # type: ignore[attr-defined]
    urls = page.evaluate("[...document.querySelectorAll('[href], [src]')].map(e => e.getAttribute('href') ?? e.getAttribute('src'))")  # type: ignore[attr-defined]
    assert [u for u in urls if not re.match(ALLOWED_URL, u)] == []
    handlers = "script:not([src]), [onerror], [onload], [onclick], [onmouseover], [onfocus], iframe, object, embed"
    assert page.evaluate(f"document.querySelectorAll('{handlers}').length") == 0  # type: ignore[attr-defined]


def test_script_payloads_in_every_field_stay_text(tmp_path: Path, page: object) -> None:
    export = tmp_path / "export"
    export.mkdir()
    (export / "cat.png").write_bytes(b"<html><script>window.pwned=1</script></html>")  # HTML with a picture's name
    (export / "drawing.svg").write_bytes(b'<svg xmlns="http://www.w3.org/2000/svg" onload="window.pwned=1"><script>window.pwned=1</script></svg>')
    catalogue = MediaCatalogue([
        MediaItem("image", LABEL, JS_URL),
        MediaItem("gif", "data gif", DATA_URL),
        MediaItem("file", "fake png", "https://cdn.discordapp.com/attachments/1/2/cat.png", str(export / "cat.png"), str(export)),
        MediaItem("image", "svg", "https://cdn.discordapp.com/attachments/1/2/drawing.svg", str(export / "drawing.svg"), str(export)),
        MediaItem("image", "remote", "https://cdn.example.org/sunset.png"),
        MediaItem("image", "local", "https://cdn.discordapp.com/attachments/1/2/sunset.png", str(sunset(export / "sunset.png")), str(export)),
    ])
    reply = (f"{XSS} {JS_URL} [click]({JS_URL}) **{XSS}**\n[image: {LABEL}] [gif: data gif] [file: fake png] [image: svg]\n"
             "[image: remote] [image: local]<|im_end|>")
    site = make_site(tmp_path, ScriptedBackend([[reply]]), catalogue=catalogue)
    write_val(site, [example("100:7:0", Place(kind="guild-text", channel="x<b>y", server=XSS), [
        Turn("Alice", False, (f"{XSS} {JS_URL}",)), Turn("Mika", True, (f"{XSS} [image: {LABEL}] [image: svg]",)),
    ])])
    with site.ws.open_store() as store:  # a starred Discord exchange with payloads in every field
        log = ExchangeLog(store)
        media = (catalogue.items[0], catalogue.items[1], catalogue.items[2])
        log.record(Exchange(
            platform="discord", channel_id="10", place=XSS, trigger_id="2", trigger_author=XSS, trigger_text=f"{XSS} {JS_URL}",
            trigger_time=NOW, context_ids=(), persona="Mika", messages=(SentMessage(("100",), XSS, f"{XSS} {JS_URL}", media),),
            backend="x", stop="end-of-turn", queued_ms=0, latency_ms=0, created=NOW + timedelta(seconds=2),
        ))
        log.star("100", "7", XSS, NOW)
    with live_server(site) as url:
        page.goto(url + "/")  # type: ignore[attr-defined]
        chat_ready(page)  # type: ignore[arg-type]
        page.fill("#speaker", XSS)  # type: ignore[attr-defined]
        page.select_option("#place-kind", "channel")  # type: ignore[attr-defined]
        page.fill("#channel", XSS)  # type: ignore[attr-defined]
        page.fill("#text", f"{XSS} {JS_URL}")  # type: ignore[attr-defined]
        page.press("#text", "Enter")  # type: ignore[attr-defined]
        page.wait_for_function("() => document.querySelectorAll('.msg.persona').length === 3")  # type: ignore[attr-defined]
        page.wait_for_function("() => document.querySelector('img[src=\"/media/5\"]').naturalWidth === 240")  # type: ignore[attr-defined]
        page.wait_for_function("() => document.querySelector('img[src=\"https://cdn.example.org/sunset.png\"]').naturalWidth === 1")  # type: ignore[attr-defined]
        for row in page.locator(".msg").all():  # type: ignore[attr-defined]
            row.hover()
        chat_texts = page.locator(".msg.persona .text").all_inner_texts()  # type: ignore[attr-defined]
        cards = page.locator(".msg.persona .card").all_inner_texts()  # type: ignore[attr-defined]
        card_links = page.locator(".msg.persona .card a").evaluate_all("links => links.map(a => a.getAttribute('href'))")  # type: ignore[attr-defined]
        assert_inert(page)
        shot(page, "payloads-chat")
        for path in ("/media/2", "/media/3"):  # the HTML and SVG files are downloads, never pages
            with page.expect_download() as download:  # type: ignore[attr-defined]
                page.evaluate("path => { const a = document.createElement('a'); a.href = path; document.body.append(a); a.click(); a.remove(); }", path)  # type: ignore[attr-defined]
            assert download.value.suggested_filename in ("cat.png", "drawing.svg")
        page.locator(".msg.persona").first.hover()  # type: ignore[attr-defined]
        page.locator(".msg.persona").first.locator(".star").click()  # type: ignore[attr-defined]
        page.wait_for_selector(".star.on")  # type: ignore[attr-defined]
        assert_inert(page)

        page.goto(url + "/collection")  # type: ignore[attr-defined]
        page.wait_for_selector(".shizu-gallery .exchange >> nth=1")  # type: ignore[attr-defined]
        for row in page.locator(".shizu-gallery .msg").all():  # type: ignore[attr-defined]
            row.hover()
        gallery = page.locator(".shizu-gallery").inner_text()  # type: ignore[attr-defined]
        assert_inert(page)
        shot(page, "payloads-collection")

        page.goto(url + "/blind")  # type: ignore[attr-defined]
        page.wait_for_selector(".choice .pick")  # type: ignore[attr-defined]
        for row in page.locator(".msg").all():  # type: ignore[attr-defined]
            row.hover()
        blind = page.locator(".blind").inner_text()  # type: ignore[attr-defined]
        assert_inert(page)
        shot(page, "payloads-blind")
    assert chat_texts[0] == f"{XSS} {JS_URL} [click]({JS_URL}) {XSS}"  # shown as the text it is
    assert cards == [f"IMAGE\n{LABEL}", "GIF\ndata gif", "FILE\nfake png", "IMAGE\nsvg"]  # the first two: labels only
    assert card_links == ["/media/2", "/media/3"]  # the HTML and SVG files: download links, never pictures
    assert gallery.count(XSS) >= 4 and LABEL in gallery and "data gif" in gallery
    assert XSS in blind and LABEL in blind


def test_the_exported_gallery_runs_no_script(tmp_path: Path, page: object) -> None:
    (tmp_path / "pic.png").write_bytes(pixel())
    items = (
        MediaItem("image", LABEL, JS_URL), MediaItem("image", "pic", "", str(tmp_path / "pic.png"), str(tmp_path)),
        MediaItem("image", "remote", "https://cdn.example.org/sunset.png"), MediaItem("gif", "data", DATA_URL),
    )
    site = make_site(tmp_path / "ws", ScriptedBackend([["x"]]))
    with site.ws.open_store() as store:
        log = ExchangeLog(store)
        log.record(Exchange(
            platform="discord", channel_id="10", place=XSS, trigger_id="2", trigger_author=XSS, trigger_text=f"{XSS} {JS_URL}",
            trigger_time=NOW, context_ids=(), persona="Mika", messages=(SentMessage(("100",), XSS, f"{XSS} {JS_URL}", items),),
            backend="x", stop="end-of-turn", queued_ms=0, latency_ms=0, created=NOW,
        ))
        log.star("100", "7", XSS, NOW)
        out = tmp_path / "gallery.html"
        out.write_text(render_gallery(log.collection(), title=XSS, zone=NOW.tzinfo), encoding="utf-8")  # type: ignore[arg-type]
    page.goto(out.as_uri())  # type: ignore[attr-defined]
    page.wait_for_function("() => [...document.images].every(i => i.complete && i.naturalWidth === 1)")  # type: ignore[attr-defined]
    for row in page.locator(".msg").all():  # type: ignore[attr-defined]
        row.hover()
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")  # type: ignore[attr-defined]
    sources = page.evaluate("[...document.images].map(i => i.getAttribute('src').slice(0, 22))")  # type: ignore[attr-defined]
    assert page.evaluate("window.pwned") is None  # type: ignore[attr-defined]
    assert background == "rgb(49, 51, 56)"  # its own style sheet applies (allowed by its hash)
    assert sorted(sources) == ["data:image/png;base64,", "https://cdn.example.or"]


def test_what_a_reply_recalled_is_shown_on_demand_as_text(tmp_path: Path, page: object) -> None:
    chat = story()
    chat.say(DM_AL, AL, 4 * DAY, "<img src=x onerror=alert(1)> img onerror trick")
    chat.say(DM_AL, ME, 4 * DAY + 1, "<script>alert(2)</script> script trick")
    site = memory_site(tmp_path / "ws", ScriptedBackend([["ok"]]), chat=chat)
    with live_server(site) as url:
        page.goto(url + "/")
        chat_ready(page)
        page.fill("#memory-channel", "10")
        page.fill("#text", "that img onerror script trick")
        page.press("#text", "Enter")
        page.wait_for_selector(".msg.persona details.memories")
        assert not page.locator("details.memories .memory").first.is_visible()  # closed until asked
        page.click("details.memories summary")
        shown = page.locator("details.memories").inner_text()
        tags = page.locator("details.memories img, details.memories script").count()
        shot(page, "chat-memories")
    assert "a direct message with Alice" in shown
    assert "Alice: <img src=x onerror=alert(1)> img onerror trick" in shown
    assert "Mika: <script>alert(2)</script> script trick" in shown
    assert tags == 0


def test_a_thumb_and_another_take_are_stored_as_feedback(tmp_path: Path, page: object) -> None:
    backend = ScriptedBackend([["pineapple\nfight me<|im_end|>"], ["margherita obviously<|im_end|>"], ["ok<|im_end|>"]])
    site = make_site(tmp_path, backend)
    with live_server(site) as url:
        page.goto(url + "/")  # type: ignore[attr-defined]
        chat_ready(page)  # type: ignore[arg-type]
        page.fill("#speaker", "Sam")  # type: ignore[attr-defined]
        page.fill("#text", "best pizza?")  # type: ignore[attr-defined]
        page.press("#text", "Enter")  # type: ignore[attr-defined]
        page.wait_for_function("() => document.querySelectorAll('.msg.persona').length === 2")  # type: ignore[attr-defined]
        first = page.locator(".msg.persona").first  # type: ignore[attr-defined]
        first.hover()
        first.locator(".thumb.up").click()
        page.wait_for_selector(".thumb.up.on")  # type: ignore[attr-defined]
        retakes = page.locator(".retake").count()  # type: ignore[attr-defined]
        page.locator(".msg.persona").nth(1).hover()  # type: ignore[attr-defined]
        shot(page, "chat-feedback")  # type: ignore[arg-type]
        page.locator(".msg.persona").nth(1).locator(".retake").click()  # type: ignore[attr-defined]
        page.wait_for_function("() => document.querySelectorAll('.msg.persona').length === 3")  # type: ignore[attr-defined]
        page.wait_for_selector("#typing:empty")  # type: ignore[attr-defined]
        discarded = page.locator(".msg.discarded .text").all_inner_texts()  # type: ignore[attr-defined]
        kept = page.locator(".msg.persona:not(.discarded) .text").all_inner_texts()  # type: ignore[attr-defined]
        page.fill("#text", "fair")  # type: ignore[attr-defined]
        page.press("#text", "Enter")  # type: ignore[attr-defined]
        page.wait_for_function("() => document.querySelectorAll('.msg.persona').length === 4")  # type: ignore[attr-defined]
        shot(page, "chat-another-take")  # type: ignore[arg-type]
    with site.ws.open_store() as store:
        items = FeedbackTable(store).items()
    assert retakes == 1  # on the latest reply only
    assert (discarded, kept) == (["pineapple", "fight me"], ["margherita obviously"])
    assert [(i.source, i.giver_name, i.verdict, i.exchange.texts, i.retake.texts if i.retake else None) for i in items] == [
        ("web", "Sam", "up", ("pineapple", "fight me"), None),
        ("reroll", "Sam", "rejected", ("pineapple", "fight me"), ("margherita obviously",)),
    ]
    assert items[0].giver == items[1].giver and items[0].giver.startswith("web:")
    assert backend.prompts[0].split("<|im_end|>", 1)[1] == backend.prompts[1].split("<|im_end|>", 1)[1]  # the same conversation again
    assert backend.prompts[2].endswith(
        "Sam: best pizza?<|im_end|>\n<|im_start|>assistant\nmargherita obviously<|im_end|>\n<|im_start|>user\nSam: fair<|im_end|>\n"
        "<|im_start|>assistant\n"
    )
