"""``shizu build`` privacy beyond message text: PII in names, places, media labels, URLs and local
paths, and opted-out people leaving every file under ``dataset/`` (docs/privacy.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dataset_helpers import AL, BO, ME, Chat
from shizu.chat.media import MediaRef
from shizu.dataset.catalogue import Catalogue
from shizu.dataset.examples import _replace_words
from shizu.dataset.pipeline import build_dataset
from shizu.message import Attachment, Author, Channel, Embed, Sticker
from shizu.workspace import Workspace


def make_ws(root: Path, chat: Chat, **privacy: Any) -> Workspace:
    ws = Workspace.create(root / "ws")
    privacy = {"redact_pii": True, **privacy}
    ws.config_path.write_text(
        '[persona]\nme = ["1"]\n[build]\nval_fraction = 0.0\n[privacy]\n'
        + "".join(f"{k} = {json.dumps(v)}\n" for k, v in privacy.items()),
        encoding="utf-8",
    )
    with ws.open_store() as store:
        store.write_source(chat.messages, path="test.json", format="test", sha256="abc", quality=2)
    return ws


def examples(ws: Workspace) -> list[dict[str, Any]]:
    return [json.loads(line) for name in ("train.jsonl", "val.jsonl")
            for line in (ws.dataset_dir / name).read_text(encoding="utf-8").splitlines()]


def files_holding(ws: Workspace, needles: list[str]) -> list[tuple[str, str]]:
    """(file, needle) for every file under dataset/ that holds a needle, case-insensitively (bytes)."""
    hits = []
    for path in sorted(p for p in ws.dataset_dir.rglob("*") if p.is_file()):
        data = path.read_bytes().lower()
        hits += [(path.name, needle) for needle in needles if needle.lower().encode() in data]
    return hits


# --- PII in every field ---------------------------------------------------------------------------

WHATSAPP_CONTACT = Author(id="5", display_name="+44 7911 123456")  # saved by number only
SAM = Author(id="6", name="sam", display_name="Sam (07700 900123)")
FLAT = Channel(id="30", name="Flat 4 (call 07911 123456)", kind="group")
THREAD = Channel(id="41", name="call 07700 900456", kind="thread", guild_id="7", guild_name="SMP 203.0.113.45",
                 parent_id="40", parent_name="mc 86.12.201.77")
PIZZA = "https://pizza.example.com/menu"
CONTACT = "https://example.com/contact?phone=%2B447911123456"
PHOTO = "https://cdn.discordapp.com/attachments/30/1/john.smith@gmail.com.png"
RAW_PII = ["7911 123456", "07700 900123", "07700 900456", "447911123456", "john.smith", "john smith", "gmail",
           "203.0.113.45", "86.12.201.77", "555-0147", "mika.k@proton.me", "proton"]


def test_pii_in_names_places_labels_and_urls_reaches_no_file(tmp_path: Path) -> None:
    chat = Chat()
    chat.say(FLAT, WHATSAPP_CONTACT, 0, "hey")
    chat.say(FLAT, ME, 1, "look", attachments=(Attachment(url=PHOTO, filename="john.smith@gmail.com.png"),))
    chat.say(FLAT, ME, 1.5, f"menu {PIZZA}",
             embeds=(Embed(url=PIZZA, title="Pizza Roma — (212) 555-0147 — order online"),))
    chat.say(FLAT, ME, 2, f"call them {CONTACT} :call_07700_900123: :kekw:",
             custom_emoji={"call_07700_900123": "111", "kekw": "222"})
    chat.say(THREAD, SAM, 0, "yo")
    chat.say(THREAD, ME, 1, "", stickers=(Sticker(id="77", name="call 07700 900456",
                                                  url="https://media.discordapp.net/stickers/77.png"),))
    ws = make_ws(tmp_path, chat)
    result = build_dataset(ws)
    flat, thread = examples(ws)
    assert flat["place"]["channel"] == "Flat 4 (call <PHONE>)" and flat["participants"] == ["<PHONE>"]
    assert flat["messages"][0]["content"].startswith(
        'You are Mika, chatting on Discord in the group chat "Flat 4 (call <PHONE>)" with <PHONE>.'
    )
    assert flat["messages"][1:] == [
        {"role": "user", "content": "<PHONE>: hey"},
        {"role": "assistant", "content": (
            "look [image: <EMAIL>]\n"  # the file name's words "john smith gmail com" are the address
            "menu [link: Pizza Roma — <PHONE> — order online]\n"
            "call them [link: example.com contact] :call_07700_900123: :kekw:"  # emoji are read as names
        )},
    ]
    assert thread["place"] == {"kind": "thread", "channel": "call <PHONE>", "server": "SMP <IP>",
                               "parent": "mc <IP>", "platform": "discord"}
    assert thread["messages"][0]["content"].startswith(
        'You are Mika, chatting on Discord in the thread "call <PHONE>" of #mc <IP> on the server "SMP <IP>"'
        " with Sam (<PHONE>)."
    )
    assert thread["messages"][1:] == [
        {"role": "user", "content": "Sam (<PHONE>): yo"}, {"role": "assistant", "content": "[sticker: call <PHONE>]"},
    ]
    report = result.report
    assert report["examples_per_channel"] == {"group Flat 4 (call <PHONE>)": 1, "#call <PHONE> (SMP <IP>)": 1}
    assert report["examples_per_partner"] == {"<PHONE>": 1, "Sam (<PHONE>)": 1}
    assert {t: n for t, n in report["pii"]["counts"].items() if n} == {"PHONE": 6, "EMAIL": 1, "IPV4": 2}
    # The photo's URL holds the address and the contact link a phone number: tagged, never catalogued.
    media = json.loads((ws.dataset_dir / "media.json").read_text())
    assert [(item["tag"], item["url"]) for item in media["items"]] == [
        ("[link: Pizza Roma — <PHONE> — order online]", PIZZA),
        ("[sticker: call <PHONE>]", "https://media.discordapp.net/stickers/77.png"),
    ]
    assert report["media"]["withheld"] == 2
    assert media["emoji"] == [{"name": "kekw", "id": "222", "count": 1}]  # the other one's name holds a number
    assert files_holding(ws, RAW_PII) == []


def test_the_persona_name_from_the_export_is_redacted_too(tmp_path: Path) -> None:
    me = Author(id="1", name="mika", display_name="mika.k@proton.me")
    chat = Chat()
    chat.say(Channel(id="10", name="alice", kind="dm"), AL, 0, "hi")
    chat.say(Channel(id="10", name="alice", kind="dm"), me, 1, "hey")
    ws = make_ws(tmp_path, chat)
    result = build_dataset(ws)
    [example] = examples(ws)
    assert example["persona"] == "<EMAIL>" and example["messages"][0]["content"].startswith("You are <EMAIL>,")
    assert result.report["persona"]["name"] == "<EMAIL>"
    assert json.loads((ws.dataset_dir / "meta.json").read_text())["persona"]["name"] == "<EMAIL>"
    assert files_holding(ws, ["mika.k", "proton"]) == []


def test_a_local_file_named_after_pii_is_not_catalogued_but_its_safe_url_is(tmp_path: Path) -> None:
    export = tmp_path / "export"
    folder = export / "DM - lena.kim@proton.me_Files"
    folder.mkdir(parents=True)
    (folder / "cat.png").write_bytes(b"png")
    dm = Channel(id="10", name="lena", kind="dm")
    chat = Chat()
    chat.say(dm, AL, 0, "pic?")
    chat.say(dm, ME, 1, "", source=str(export / "dm.json"), attachments=(Attachment(
        url="https://cdn.discordapp.com/attachments/10/2/cat.png", filename="cat.png",
        local_path="DM - lena.kim@proton.me_Files/cat.png",
    ),))
    ws = make_ws(tmp_path, chat)
    result = build_dataset(ws)
    [item] = json.loads((ws.dataset_dir / "media.json").read_text())["items"]
    assert (item["tag"], item["url"], item["local_path"]) == (
        "[image: cat]", "https://cdn.discordapp.com/attachments/10/2/cat.png", None,
    )
    assert result.report["media"]["withheld"] == 0
    assert files_holding(ws, ["lena.kim", "proton.me"]) == []


def test_the_catalogue_screens_urls_and_local_paths() -> None:
    cat = Catalogue(url_is_safe=lambda url: "phone" not in url, path_is_safe=lambda path: "@" not in path)

    def ref(url: str, local: str | None = None) -> MediaRef:
        return MediaRef(kind="image", label="pic", url=url, key=url, local_path=local, local_root=None)

    assert cat.tag(ref("https://x.org/a.png", "a@b.png"), persona=True) == "[image: pic]"
    assert cat.tag(ref("https://x.org/?phone=1"), persona=True) == "[image: pic]"
    assert [(e.url, e.local_path) for e in cat.entries()] == [("https://x.org/a.png", None)]
    assert cat.withheld == 1


def test_label_words_from_a_finding_become_its_placeholder() -> None:
    assert _replace_words("john smith gmail com", "john.smith@gmail.com", "<EMAIL>") == ("<EMAIL>", True)
    assert _replace_words("call me 44 7911", "+44 7911 123456", "<PHONE>") == ("call me <PHONE>", True)
    assert _replace_words("example.com u john smith gmail com", "john.smith@gmail.com", "<EMAIL>") == (
        "example.com u <EMAIL>", True,
    )
    # A single shared word is not the finding ("com" of a host), nor are words out of order.
    assert _replace_words("youtube.com watch", "john.smith@gmail.com", "<EMAIL>") == ("youtube.com watch", False)
    assert _replace_words("smith john", "john.smith@gmail.com", "<EMAIL>") == ("smith john", False)


# --- opted-out people -----------------------------------------------------------------------------

CORDELIA = Author(id="8", name="cordelia_k", display_name="Cordelia")
CORDELIA_NICK = Author(id="8", name="cordelia_k", display_name="Delly")  # her nickname in another server
HER_NAMES = ["Cordelia", "Delly", "cordelia_k"]
TRIO = Channel(id="50", name="alice, bob, Cordelia", kind="group")  # DCE names unnamed group DMs after members
HERS = Channel(id="51", name="Delly", kind="group")
FAN = Channel(id="52", name="cordelia_k-fanclub", kind="guild-text", guild_id="9", guild_name="Delly's place")
HER_DM = Channel(id="53", name="Cordelia", kind="dm")


def opted_out_chat() -> Chat:
    chat = Chat()
    for k, channel in enumerate((TRIO, HERS, FAN)):
        chat.say(channel, CORDELIA if k != 2 else CORDELIA_NICK, 0, "this is mine, not for training")
        chat.say(channel, AL, 1, "hi @Cordelia and @bob")
        chat.say(channel, BO, 1.5, "hey")
        chat.say(channel, ME, 2, "hey all")
    question = chat.say(HER_DM, CORDELIA, 0, "u there?")
    chat.say(HER_DM, ME, 1, "yes", reply_to=question)
    return chat


def test_opted_out_people_appear_in_no_file_under_dataset(tmp_path: Path) -> None:
    ws = make_ws(tmp_path, opted_out_chat(), opt_out=["8"])
    result = build_dataset(ws, exports=["openai", "sharegpt"])
    by_channel = {ex["channel_id"]: ex for ex in examples(ws)}
    assert sorted(by_channel) == ["50", "51", "52"]  # her DM has nothing left to learn from
    assert by_channel["50"]["place"]["channel"] == "alice, bob"
    assert by_channel["50"]["messages"][0]["content"].startswith(
        'You are Mika, chatting on Discord in the group chat "alice, bob" with Alice and Bob.'
    )
    assert by_channel["51"]["place"]["channel"] == ""
    assert by_channel["51"]["messages"][0]["content"].startswith("You are Mika, chatting on Discord in a group chat")
    assert (by_channel["52"]["place"]["channel"], by_channel["52"]["place"]["server"]) == ("fanclub", "place")
    assert by_channel["52"]["messages"][0]["content"].startswith(
        'You are Mika, chatting on Discord in #fanclub on the server "place" with Alice and Bob.'
    )
    assert {ex["messages"][1]["content"] for ex in by_channel.values()} == {"Alice: hi @someone and @bob\nBob: hey"}
    assert result.report["examples_per_channel"] == {"group alice, bob": 1, "group 51": 1, "#fanclub (place)": 1}
    assert result.report["examples_per_partner"] == {"Alice": 3, "Bob": 3}
    assert result.report["opted_out"] == 1
    assert files_holding(ws, HER_NAMES) == []


def test_bare_names_in_other_peoples_text_are_a_known_gap_without_pseudonyms(tmp_path: Path) -> None:
    """Documented in docs/privacy.md: only mentions, speakers and places are rewritten."""
    chat = opted_out_chat()
    chat.say(TRIO, AL, 3, "Cordelia said hi")
    chat.say(TRIO, ME, 4, "aw")
    ws = make_ws(tmp_path, chat, opt_out=["8"])
    build_dataset(ws)
    assert sorted(files_holding(ws, HER_NAMES)) == [  # the line itself, and the report's samples of it
        ("report.html", "Cordelia"), ("report.json", "Cordelia"), ("train.jsonl", "Cordelia"),
    ]


def test_with_pseudonyms_their_bare_names_are_someone_too(tmp_path: Path) -> None:
    chat = opted_out_chat()
    chat.say(TRIO, AL, 3, "Cordelia said hi, delly's cat too")
    chat.say(TRIO, ME, 4, "aw", attachments=(Attachment(url="https://cdn.discordapp.com/attachments/50/9/delly_cat.png",
                                                        filename="delly_cat.png"),))
    ws = make_ws(tmp_path, chat, opt_out=["8"], pseudonymize=True)
    build_dataset(ws, exports=["sharegpt"])
    trio = next(ex for ex in examples(ws) if ex["channel_id"] == "50" and "aw" in ex["messages"][-1]["content"])
    assert trio["messages"][-2]["content"].endswith(": someone said hi, someone's cat too")
    assert trio["messages"][-1]["content"] == "aw [image: someone cat]"
    assert json.loads((ws.dataset_dir / "media.json").read_text())["items"] == []  # its URL names her
    assert files_holding(ws, HER_NAMES) == []
