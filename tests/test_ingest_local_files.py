"""A path from an export never leaves the export's folder: every traversal variant, every importer.

DiscordChatExporter (JSON and CSV), Telegram and WhatsApp exports name local media files. Only a
regular file inside the export's folder (symlinks followed) becomes an attachment's ``local_path``;
``..``, absolute paths, backslash and %-encoded variants and symlinks pointing out are refused,
counted and reported with the reason code ``media-path-outside-export``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shizu.chat.media import contained_file
from shizu.ingest.base import FileReport
from shizu.ingest.dce_csv import DceCsvImporter
from shizu.ingest.dce_json import DceJsonImporter
from shizu.ingest.source import Source
from shizu.ingest.telegram import TelegramImporter
from shizu.ingest.whatsapp import WhatsAppImporter

SECRET = b"root:x:0:0:secret\n"
REFUSED = "media-path-outside-export"


@pytest.fixture
def layout(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """An export folder with one good media file, a secret outside it, and each hostile reference to the secret."""
    export = tmp_path / "export"
    (export / "media").mkdir(parents=True)
    (export / "media" / "good.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    secret = tmp_path / "passwd.png"
    secret.write_bytes(SECRET)
    (export / "media" / "out.png").symlink_to(secret)
    hostile = {
        "dotdot": "../passwd.png",
        "deep dotdot": "media/../../passwd.png",
        "absolute": str(secret),
        "backslashes": "media\\..\\..\\passwd.png",
        "percent-encoded": "media/%2e%2e/%2e%2e/passwd.png",
        "symlink out": "media/out.png",
    }
    return export, hostile


def _local_paths(importer: object, path: Path) -> tuple[list[str | None], FileReport]:
    source = Source(path)
    report = FileReport(source)
    messages = list(importer.read(source, report))  # type: ignore[attr-defined]
    return [a.local_path for m in messages for a in m.attachments], report


def _refused_warning(report: FileReport, count: int) -> None:
    assert [w for w in report.warnings if REFUSED in w] and any(w.startswith(f"{count} ") and REFUSED in w for w in report.warnings), report.warnings


def test_the_rule(layout: tuple[Path, dict[str, str]]) -> None:
    export, hostile = layout
    assert contained_file("media/good.png", export) == (export / "media" / "good.png").resolve()
    for name, reference in hostile.items():
        if name not in ("backslashes", "percent-encoded"):  # these are decoded by the importers, not the rule
            assert contained_file(reference, export) is None, name
    assert contained_file("media", export) is None  # a folder is not a file
    assert contained_file("missing.png", export) is None


def test_dce_json(layout: tuple[Path, dict[str, str]]) -> None:
    export, hostile = layout
    references = ["media/good.png", *hostile.values()]
    data = {
        "guild": {"id": "1", "name": "G"}, "channel": {"id": "2", "type": "GuildTextChat", "name": "pics"},
        "messages": [
            {"id": str(100 + i), "type": "Default", "timestamp": "2023-03-01T10:00:00+00:00", "content": "",
             "author": {"id": "9", "name": "mika", "isBot": False},
             "attachments": [{"id": str(i), "url": ref, "fileName": "f.png", "fileSizeBytes": 1}]}
            for i, ref in enumerate(references)
        ],
    }
    path = export / "G - pics [2].json"
    path.write_text(json.dumps(data), encoding="utf-8")
    local, report = _local_paths(DceJsonImporter(), path)
    assert local == [str((export / "media" / "good.png").resolve())] + [None] * len(hostile)
    _refused_warning(report, len(hostile))


def test_dce_csv(layout: tuple[Path, dict[str, str]]) -> None:
    export, hostile = layout
    references = ["media/good.png", *hostile.values()]
    rows = ["AuthorID,Author,Date,Content,Attachments,Reactions"] + [
        f'"9","mika","13/01/2023 09:0{i}","x{i}","{ref}",""' for i, ref in enumerate(references)
    ]
    path = export / "G - pics [2].csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    local, report = _local_paths(DceCsvImporter(), path)
    assert local == [str((export / "media" / "good.png").resolve())] + [None] * len(hostile)
    _refused_warning(report, len(hostile))


def test_telegram(layout: tuple[Path, dict[str, str]]) -> None:
    export, hostile = layout
    references = ["media/good.png", *hostile.values()]
    data = {
        "about": "Here is the data you requested.",
        "chats": {"list": [{"name": "Alice", "type": "personal_chat", "id": 222, "messages": [
            {"id": i + 1, "type": "message", "date": "2023-05-01T10:04:00", "date_unixtime": str(1682935440 + i),
             "from": "Mika", "from_id": "user111", "photo": ref, "text": "", "text_entities": []}
            for i, ref in enumerate(references)
        ]}]},
    }
    path = export / "result.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    local, report = _local_paths(TelegramImporter(), path)
    assert local == [str((export / "media" / "good.png").resolve())] + [None] * len(hostile)
    _refused_warning(report, len(hostile))


def test_whatsapp(layout: tuple[Path, dict[str, str]]) -> None:
    export, hostile = layout
    (export / "good.jpg").write_bytes(b"\xff\xd8\xff")
    references = ["good.jpg", *hostile.values()]
    lines = [f"1/6/23, 10:0{i} - Mika: {ref} (file attached)" for i, ref in enumerate(references)]
    path = export / "WhatsApp Chat with Ana.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    local, report = _local_paths(WhatsAppImporter(), path)
    assert local == [str((export / "good.jpg").resolve())] + [None] * len(hostile)
    _refused_warning(report, len(hostile))
