"""Reading dataset JSONL (errors name file and line), the sequence cutoff, the dataset hash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shizu.chat.template import IGNORE_INDEX, Encoded
from shizu.dataset.reader import dataset_sha256, read_examples
from shizu.errors import TrainError
from shizu.train.encode import apply_cutoff, auto_cutoff
from tiny_model import conversation, row


def write_lines(path: Path, rows: list[object]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


def test_reads_examples_in_the_dataset_format(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "train.jsonl", [row(0, "train"), row(1, "train", turns=3)])
    examples = read_examples(path)
    assert [e.id for e in examples] == ["100:0:0", "100:1:0"]
    assert examples[1].messages == conversation(1, turns=3)
    assert examples[1].where == f"{path}:2"


@pytest.mark.parametrize(
    ("messages", "problem"),
    [
        ([{"role": "user", "content": "Alice: hi"}, {"role": "assistant", "content": "yo"}], "`messages[0]` must be the system prompt"),
        ([{"role": "system", "content": "s"}, {"role": "user", "content": "A: x"}], "the last message must be an assistant"),
        ([{"role": "system", "content": "s"}, {"role": "user", "content": "A: x"}, {"role": "user", "content": "B: y"}, {"role": "assistant", "content": "z"}],
         "`messages[2]` repeats role 'user'"),
        ([{"role": "system", "content": "s"}, {"role": "tool", "content": "x"}, {"role": "assistant", "content": "z"}], "`messages[1].role` is 'tool'"),
    ],
)
def test_structure_errors_name_file_line_and_field(tmp_path: Path, messages: list[dict], problem: str) -> None:
    bad = {**row(5, "train"), "messages": messages}
    path = write_lines(tmp_path / "train.jsonl", [row(0, "train"), bad])
    with pytest.raises(TrainError) as info:
        read_examples(path)
    assert info.value.message.startswith(f"{path}:2 (example '100:5:0'): {problem}")
    assert "shizu build" in info.value.hint


def test_broken_json_and_missing_fields_name_the_line(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "val.jsonl", [row(0, "val"), "", '{"id": "x", "messages": [', {"messages": []}])
    with pytest.raises(TrainError, match=rf"^{path}:3: "):
        read_examples(path)
    write_lines(path, [{"messages": conversation(0)}])
    with pytest.raises(TrainError, match=r"val.jsonl:1: Object missing required field `id`"):
        read_examples(path)


def test_missing_file_says_to_build(tmp_path: Path) -> None:
    with pytest.raises(TrainError, match="does not exist") as info:
        read_examples(tmp_path / "train.jsonl")
    assert "shizu build" in info.value.hint


def encoded(length: int, turn_ends: list[int]) -> Encoded:
    return Encoded(input_ids=list(range(length)), labels=[IGNORE_INDEX] * length, turn_ends=turn_ends)


def test_cutoff_keeps_whole_turns_only() -> None:
    examples = [encoded(50, [50]), encoded(120, [40, 90, 120]), encoded(200, [150, 200]), encoded(100, [100])]
    kept, cutoff = apply_cutoff(examples, 100)
    assert (cutoff.whole, cutoff.shortened, cutoff.dropped) == (2, 1, 1)
    assert [len(e.input_ids) for e in kept] == [50, 90, 100]
    assert kept[1].turn_ends == [40, 90]
    assert cutoff.whole_share == 0.5
    assert cutoff.describe() == "cutoff 100 tokens keeps 50.0% of 4 examples whole (1 cut back to their last whole persona turn, 1 dropped)"


def test_auto_cutoff_covers_the_quantile_rounded_up() -> None:
    lengths = [10] * 98 + [100, 300]
    assert auto_cutoff(lengths, model_max=8192, cap=2048) == (128, "the 99% length quantile is 100 tokens (longest 300)")
    assert auto_cutoff(lengths, model_max=8192, cap=2048, share=1.0)[0] == 320
    cutoff, why = auto_cutoff(lengths, model_max=8192, cap=64, share=1.0)
    assert cutoff == 64
    assert why.endswith("capped by the device cap (set [train] max_length to go higher)")
    assert auto_cutoff(lengths, model_max=256, cap=2048, share=1.0) == (256, "the 100% length quantile is 300 tokens (longest 300), capped by the model's context")


def test_dataset_hash_follows_content(tmp_path: Path) -> None:
    train = write_lines(tmp_path / "train.jsonl", [row(0, "train")])
    val = tmp_path / "val.jsonl"
    first = dataset_sha256(train, val)
    assert first == dataset_sha256(train, val)
    write_lines(val, [row(1, "val")])
    second = dataset_sha256(train, val)
    assert second != first
    write_lines(train, [row(2, "train")])
    assert dataset_sha256(train, val) not in (first, second)
