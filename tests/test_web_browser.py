"""The web page in a real browser: Debian's Chromium, driven by Playwright, against a live server.

Chat (streaming typing indicator, one row per burst message, media shown, a star), the collection,
the blind test (answers change the score) and the key dialog. Screenshots go to
``test-artifacts/`` for people to look at.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from serve_helpers import CAT, REAL, ScriptedBackend, live_server, make_site, write_val
from shizu.frontends.web.blind import BlindTest
from shizu.persona.media import MediaCatalogue, MediaItem

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


@pytest.fixture()
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})  # type: ignore[attr-defined]
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


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
        MediaItem("image", "sunset", "https://cdn.discordapp.com/attachments/1/2/sunset.png?ex=1", str(sunset(tmp_path / "sunset.png"))),
        MediaItem("gif", "cat vibing", CAT),
    ])
    site = make_site(tmp_path, backend, catalogue=catalogue)
    with live_server(site) as url:
        page.goto(url + "/")
        page.fill("#speaker", "Sam")
        page.fill("#text", "hey mika, what are you up to?")
        page.press("#text", "Enter")
        page.wait_for_selector("#typing:has-text('Mika is typing')")
        shot(page, "chat-typing")
        gate.set()
        page.wait_for_function("document.querySelectorAll('.msg.persona').length === 3")
        page.wait_for_function("document.querySelector('.msg.persona img').naturalWidth === 240")
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
        page.wait_for_function("document.querySelectorAll('.msg.persona').length === 4")
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


def test_a_server_with_a_key_asks_for_it_once(tmp_path: Path, page: object) -> None:
    site = make_site(tmp_path, ScriptedBackend([["heyy"]]), key="open sesame")
    with live_server(site) as url:
        page.goto(url + "/")
        page.wait_for_selector(".dialog #key")
        page.fill("#key", "open sesam")
        page.press("#key", "Enter")
        page.wait_for_selector(".dialog .wrong")
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
    assert warning == "The server did not accept the key this browser had."
    assert reply == "heyy"
    assert dialogs == 0  # the cookie carries the key to the other pages
