"""``shizu sample --style subtle``: a persona whose style differs from her friends' only statistically."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from shizu.cli import app
from shizu.sample import cast


def persona_texts(export: Path) -> list[str]:
    texts = []
    for path in sorted(export.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        texts += [m["content"] for m in data["messages"] if m["author"]["id"] == cast.MIKA.id and m["content"]]
    return texts


def test_subtle_mika_writes_like_anyone_with_a_few_habits(tmp_path: Path) -> None:
    for style in ("unmistakable", "subtle"):
        result = CliRunner().invoke(app, ["sample", str(tmp_path / style), "--messages", "1500", "--seed", "3", "--style", style])
        assert result.exit_code == 0, result.output
    easy, subtle = persona_texts(tmp_path / "unmistakable" / "export"), persona_texts(tmp_path / "subtle" / "export")
    assert len(easy) > 200 and len(subtle) > 200

    def share(texts: list[str], test) -> float:  # type: ignore[no-untyped-def]
        return sum(map(test, texts)) / len(texts)

    capitalised = lambda t: t[:1].isupper()  # noqa: E731
    assert share(easy, capitalised) < 0.02  # the easy sample: lowercase (a line may start with a name)
    assert share(subtle, capitalised) > 0.4
    signature = lambda t: any(w in t for w in ("fr fr", "bestie", "ngl", "lowkey", "istg"))  # noqa: E731
    assert share(easy, signature) > 0.15 and share(subtle, signature) == 0.0
    assert 0.02 < share(subtle, lambda t: "honestly" in t or t.endswith(" tbh") or "🙃" in t) < 0.35


def test_an_unknown_style_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["sample", str(tmp_path / "s"), "--style", "loud"])
    assert result.exit_code == 2 and "choose unmistakable or subtle" in result.output
