"""``shizu serve`` against crafted inputs (docs/security.md): inert media files, local paths checked
at each use and never sent, web URLs only, the security headers and the ``Host`` check on every
route, the login cookie."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import httpx2
import pytest
from starlette.routing import Mount

from clock import NOW
from persona_helpers import ScriptedBackend
from serve_helpers import example, live_server, make_site, web_client, write_val
from shizu.chat.layout import Place, Turn
from shizu.chat.media import MediaItem
from shizu.collection import ExchangeLog
from shizu.config import ServeConfig
from shizu.errors import ServeError
from shizu.frontends.web import page_api
from shizu.frontends.web.app import STATIC, create_app
from shizu.frontends.web.auth import cookie_token
from shizu.frontends.web.hosts import allowed_names, host_name
from shizu.frontends.web.inert import sniff
from shizu.frontends.web.security import PAGE_POLICY
from shizu.frontends.web.site import Site
from shizu.persona.media import MediaCatalogue

pytestmark = pytest.mark.usefixtures("web_clock")

PAGE_CSP = (
    "default-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self';"
    " img-src 'self' http: https:; media-src 'self' http: https:"
)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
INLINE = [  # (file name, bytes, the type served inline): recognised from the bytes alone
    ("pic.png", PNG, "image/png"),
    ("pic.jpg", JPEG, "image/jpeg"),
    ("anim.gif", b"GIF89a\x01\x00\x01\x00\x80\x00", "image/gif"),
    ("pic.webp", b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
    ("pic.avif", b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00", "image/avif"),
    ("clip.mp4", b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2", "video/mp4"),
    ("clip.mov", b"\x00\x00\x00\x14ftypqt  \x20\x05\x03\x00", "video/quicktime"),
    ("clip.webm", b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm", "video/webm"),
    ("clip.mkv", b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82\x88matroska", "video/x-matroska"),
    ("voice.ogg", b"OggS\x00\x02" + bytes(20) + b"\x01\x13OpusHead", "audio/ogg"),
    ("song.mp3", b"ID3\x04\x00\x00\x00\x00\x00\x0a", "audio/mpeg"),
    ("frame.mp3", b"\xff\xfb\x90\x64\x00", "audio/mpeg"),
    ("voice.m4a", b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00", "audio/mp4"),
    ("sound.wav", b"RIFF\x24\x00\x00\x00WAVEfmt ", "audio/wav"),
    ("sound.flac", b"fLaC\x00\x00\x00\x22", "audio/flac"),
]
DOWNLOADS = [  # (file name, bytes): whatever the name says, these are never shown inline
    ("page.html", b"<!DOCTYPE html><script>window.__pwned = 1</script>"),
    ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>'),
    ("cat.png", b"<html><body><script>alert(document.domain)</script></body></html>"),  # a fake extension
    ("clip.mp4", b"<svg onload=alert(1)>"),
    ("notes.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3"),
    ("photo.heic", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00"),  # a picture browsers do not show
    ("unknown", b"\x00\x01\x02\x03 who knows"),
    ("empty.png", b""),
]


def media_site(tmp_path: Path, files: list[tuple[str, bytes]], **kwargs: object) -> Site:
    """A site whose catalogue item ``n`` is the ``n``-th file, kept in the export folder ``export``."""
    export = tmp_path / "export"
    (export / "files").mkdir(parents=True, exist_ok=True)
    items = []
    for name, content in files:
        path = export / "files" / name
        path.write_bytes(content)
        items.append(MediaItem("file", name, f"https://cdn.discordapp.com/attachments/1/2/{name}", str(path), str(export)))
    return make_site(tmp_path, ScriptedBackend([["x"]]), catalogue=MediaCatalogue(items), **kwargs)


@pytest.mark.parametrize(("name", "content", "inline_type"), INLINE)
def test_pictures_videos_and_sounds_are_served_inline_by_their_bytes(tmp_path: Path, name: str, content: bytes, inline_type: str) -> None:
    with web_client(media_site(tmp_path, [(name, content)])) as http:
        response = http.get("/media/0")
    assert response.status_code == 200 and response.content == content
    assert response.headers["content-type"] == inline_type
    assert "content-disposition" not in response.headers
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == "sandbox"
    assert sniff(content) == inline_type


@pytest.mark.parametrize(("name", "content"), DOWNLOADS)
def test_everything_else_is_an_attachment(tmp_path: Path, name: str, content: bytes) -> None:
    with web_client(media_site(tmp_path, [(name, content)])) as http:
        response = http.get("/media/0")
    assert response.status_code == 200 and response.content == content
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"] == f'attachment; filename="{name}"'
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == "sandbox"
    assert sniff(content) is None


def test_the_page_shows_only_files_whose_bytes_are_media(tmp_path: Path) -> None:
    site = media_site(tmp_path, [("cat.png", DOWNLOADS[2][1]), ("pic.png", PNG), ("clip.webm", INLINE[7][1]), ("voice.ogg", INLINE[9][1])])
    site.default.persona.backend.replies[:] = [["[file: cat.png] [file: pic.png] [file: clip.webm] [file: voice.ogg]<|im_end|>"]]
    history = [{"speaker": "Sam", "text": "pics?", "time": NOW.isoformat()}]
    with web_client(site) as http:
        body = http.post("/api/chat", json={"history": history}).text
    message = json.loads(body.split("data: ", 1)[1].split("\n", 1)[0])
    assert [(m["src"], m["show"]) for m in message["media"]] == [
        ("/media/0", "link"), ("/media/1", "image"), ("/media/2", "video"), ("/media/3", "audio"),
    ]


def test_local_files_are_checked_again_at_each_request(tmp_path: Path) -> None:
    export, secret = tmp_path / "export", tmp_path / "secret.png"
    (export / "files").mkdir(parents=True)
    secret.write_bytes(PNG + b" not to be shared")
    inside = export / "files" / "pic.png"
    inside.write_bytes(PNG)
    (export / "files" / "link.png").symlink_to(secret)
    (export / "linked").symlink_to(tmp_path, target_is_directory=True)
    (export / "files" / "folder.png").mkdir()
    cases = [
        (str(inside), str(export)),  # 0: fine
        (str(export / "files" / "link.png"), str(export)),  # 1: a symlink pointing out of the export
        ("files/../../secret.png", str(export)),  # 2: .. climbing out
        (str(secret), str(export)),  # 3: an absolute path elsewhere
        (str(export / "linked" / "secret.png"), str(export)),  # 4: through a symlinked folder
        (str(inside), None),  # 5: the export's folder is not recorded
        (str(export / "files" / "folder.png"), str(export)),  # 6: a folder
        (str(export / "files" / "gone.png"), str(export)),  # 7: missing
        (f"{inside}\x00.png", str(export)),  # 8: a NUL byte
    ]
    catalogue = MediaCatalogue([MediaItem("image", f"item {i}", "", path, root) for i, (path, root) in enumerate(cases)])
    site = make_site(tmp_path, ScriptedBackend([["x"]]), catalogue=catalogue)
    with web_client(site) as http:
        statuses = [http.get(f"/media/{i}").status_code for i in range(len(cases))]
        inside.unlink()
        inside.symlink_to(secret)  # swapped after the server started: the check runs at each use
        swapped = http.get("/media/0")
    assert statuses == [200] + [404] * (len(cases) - 1)
    assert swapped.status_code == 404
    assert swapped.json()["error"]["message"] == "No local file for media item 0"


def test_replies_name_media_by_link_or_tag_never_by_local_path(tmp_path: Path) -> None:
    export = tmp_path / "Telegram Export"
    photo = export / "photos" / "photo_1.jpg"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(JPEG)
    catalogue = MediaCatalogue([
        MediaItem("image", "photo 1", photo.as_uri(), str(photo), str(export)),  # Telegram: a file:// URL
        MediaItem("file", "notes", "photos/notes.txt"),  # a --media DCE export: a relative path as URL
        MediaItem("gif", "evil", "javascript:alert(1)"),
        MediaItem("link", "data", "data:text/html,<script>alert(1)</script>"),
    ])
    reply = "look [image: photo 1] [file: notes]\n[gif: evil] [link: data]<|im_end|>"
    site = make_site(tmp_path, ScriptedBackend([[reply]]), catalogue=catalogue)
    write_val(site, [example("100:9:0", Place(kind="dm"), [Turn("Sam", False, ("pics?",)), Turn("Mika", True, ("look [image: photo 1]",))])])
    history = [{"speaker": "Sam", "text": "pics?", "time": NOW.isoformat()}]
    request = {"model": "tiny", "messages": [{"role": "user", "content": "pics?"}]}
    with web_client(site) as http:
        page = http.post("/api/chat", json={"history": history}).text
        first = json.loads(page.split("data: ", 1)[1].split("\n", 1)[0])
        http.post("/api/star", json={"message_id": first["id"], "by": "Sam"})
        bodies = [
            page,
            http.post("/v1/chat/completions", json=request).text,
            http.post("/v1/chat/completions", json={**request, "stream": True}).text,
            http.post("/api/blind", json={"voter": "voter-0001"}).text,
            http.get("/api/collection").text,
        ]
    completion = json.loads(bodies[1])["choices"][0]["message"]
    for body in bodies:
        assert str(tmp_path) not in body and "Telegram Export" not in body and "photo_1" not in body
        assert "file://" not in body and "javascript:" not in body and "data:text" not in body and "photos/notes" not in body
    assert first["text"] == "look [image: photo 1] [file: notes]"
    assert first["media"] == [
        {"kind": "image", "label": "photo 1", "url": None, "src": "/media/0", "show": "image"},
        {"kind": "file", "label": "notes", "url": None, "src": None, "show": "link"},
    ]
    assert completion["burst"] == ["look [image: photo 1] [file: notes]", "[gif: evil] [link: data]"]
    gallery = json.loads(bodies[4])["html"]
    assert '<img class="media" src="/media/0" alt="photo 1">' in gallery
    assert '<span class="file">notes</span>' in gallery


# Every route of the application, as (method, path) with its parameters filled in.
def _routes(routes: list | None = None, prefix: str = "") -> list[tuple[str, str]]:
    if routes is None:
        routes = create_app(SimpleNamespace(host="127.0.0.1", settings=ServeConfig(), models=[])).routes  # type: ignore[arg-type]
    found = []
    for route in routes:
        if hasattr(route, "original_router"):  # an included router (FastAPI keeps it whole)
            found += _routes(route.original_router.routes, prefix + route.include_context.prefix)
        elif isinstance(route, Mount):
            found.append(("GET", f"{prefix}{route.path}/common.js"))
        else:
            found += [(method, re.sub(r"\{[^}]+\}", "0", prefix + route.path)) for method in sorted(route.methods - {"HEAD"})]
    return found


ROUTES = _routes()


def test_the_route_list_is_complete() -> None:
    assert {path for _, path in ROUTES} >= {
        "/", "/collection", "/blind", "/static/common.js", "/collection.css", "/media/0", "/api/info", "/api/chat",
        "/api/star", "/api/feedback", "/api/collection", "/api/blind", "/api/blind/0", "/api/session", "/api/login", "/v1/models",
        "/v1/models/0", "/v1/chat/completions",
    }


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_a_foreign_host_gets_421_on_every_route(tmp_path: Path, method: str, path: str) -> None:
    site = media_site(tmp_path, [("pic.png", PNG)])
    with web_client(site) as http:
        foreign = http.request(method, path, headers={"Host": "evil.example"}, json={} if method == "POST" else None)
        rebound = http.request(method, path, headers={"Host": "127.0.0.1.evil.example:8642"}, json={} if method == "POST" else None)
        own = http.request(method, path, json={} if method == "POST" else None)
    for response in (foreign, rebound):
        assert response.status_code == 421
        assert response.json()["error"]["code"] == "misdirected_request"
        assert response.headers["x-content-type-options"] == "nosniff"
    assert own.status_code != 421
    assert site.default.persona.backend.prompts == []


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_response_carries_the_security_headers(tmp_path: Path, method: str, path: str) -> None:
    site = media_site(tmp_path, [("pic.png", PNG)], key="k")
    with web_client(site) as http:
        responses = [
            http.request(method, path, json={} if method == "POST" else None),  # no key: 401 for the API
            http.request(method, path, json={} if method == "POST" else None, headers={"Authorization": "Bearer k"}),
        ]
    for response in responses:
        expected = "sandbox" if path.startswith("/media/") else PAGE_CSP
        assert response.headers["content-security-policy"] == expected
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
    assert PAGE_POLICY == PAGE_CSP


def test_an_unexpected_failure_is_a_500_with_the_headers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: ExchangeLog) -> list:
        raise RuntimeError("disk on fire at /home/me/secret")

    monkeypatch.setattr(page_api.ExchangeLog, "collection", broken)
    with web_client(make_site(tmp_path, ScriptedBackend([["x"]])), raise_server_exceptions=False) as http:
        response = http.get("/api/collection")
    assert response.status_code == 500
    assert response.json()["error"]["message"] == "The server failed (RuntimeError); its log has the details"
    assert response.headers["content-security-policy"] == PAGE_CSP
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(("value", "name"), [
    ("127.0.0.1", "127.0.0.1"), ("127.0.0.1:8642", "127.0.0.1"), ("LocalHost:1", "localhost"), ("[::1]", "[::1]"),
    ("[0:0:0:0:0:0:0:1]:8642", "[::1]"), ("mika.example.org", "mika.example.org"),
    ("", None), ("evil.example:", None), ("evil.example:80x", None), ("127.0.0.1@evil.example", None), ("[::1", None),
    ("::1", None), ("a b", None), ("evil.example/x", None), ("[evil]", None), ("127.0.0.1:8642:1", None),
])
def test_host_header_values(value: str, name: str | None) -> None:
    assert host_name(value) == name


@pytest.mark.parametrize(("bind", "configured", "allowed", "refused"), [
    ("127.0.0.1", ["mika.example.org"], ["127.0.0.1:8642", "localhost", "[::1]:8642"], ["mika.example.org", "192.168.1.20", "0.0.0.0"]),
    ("::1", [], ["localhost:8642", "[::1]"], ["evil.example"]),
    ("192.168.1.20", ["mika.example.org"], ["192.168.1.20:8642", "mika.example.org", "MIKA.example.org:443"],
     ["localhost", "127.0.0.1", "evil.example", "mika.example.org.evil.example"]),
    ("0.0.0.0", [], ["192.168.1.20:8642", "localhost:8642", "127.0.0.1"], ["0.0.0.0:8642", "evil.example", "192.168.1.21"]),
    ("fe80::1", ["mika.lan"], ["[fe80::1]:8642", "mika.lan"], ["localhost", "[fe80::2]"]),
])
def test_the_names_the_server_answers_to(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bind: str, configured: list[str],
                                         allowed: list[str], refused: list[str]) -> None:
    from shizu.frontends.web import app

    monkeypatch.setattr(app, "lan_address", lambda: "192.168.1.20")
    site = make_site(tmp_path, ScriptedBackend([["x"]]), host=bind, allowed_hosts=configured)
    with web_client(site) as http:
        answers = {host: http.get("/api/info", headers={"Host": host}).status_code for host in allowed + refused}
    assert answers == {**{host: 200 for host in allowed}, **{host: 421 for host in refused}}


@pytest.mark.parametrize("entry", ["http://mika.example.org", "mika.example.org:8642", "mika.example.org/", "*", "", "a b"])
def test_allowed_hosts_must_be_names(entry: str) -> None:
    with pytest.raises(ServeError) as caught:
        allowed_names("0.0.0.0", [entry])
    assert caught.value.message == f"[serve] allowed_hosts: {entry!r} is not a host name or an IP address"


def test_the_login_sets_an_http_only_strict_cookie(tmp_path: Path) -> None:
    site = make_site(tmp_path, ScriptedBackend([["x"]]), key="open sesame")
    with web_client(site) as http:
        before = http.get("/api/session").json()
        locked = http.get("/api/info")
        wrong = http.post("/api/login", json={"key": "open sesam"})
        as_form = http.post("/api/login", content=b"key=open+sesame", headers={"Content-Type": "application/x-www-form-urlencoded"})
        as_text = http.post("/api/login", content=b'{"key": "open sesame"}', headers={"Content-Type": "text/plain"})
        right = http.post("/api/login", json={"key": "open sesame"})
        after = http.get("/api/session").json()
        unlocked = http.get("/api/info")
        http.cookies.clear()
        http.cookies.set("shizu_key", "stale")
        stale = http.get("/api/session").json()
    assert before == {"key_needed": True, "unlocked": False, "rejected": False}
    assert locked.status_code == 401
    assert wrong.json() == {"unlocked": False} and "set-cookie" not in wrong.headers
    assert (as_form.status_code, as_text.status_code) == (400, 400)  # JSON only: no cross-site form can log in
    assert "set-cookie" not in as_form.headers and "set-cookie" not in as_text.headers
    assert right.json() == {"unlocked": True, "secure": False}
    assert right.headers.get_list("set-cookie") == [
        f"shizu_key={cookie_token('open sesame')}; Max-Age=2592000; Path=/; HttpOnly; SameSite=Strict"
    ]
    assert after == {"key_needed": True, "unlocked": True, "rejected": False}
    assert unlocked.status_code == 200
    assert stale == {"key_needed": True, "unlocked": False, "rejected": True}


@pytest.mark.parametrize(("bind", "host"), [("0.0.0.0", "localhost:8642"), ("192.168.1.20", "192.168.1.20:8642")])
def test_off_loopback_the_cookie_is_secure(tmp_path: Path, bind: str, host: str) -> None:
    site = make_site(tmp_path, ScriptedBackend([["x"]]), key="open sesame", host=bind)
    with web_client(site, host=host) as http:
        right = http.post("/api/login", json={"key": "open sesame"})
    assert right.json() == {"unlocked": True, "secure": True}
    assert right.headers["set-cookie"] == (
        f"shizu_key={cookie_token('open sesame')}; Max-Age=2592000; Path=/; HttpOnly; SameSite=Strict; Secure"
    )


def test_behind_an_https_proxy_on_this_machine_the_cookie_is_secure(tmp_path: Path) -> None:
    site = make_site(tmp_path, ScriptedBackend([["x"]]), key="open sesame")
    with live_server(site) as url:  # uvicorn trusts X-Forwarded-Proto from 127.0.0.1 (the proxy)
        proxied = httpx2.post(f"{url}/api/login", json={"key": "open sesame"}, headers={"X-Forwarded-Proto": "https"}, timeout=10)
        direct = httpx2.post(f"{url}/api/login", json={"key": "open sesame"}, timeout=10)
    assert proxied.headers["set-cookie"].endswith("; HttpOnly; SameSite=Strict; Secure")
    assert direct.headers["set-cookie"].endswith("; HttpOnly; SameSite=Strict")


def test_without_a_key_the_login_has_nothing_to_do(tmp_path: Path) -> None:
    with web_client(make_site(tmp_path, ScriptedBackend([["x"]]))) as http:
        session = http.get("/api/session").json()
        login = http.post("/api/login", json={"key": "anything"})
    assert session == {"key_needed": False, "unlocked": True, "rejected": False}
    assert login.json() == {"unlocked": True} and "set-cookie" not in login.headers


def test_the_pages_have_no_inline_code_and_never_touch_cookies() -> None:
    for page in sorted(STATIC.glob("*.html")):
        text = page.read_text(encoding="utf-8")
        assert re.findall(r"<script\b[^>]*>", text) == ['<script src="/static/common.js">', f'<script src="/static/{page.stem}.js">']
        assert "<style" not in text and "style=" not in text and re.search(r"\son\w+\s*=", text) is None
    for script in sorted(STATIC.glob("*.js")):
        text = script.read_text(encoding="utf-8")
        assert "document.cookie" not in text, script.name
        assert "setAttribute(\"style\"" not in text and "cssText" not in text, script.name


def test_static_files_and_the_json_api_do_not_follow_paths_out(tmp_path: Path) -> None:
    with web_client(make_site(tmp_path, ScriptedBackend([["x"]]))) as http:
        escapes = [http.get(path).status_code for path in ("/static/../app.py", "/static/%2e%2e/app.py", "/media/0%2f..")]
    assert escapes == [404, 404, 404]
