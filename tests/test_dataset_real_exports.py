"""``shizu build`` on real DiscordChatExporter files (skipped where the shared fixtures are absent)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from real_exports import REAL_EXPORTS, needs_real
from shizu.dataset.pipeline import build_dataset
from shizu.ingest.pipeline import discover, ingest_sources
from shizu.workspace import Workspace

REAL = REAL_EXPORTS / "discord_dce"
ADAM = "521486476985155645"  # the most active author of the DCEF example guild
TAG_RE = re.compile(r"\[(?:gif|image|video|sticker|file|link): [^\]]+\]")

pytestmark = needs_real(REAL)


def test_real_guild_export_builds_without_urls_and_with_a_closed_catalogue(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "ws", me=[ADAM])
    sources, _, _ = discover([REAL])
    with ws.open_store() as store:
        assert [r.error for r in ingest_sources(store, sources)] == [None, None]
    result = build_dataset(ws, exports=["sharegpt"])
    counts = result.report["counts"]
    assert (counts["messages"], counts["messages_kept"], counts["persona_messages"], counts["examples"]) == (
        40, 36, 20, 4,
    )
    assert result.report["dropped"]["message"]["system"] == 4
    records = [json.loads(line) for name in ("train.jsonl", "val.jsonl")
               for line in (ws.dataset_dir / name).read_text(encoding="utf-8").splitlines()]
    texts = [m["content"] for r in records for m in r["messages"]]
    assert not [t for t in texts if re.search(r"https?://|www\.|json_Files", t)]
    catalogue = {item["tag"] for item in json.loads((ws.dataset_dir / "media.json").read_text())["items"]}
    persona_tags = {tag for r in records for m in r["messages"] if m["role"] == "assistant"
                    for tag in TAG_RE.findall(m["content"])}
    # The export's media files are not beside it: their local paths are no URL to send, so those items
    # stay tags that are never catalogued (never sent), counted by reason; the links are catalogued.
    assert catalogue == {"[link: Home · Tyrrrz/DiscordChatExporter Wiki]", "[link: Issues · slatinsky/DiscordChatExporter-frontend]"}
    assert persona_tags - catalogue == {
        "[image: dce export more]", "[image: tutorial move to exports folder]", "[image: tutorial close nginx]", "[sticker: pepecute]",
    }
    assert result.report["media"]["dropped"] == {"media-url-scheme": 4} and result.report["media"]["withheld"] == 4
    places = {r["messages"][0]["content"].split(" with ")[0] for r in records}
    assert places == {
        'You are Adam, chatting on Discord in #general on the server "Example guild"',
        'You are Adam, chatting on Discord in the thread "Thomas is Thomas" of #general on the server "Example guild"',
    }
