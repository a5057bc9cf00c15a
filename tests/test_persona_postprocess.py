"""Post-processing: tags to real media, no invented links, real emoji, no mass pings; exact outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shizu.chat.media import MediaItem, MediaRef, link_ref
from shizu.dataset.catalogue import Catalogue
from shizu.errors import ShizuError
from shizu.persona.media import MediaCatalogue
from shizu.persona.postprocess import ZWSP, Cleaner, Cleanup, OutMessage, invented_links

CAT = "https://tenor.com/view/cat-vibing-gif-12345678"
CAT2 = "https://tenor.com/view/cat-vibing-gif-9999"
BEACH = "https://cdn.discordapp.com/attachments/1/2/beach_sunset.png?ex=abc&is=def"


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> MediaCatalogue:
    """The catalogue exactly as `shizu build` writes it (its own Catalogue class), read back."""
    export = tmp_path_factory.mktemp("export")
    (export / "media").mkdir()
    (export / "media" / "beach.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    built = Catalogue()
    for _ in range(3):
        built.tag(link_ref(CAT), persona=True)
    built.tag(link_ref(CAT2), persona=True)
    beach_key = "https://cdn.discordapp.com/attachments/1/2/beach_sunset.png"
    beach = MediaRef(kind="image", label="beach sunset", url=BEACH, key=beach_key, local_path="media/beach.png", local_root=str(export))
    built.tag(beach, persona=True)
    built.add_emoji("pepehands", "123456789012345678")
    path = tmp_path_factory.mktemp("dataset") / "media.json"
    path.write_text(json.dumps(built.to_json()), encoding="utf-8")
    return MediaCatalogue.load(path)


def clean(catalogue: MediaCatalogue, raw: str, persona: str = "Mika") -> tuple[list[OutMessage], Cleanup]:
    counts = Cleanup()
    return Cleaner(persona, catalogue).turn(raw, counts), counts


def test_catalogue_reads_what_build_writes(catalogue: MediaCatalogue) -> None:
    beach = catalogue.items[2]
    assert catalogue.items == (
        MediaItem("gif", "cat vibing", CAT),
        MediaItem("gif", "cat vibing 2", CAT2),
        MediaItem("image", "beach sunset", BEACH, str(Path(beach.local_root or "").resolve() / "media" / "beach.png"), beach.local_root),
    )
    assert beach.local_file() == Path(beach.local_path or "")
    assert catalogue.emoji == {"pepehands": "123456789012345678"}


def test_a_burst_becomes_one_message_per_line_and_line_separators_stay_inside(catalogue: MediaCatalogue) -> None:
    messages, counts = clean(catalogue, "omg yes\n\nim SO hyped\u2028like really\nok")
    assert [m.text for m in messages] == ["omg yes", "im SO hyped\nlike really", "ok"]
    assert counts == Cleanup()


def test_exact_tag_becomes_the_real_item(catalogue: MediaCatalogue) -> None:
    messages, counts = clean(catalogue, "im SO hyped [gif: cat vibing]\n[image: Beach Sunset]")
    assert messages == [
        OutMessage(text=f"im SO hyped {CAT}", body="im SO hyped", media=(catalogue.items[0],)),
        OutMessage(text=BEACH, body="", media=(catalogue.items[2],)),
    ]
    assert counts == Cleanup(tags_exact=2)


def test_misspelled_tag_resolves_to_the_nearest_label_of_the_same_kind(catalogue: MediaCatalogue) -> None:
    messages, counts = clean(catalogue, "[gif: cat vibin] lol")
    assert messages == [OutMessage(text=f"{CAT} lol", body="lol", media=(catalogue.items[0],))]
    assert counts == Cleanup(tags_nearest=1)


def test_unknown_tags_are_dropped(catalogue: MediaCatalogue) -> None:
    # "dog vibing" is 0.8 similar to "cat vibing": not close enough; a video tag never matches a gif.
    messages, counts = clean(catalogue, "look [gif: dog vibing] here\n[video: cat vibing]\n[sticker: wave]")
    assert messages == [OutMessage(text="look here", body="look here")]
    assert counts == Cleanup(tags_dropped=3, empty_messages=2)


def test_urls_outside_the_catalogue_are_removed(catalogue: MediaCatalogue) -> None:
    raw = (
        "check this https://tenor.com/view/made-up-gif-424242 lol\n"
        "[this](https://example.com/fake) and <https://example.org/x>\n"
        f"same one {CAT2}"
    )
    messages, counts = clean(catalogue, raw)
    assert [m.text for m in messages] == ["check this lol", "and", f"same one {CAT2}"]
    assert messages[2].media == (catalogue.items[1],)
    assert counts == Cleanup(links_removed=3)


def test_discord_cdn_links_match_without_their_expiring_signature(catalogue: MediaCatalogue) -> None:
    messages, counts = clean(catalogue, "https://cdn.discordapp.com/attachments/1/2/beach_sunset.png?ex=new&is=sig")
    assert messages[0].media == (catalogue.items[2],)
    assert counts.links_removed == 0


def test_custom_emoji_get_their_id_when_known(catalogue: MediaCatalogue) -> None:
    messages, counts = clean(catalogue, ":pepehands: so sad :unknown: at 12:30:45 <:pepehands:1>")
    assert messages[0].text == "<:pepehands:123456789012345678> so sad :unknown: at 12:30:45 <:pepehands:1>"
    assert counts == Cleanup(emoji_restored=1)


def test_extra_emoji_ids_from_the_frontend(catalogue: MediaCatalogue) -> None:
    counts = Cleanup()
    message = Cleaner("Mika", catalogue, {"wave": "42"}).line(":wave: :pepehands:", counts)
    assert message is not None and message.text == "<:wave:42> <:pepehands:123456789012345678>"


def test_mass_pings_and_role_pings_are_neutralised(catalogue: MediaCatalogue) -> None:
    messages, counts = clean(catalogue, "@everyone look\nhey @here and <@&987654321098765432>\nmail me@here.com")
    assert [m.text for m in messages] == [
        f"@{ZWSP}everyone look", f"hey @{ZWSP}here and @role", f"mail me@{ZWSP}here.com",
    ]
    assert counts.pings_neutralised == 4


def test_the_personas_own_name_prefix_is_removed(catalogue: MediaCatalogue) -> None:
    messages, counts = clean(catalogue, "mika: hi\nMika:\nMikado: is a game")
    assert [m.text for m in messages] == ["hi", "Mikado: is a game"]
    assert counts == Cleanup(name_prefixes=2, empty_messages=1)


def test_invented_links_counts_urls_not_in_the_catalogue(catalogue: MediaCatalogue) -> None:
    raw = f"{CAT} and https://tenor.com/view/fake-gif-1 and https://example.com [gif: cat vibing]"
    assert invented_links(raw, catalogue) == 2
    messages, _ = clean(catalogue, raw)
    assert invented_links(messages[0].text, catalogue) == 0
    assert messages[0].text == f"{CAT} and and {CAT}"


def test_missing_catalogue_is_empty_and_a_broken_one_is_an_error(tmp_path: Path) -> None:
    assert MediaCatalogue.load(tmp_path / "media.json").items == ()
    (tmp_path / "media.json").write_text('{"items": [{"kind": "gif"}]}', encoding="utf-8")
    with pytest.raises(ShizuError) as info:
        MediaCatalogue.load(tmp_path / "media.json")
    assert str(info.value) == (
        f"{tmp_path / 'media.json'} is not a media catalogue as `shizu build` writes it (KeyError: 'label')\n"
        "Rebuild it with `shizu build`."
    )
