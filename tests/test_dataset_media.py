"""Media as tags: labels from slugs, file names, titles and links; the catalogue's unique labels."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shizu.chat.media import MediaRef, link_ref, message_refs, split_text, url_key
from shizu.dataset.catalogue import Catalogue
from shizu.message import Attachment, Author, Channel, Embed, Message, Sticker


@pytest.mark.parametrize(("url", "kind", "label"), [
    ("https://tenor.com/view/cat-vibing-gif-26166638", "gif", "cat vibing"),
    ("https://tenor.com/fr/view/magic-gif-26166638", "gif", "magic"),
    ("https://giphy.com/gifs/happy-dance-l0MYt5jPR6QX5pnqM", "gif", "happy dance"),
    ("https://media.giphy.com/media/l0MYt5jPR6QX5pnqM/giphy.gif", "gif", "media.giphy.com media giphy gif"),
    ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "link", "youtube.com watch"),
    ("https://github.com/Tyrrrz/DiscordChatExporter/issues/1234", "link",
     "github.com Tyrrrz DiscordChatExporter issues 1234"),
    ("https://discord.com/api/webhooks/123456789012345678/Xy9_abcDEF-ghiJKL0123mnoPQRstuVWX", "link",
     "discord.com api webhooks"),
    ("https://example.com/reset?token=abc", "link", "example.com reset"),
    ("https://cdn.discordapp.com/attachments/1/2/beach_day.jpg?ex=65&is=66&hm=ff", "image", "beach day"),
    ("https://i.imgur.com/a/clip.mp4", "video", "clip"),
    ("https://example.com/api/webhooks/12345678/AbCdEfGhIjKlMnOpQrStUvWxYz", "link", "example.com api webhooks"),
])
def test_link_kind_and_label(url: str, kind: str, label: str) -> None:
    ref = link_ref(url)
    assert (ref.kind, ref.label) == (kind, label)


def test_embed_title_labels_a_link_and_urls_never_survive_in_it() -> None:
    url = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    ref = link_ref(url, title="Never [Gonna] Give You Up https://evil.example/x")
    assert ref.label == "Never Gonna Give You Up"


def test_split_text_cuts_links_out_with_their_punctuation_handled() -> None:
    text = "look (https://en.wikipedia.org/wiki/Cat_(disambiguation)). and <https://example.com/a> [here](https://x.org/b)!"
    pieces = split_text(text)
    assert [p if isinstance(p, str) else (p.url, p.label) for p in pieces] == [
        "look (",
        ("https://en.wikipedia.org/wiki/Cat_(disambiguation)", "en.wikipedia.org wiki Cat disambiguation"),
        "). and ",
        ("https://example.com/a", "example.com a"),
        " ",
        ("https://x.org/b", "here"),
        "!",
    ]


def test_split_text_without_links_is_the_text() -> None:
    assert split_text("no links here") == ["no links here"]
    assert split_text("") == []


def _message(**kw) -> Message:
    return Message(
        id="1", channel=Channel(id="2"), author=Author(id="3"), timestamp=datetime(2024, 1, 1, tzinfo=UTC), **kw
    )


def test_attachments_stickers_and_unlinked_embeds_become_refs() -> None:
    msg = _message(
        attachments=(
            Attachment(url="https://cdn.discordapp.com/a/SPOILER_cat_pic.png?ex=1", filename="SPOILER_cat_pic.png",
                       local_path="media/cat.png"),
            Attachment(url="https://cdn.discordapp.com/a/notes.pdf", filename="notes.pdf"),
            Attachment(url="https://cdn.discordapp.com/a/20240302_123456.jpg", filename="20240302_123456.jpg"),
            Attachment(url="https://cdn.discordapp.com/a/dance.gif", filename="dance.gif"),
        ),
        stickers=(Sticker(id="77", name="Wave Hi", url="https://media.discordapp.net/stickers/77.png"),),
        embeds=(
            Embed(url="https://tenor.com/view/party-gif-1", kind="gif"),
            Embed(url="https://linked.example/x", title="Already in text"),
        ),
    )
    refs = list(message_refs(msg, linked={"https://linked.example/x"}))
    assert [(r.kind, r.label, r.key, r.local_path) for r in refs] == [
        ("image", "cat pic", "https://cdn.discordapp.com/a/SPOILER_cat_pic.png", "media/cat.png"),
        ("file", "notes", "https://cdn.discordapp.com/a/notes.pdf", None),
        ("image", "image", "https://cdn.discordapp.com/a/20240302_123456.jpg", None),
        ("gif", "dance", "https://cdn.discordapp.com/a/dance.gif", None),
        ("sticker", "Wave Hi", "sticker:77", None),
        ("gif", "party", "https://tenor.com/view/party-gif-1", None),
    ]


def test_url_key_drops_only_discord_cdn_signatures() -> None:
    assert url_key("https://cdn.discordapp.com/a/b.png?ex=1&is=2") == "https://cdn.discordapp.com/a/b.png"
    assert url_key("https://www.youtube.com/watch?v=x#t=3") == "https://www.youtube.com/watch?v=x"


def _ref(url: str, label: str, kind: str = "gif") -> MediaRef:
    return MediaRef(kind=kind, label=label, url=url, key=url)


def test_catalogue_labels_are_unique_and_counts_are_per_persona_use() -> None:
    cat = Catalogue()
    assert cat.tag(_ref("https://tenor.com/1", "cat vibing"), persona=True) == "[gif: cat vibing]"
    assert cat.tag(_ref("https://tenor.com/2", "cat vibing"), persona=True) == "[gif: cat vibing 2]"
    assert cat.tag(_ref("https://tenor.com/1", "cat vibing"), persona=True) == "[gif: cat vibing]"
    # Someone else's item: a tag, not catalogued; an item the persona also sent keeps its catalogue tag.
    assert cat.tag(_ref("https://tenor.com/3", "cat vibing"), persona=False) == "[gif: cat vibing]"
    assert cat.tag(_ref("https://tenor.com/2", "cat vibing"), persona=False) == "[gif: cat vibing 2]"
    cat.add_emoji("kekw", "123")
    cat.add_emoji("kekw", "123")
    assert cat.to_json() == {
        "items": [
            {"kind": "gif", "label": "cat vibing", "tag": "[gif: cat vibing]", "url": "https://tenor.com/1",
             "local_path": None, "local_root": None, "count": 2},
            {"kind": "gif", "label": "cat vibing 2", "tag": "[gif: cat vibing 2]", "url": "https://tenor.com/2",
             "local_path": None, "local_root": None, "count": 1},
        ],
        "emoji": [{"name": "kekw", "id": "123", "count": 2}],
    }


def test_unsafe_urls_are_tagged_but_never_catalogued() -> None:
    cat = Catalogue(url_is_safe=lambda url: "secret" not in url)
    assert cat.tag(_ref("https://x.org/?secret=1", "x.org", "link"), persona=True) == "[link: x.org]"
    assert cat.tag(_ref("https://x.org/?secret=1", "x.org", "link"), persona=True) == "[link: x.org]"
    assert cat.to_json()["items"] == []
    assert cat.withheld == 1


_url_parts = st.sampled_from(["https://", "http://", "HTTPS://", "<https://", "[t](https://", "www.", ":", "/", "[", "]",
                              "(", ")", ">", ".", " ", "\n", "tenor.com/view/a-gif-1", "x.org", "?q=1", "é"])


@given(st.lists(st.one_of(_url_parts, st.text(max_size=5)), max_size=12).map("".join))
def test_no_link_survives_in_text_whatever_the_input(text: str) -> None:
    pieces = split_text(text)
    rendered = "".join(p if isinstance(p, str) else f"[{p.kind}: {p.label}]" for p in pieces)
    assert not re.search(r"https?://[^\s<>]", rendered, re.IGNORECASE)
    assert all(isinstance(p, str) or ("]" not in p.label and "\n" not in p.label) for p in pieces)


def test_www_links_without_a_scheme_are_links_too() -> None:
    assert [p if isinstance(p, str) else (p.url, p.label) for p in split_text("see www.example.com/cool-stuff.")] == [
        "see ", ("https://www.example.com/cool-stuff", "example.com cool stuff"), ".",
    ]
    assert split_text("mail me@www.example.com") == ["mail me@www.example.com"]


def test_embed_without_link_is_a_tag_but_never_catalogued() -> None:
    """A WhatsApp "GIF omitted" keeps its place in the conversation as a tag, with nothing to send."""
    from datetime import UTC, datetime

    from shizu.chat.media import message_refs
    from shizu.message import Author, Channel, Embed, Message

    msg = Message(
        id="wa:1", channel=Channel(id="wa:chat", kind="dm"), author=Author(id="wa:Mika"),
        timestamp=datetime(2024, 1, 1, tzinfo=UTC), platform="whatsapp", embeds=(Embed(kind="gif"),),
    )
    (ref,) = message_refs(msg, set())
    assert (ref.kind, ref.label, ref.url, ref.key) == ("gif", "gif", "", "gif:gif")
