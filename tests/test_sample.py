"""The sample generator: determinism, exact counts, DCE's file layout and encoding, the persona's
style invariants (docs/sample-persona.md), realistic timing, and both importers reading it back."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shizu.chat.discord_markup import render_raw_markup
from shizu.cli import app
from shizu.errors import ShizuError
from shizu.ingest.base import FileReport
from shizu.ingest.data_package import DataPackageImporter
from shizu.ingest.source import Source
from shizu.sample import cast
from shizu.sample.generate import SampleInfo, write_sample
from shizu.store import MessageStore

MIKA = cast.MIKA.id
SIGNATURE = ("ngl", "lowkey", "fr fr", "bestie", "no bc", "istg")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> SampleInfo:
    return write_sample(tmp_path_factory.mktemp("sample"))


@pytest.fixture(scope="module")
def exports(sample: SampleInfo) -> dict[str, dict]:
    """Every export file, parsed, by file name."""
    return {p.name: json.loads(p.read_text(encoding="utf-8")) for p in sample.export_files}


def all_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def is_command(msg: dict) -> bool:
    return msg["content"].startswith("!")


def plain(msg: dict) -> str:
    """The text Mika typed, without the names DCE rendered into it (mentions)."""
    text = msg["content"]
    for user in msg["mentions"]:
        text = text.replace("@" + user["nickname"], "")
    return text


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    a = write_sample(tmp_path / "a", messages=400, seed=7, max_messages_per_file=50)
    write_sample(tmp_path / "b", messages=400, seed=7, max_messages_per_file=50)
    c = write_sample(tmp_path / "c", messages=400, seed=8, max_messages_per_file=50)
    files_a = all_files(tmp_path / "a")
    assert files_a == all_files(tmp_path / "b")
    assert len(files_a) > 20 and "facts.json" in files_a
    assert files_a != all_files(tmp_path / "c")
    assert a.persona_id == c.persona_id == MIKA  # ids of the cast do not depend on the seed


def test_counts_files_and_dce_layout(sample: SampleInfo, exports: dict[str, dict]) -> None:
    assert sample.messages == 3000
    assert sample.persona_name == "Mika"
    assert sum(sample.channel_messages.values()) == 3000
    assert sorted(exports) == sorted([
        "Direct Messages - Priya [779825467883520006].json",
        "Direct Messages - Theo [686502287769600004].json",
        "Direct Messages - chaos gremlins [805213506109440008].json",
        "the cozy corner - Text Channels - gaming [744254099947520001].json",
        "the cozy corner - Text Channels - general [744254091558912001].json",
        "the cozy corner - Text Channels - memes [744254095753216001].json",
        "the cozy corner - Text Channels - music [744254108336128001].json",
        "the cozy corner - gaming - minecraft server plans [744254104141824001].json",
    ])
    for doc in exports.values():
        assert doc["messageCount"] == len(doc["messages"]) == sample.channel_messages[doc["channel"]["id"]]
        assert list(doc) == ["guild", "channel", "dateRange", "exportedAt", "messages", "messageCount"]
    kinds = {doc["channel"]["name"]: doc["channel"]["type"] for doc in exports.values()}
    assert kinds == {"general": "GuildTextChat", "memes": "GuildTextChat", "gaming": "GuildTextChat",
                     "music": "GuildTextChat", "minecraft server plans": "GuildPublicThread",
                     "Theo": "DirectTextChat", "Priya": "DirectTextChat", "chaos gremlins": "DirectGroupTextChat"}
    thread = next(d for d in exports.values() if d["channel"]["type"] == "GuildPublicThread")
    assert (thread["channel"]["categoryId"], thread["channel"]["category"]) == ("744254099947520001", "gaming")
    persona = sum(1 for d in exports.values() for m in d["messages"]
                  if m["author"]["id"] == MIKA and m["type"] in ("Default", "Reply"))
    assert persona == sample.persona_messages


def test_dce_encoding_indented_and_astral_escaped(sample: SampleInfo) -> None:
    raw = next(p for p in sample.export_files if "general" in p.name).read_bytes()
    assert raw.startswith(b'{\n  "guild": {\n    "id": "744254078976000001",\n')
    assert b'\n  "messages": [\n    {\n      "id": "' in raw
    assert raw.endswith(b'\n  ],\n  "messageCount": %d\n}' % 1080)
    assert re.search(rb"[\xf0-\xf4]", raw) is None  # no raw 4-byte UTF-8: emoji are \uD83D\uDE2D pairs
    assert b"\\uD83D\\uDE2D" in raw  # 😭


def test_partitioned_files_are_named_and_counted_like_dce(tmp_path: Path) -> None:
    info = write_sample(tmp_path, messages=1000, max_messages_per_file=100)
    general = sorted(p.name for p in info.export_files if "general" in p.name)
    base = "the cozy corner - Text Channels - general [744254091558912001]"
    assert general == [f"{base} [part 2].json", f"{base} [part 3].json", f"{base} [part 4].json", f"{base}.json"]
    total = 0
    for path in info.export_files:
        doc = json.loads(path.read_text(encoding="utf-8"))
        assert doc["messageCount"] == len(doc["messages"]) <= 100
        total += doc["messageCount"]
    assert total == 1000


def test_persona_style_invariants(exports: dict[str, dict]) -> None:
    """What docs/sample-persona.md promises about Mika."""
    mine = []
    for doc in exports.values():
        run, last = 0, None
        for msg in doc["messages"]:
            own_text = msg["author"]["id"] == MIKA and msg["type"] in ("Default", "Reply") and not is_command(msg)
            when = datetime.fromisoformat(msg["timestamp"])
            if own_text and last is not None and when - last > timedelta(minutes=30):
                assert run in (0, 2, 3, 4), f"a burst of {run} in {doc['channel']['name']}"
                run = 0  # a new conversation
            if own_text:
                mine.append(msg)
                run, last = run + 1, when
                continue
            assert run in (0, 2, 3, 4), f"a burst of {run} in {doc['channel']['name']}"
            run = 0
        assert run in (0, 2, 3, 4)
    texts = [plain(m) for m in mine]
    assert all(t == t.lower() for t in texts)
    assert not any(t.rstrip().endswith(".") for t in texts)
    signature = sum(1 for t in texts if any(w in t for w in SIGNATURE))
    assert 0.2 < signature / len(texts) < 0.6
    gifs = Counter(t for t in texts if t.startswith("https://tenor.com/"))
    assert set(gifs) <= set(cast.MIKA_GIFS) and len(gifs) == len(cast.MIKA_GIFS)
    custom = [m for m in mine if ":mochi_pat:" in m["content"]]
    assert custom and all(m["inlineEmojis"][0]["id"] == cast.CUSTOM_EMOJI_ID for m in custom)
    assert sum(1 for m in mine if m["attachments"]) >= 10


def test_friends_write_in_their_own_styles(exports: dict[str, dict]) -> None:
    texts: dict[str, list[str]] = {}
    for doc in exports.values():
        for msg in doc["messages"]:
            typed = plain(msg).strip()  # a picture sent with only a mention has none
            if msg["type"] in ("Default", "Reply") and typed and not typed.startswith(("!", "http")):
                texts.setdefault(msg["author"]["nickname"], []).append(typed)
    assert all(t == t.upper() for t in texts["Juno"])
    assert all(t[0].isupper() and t[-1] in ".?!" for t in texts["Theo"])
    assert all(re.search(r"[\U0001F300-\U0001FAFF]", t) for t in texts["Priya"])
    assert max(len(t.split()) for t in texts["Sam"]) <= 5


def test_conversation_features(exports: dict[str, dict]) -> None:
    messages = [m for doc in exports.values() for m in doc["messages"]]
    by_id = {m["id"]: m for m in messages}
    types = Counter(m["type"] for m in messages)
    assert {"Default", "Reply", "GuildMemberJoin", "ChannelPinnedMessage", "ThreadCreated", "Call",
            "RecipientAdd", "ChannelNameChange", "20"} <= set(types)
    for msg in messages:
        if msg["type"] in ("Reply", "ChannelPinnedMessage"):
            assert msg["reference"]["messageId"] in by_id
        if msg["type"] == "ChannelPinnedMessage":
            assert by_id[msg["reference"]["messageId"]]["isPinned"]
    assert any(m["type"] == "20" and m["interaction"]["name"] == "roll" for m in messages)
    bot = [m for m in messages if m["author"]["isBot"]]
    assert bot and all(m["author"]["name"] == "Jukebox" for m in bot)
    assert any(m["content"].startswith("!play ") for m in messages)
    assert any(m["timestampEdited"] for m in messages)
    assert any(m["reactions"] for m in messages)
    assert any(m["mentions"] and "@" in m["content"] for m in messages)
    contents = "\n".join(m["content"] for m in messages)
    assert cast.PII["theo_phone"] in contents or cast.PII["theo_email"] in contents


def test_timing_sessions_hours_apart_bursts_seconds_apart(exports: dict[str, dict]) -> None:
    for doc in exports.values():
        exported = datetime.fromisoformat(doc["exportedAt"])
        times = [datetime.fromisoformat(m["timestamp"]) for m in doc["messages"]]
        ids = [int(m["id"]) for m in doc["messages"]]
        assert times == sorted(times) and ids == sorted(ids) and times[-1] < exported
        gaps = [b - a for a, b in zip(times, times[1:])]
        # Within a conversation people answer within minutes; between two there are at least 40 minutes.
        assert not any(timedelta(minutes=10) < g < timedelta(minutes=40) for g in gaps)
        for prev, msg in zip(doc["messages"], doc["messages"][1:]):
            if prev["author"]["id"] == msg["author"]["id"] == MIKA and msg["type"] == "Default":
                gap = datetime.fromisoformat(msg["timestamp"]) - datetime.fromisoformat(prev["timestamp"])
                assert gap < timedelta(minutes=3) or gap > timedelta(minutes=40)


def test_media_channel_has_local_png_files(sample: SampleInfo, exports: dict[str, dict]) -> None:
    doc = exports["Direct Messages - Priya [779825467883520006].json"]
    urls = [a["url"] for m in doc["messages"] for a in m["attachments"]]
    assert urls and len(urls) == len(sample.media_files)
    for url, attachment in zip(urls, (a for m in doc["messages"] for a in m["attachments"])):
        path = sample.export_dir / url
        assert url.startswith("Direct Messages - Priya [779825467883520006].json_Files/")
        assert path.read_bytes().startswith(b"\x89PNG") and path.stat().st_size == attachment["fileSizeBytes"]
    other = [a["url"] for d in exports.values() if d is not doc for m in d["messages"] for a in m["attachments"]]
    assert other and all(u.startswith("https://cdn.discordapp.com/attachments/") and "&hm=" in u for u in other)


def test_package_holds_exactly_the_persona_messages_raw(sample: SampleInfo, exports: dict[str, dict]) -> None:
    index = json.loads((sample.package_dir / "Messages" / "index.json").read_text())
    assert None in index.values()
    user = json.loads((sample.package_dir / "Account" / "user.json").read_text())
    assert (user["id"], user["username"], user["global_name"]) == (MIKA, "mikadoodles", "Mika")
    exported = {m["id"]: m for d in exports.values() for m in d["messages"]
                if m["author"]["id"] == MIKA and m["type"] in ("Default", "Reply")}
    rows = {}
    for path in sample.package_dir.rglob("messages.json"):
        text = path.read_text(encoding="ascii")  # Python's json.dumps escapes everything non-ASCII
        channel_rows = json.loads(text)
        assert [r["ID"] for r in channel_rows] == sorted((r["ID"] for r in channel_rows), reverse=True)
        rows.update({str(r["ID"]): r for r in channel_rows})
    assert rows.keys() == exported.keys()
    names = {p.id: p.display_name for p in cast.PEOPLE}
    for mid, row in rows.items():
        msg = exported[mid]
        assert render_raw_markup(row["Contents"], names) == msg["content"]
        utc = datetime.fromisoformat(msg["timestamp"]).astimezone(UTC)
        assert row["Timestamp"] == utc.strftime("%Y-%m-%d %H:%M:%S")
        assert bool(row["Attachments"]) == bool(msg["attachments"])


def test_refuses_to_mix_with_an_earlier_sample(tmp_path: Path) -> None:
    write_sample(tmp_path, messages=200)
    with pytest.raises(ShizuError, match="already holds files"):
        write_sample(tmp_path, messages=200)
    with pytest.raises(ValueError):
        write_sample(tmp_path / "small", messages=199)


def test_package_importer_reads_the_sample_with_me_known(sample: SampleInfo) -> None:
    importer = DataPackageImporter()
    read = 0
    for path in sorted(sample.package_dir.rglob("*")):
        source = Source(path)
        if path.is_file() and importer.sniff(source, source.head()):
            report = FileReport(source=source)
            messages = list(importer.read(source, report))
            assert {m.author.id for m in messages} == {MIKA} and not report.skipped and not report.warnings
            assert [a.id for a in report.accounts] == [MIKA]
            read += len(messages)
    assert read == sample.persona_messages


def test_both_importers_ingest_the_sample_exactly(sample: SampleInfo, tmp_path: Path) -> None:
    pytest.importorskip("shizu.ingest.dce_json")
    pytest.importorskip("shizu.ingest.dce_csv")
    from shizu.ingest.pipeline import discover, ingest_sources

    with MessageStore(tmp_path / "store.db") as store:
        found, _, _ = discover([sample.export_dir, sample.package_dir])
        assert Counter(imp.format for _, imp in found) == {"dce-json": 8, "discord-package": 8}
        reports = ingest_sources(store, found)
        assert all(r.error is None and not r.skipped for r in reports)
        assert store.count() == sample.messages
        assert store.account_ids() == [MIKA]


def test_cli_sample(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["sample", str(tmp_path / "out"), "--messages", "300", "--seed", "2"])
    assert result.exit_code == 0, result.output
    assert "Wrote 300 messages in 8 channels" in result.output and MIKA in result.output
    assert "shizu ingest" in result.output
    again = runner.invoke(app, ["sample", str(tmp_path / "out"), "--messages", "300", "--force", "--json"])
    assert again.exit_code == 0 and json.loads(again.output)["messages"] == 300
    assert runner.invoke(app, ["sample", str(tmp_path / "x"), "--messages", "10"]).exit_code != 0
