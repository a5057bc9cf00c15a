"""The encoded training set in flat arrays: the same examples back, cutoffs, and the on-disk cache."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from shizu.chat.template import IGNORE_INDEX, Encoded
from shizu.train.encoded_set import KEPT_CACHES, EncodedSet, cached_encoding, encoding_key

M = IGNORE_INDEX
EXAMPLES = [
    Encoded(input_ids=[1, 2, 3, 4, 5], labels=[M, M, 3, 4, M], turn_ends=[4]),
    Encoded(input_ids=[7, 8, 9, 10, 11, 12, 13], labels=[M, 8, M, M, 11, 12, M], turn_ends=[2, 6]),
    Encoded(input_ids=[20, 21, 22], labels=[M, 21, 22], turn_ends=[3]),
]


def test_examples_come_back_as_they_went_in() -> None:
    packed = EncodedSet.from_encoded(iter(EXAMPLES))
    assert list(packed) == EXAMPLES
    assert (len(packed), packed.tokens, packed.supervised) == (3, 15, 7)
    assert packed.lengths.tolist() == [5, 7, 3]
    assert list(packed[1:]) == EXAMPLES[1:]
    assert packed.features()[2] == {"input_ids": [20, 21, 22], "labels": [M, 21, 22]}
    assert packed.features()[0:2] == [{"input_ids": e.input_ids, "labels": e.labels} for e in EXAMPLES[:2]]


def test_an_empty_split_is_an_empty_set() -> None:
    empty = EncodedSet.from_encoded([])
    assert (len(empty), empty.tokens, empty.supervised, bool(empty)) == (0, 0, 0, False)


def test_cutoff_matches_the_rule_on_each_example() -> None:
    kept, cutoff = EncodedSet.from_encoded(EXAMPLES).cut(4)
    # example 0 (5 tokens) is cut after its turn ending at 4; example 1 (7) keeps its first turn
    # (ends at 2); example 2 (3 tokens) is whole.
    assert list(kept) == [
        Encoded(input_ids=[1, 2, 3, 4], labels=[M, M, 3, 4], turn_ends=[4]),
        Encoded(input_ids=[7, 8], labels=[M, 8], turn_ends=[2]),
        Encoded(input_ids=[20, 21, 22], labels=[M, 21, 22], turn_ends=[3]),
    ]
    assert (cutoff.whole, cutoff.shortened, cutoff.dropped) == (1, 2, 0)
    assert (kept.tokens, kept.supervised) == (9, 5)
    _, strict = EncodedSet.from_encoded(EXAMPLES).cut(1)
    assert (strict.whole, strict.shortened, strict.dropped) == (0, 0, 3)


def test_the_cache_is_written_once_and_memory_mapped_after(tmp_path: Path) -> None:
    calls = []

    def encode() -> EncodedSet:
        calls.append(1)
        return EncodedSet.from_encoded(EXAMPLES)

    first, hit_first = cached_encoding(tmp_path, "k1", encode)
    second, hit_second = cached_encoding(tmp_path, "k1", encode)
    assert (hit_first, hit_second, len(calls)) == (False, True, 1)
    assert list(second) == EXAMPLES and isinstance(second.ids, np.memmap)
    assert sorted(p.name for p in (tmp_path / "k1").iterdir()) == ["ids.npy", "rows.npy", "supervised.npy", "turn_ends.npy"]


def test_old_caches_are_pruned(tmp_path: Path) -> None:
    for n in range(KEPT_CACHES + 2):
        cached_encoding(tmp_path, f"k{n}", lambda: EncodedSet.from_encoded(EXAMPLES))
        os.utime(tmp_path / f"k{n}", (n, n))  # creation order, independent of the clock's resolution
    cached_encoding(tmp_path, "newest", lambda: EncodedSet.from_encoded(EXAMPLES))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["newest"] + [f"k{n}" for n in range(3, KEPT_CACHES + 2)])


def test_the_key_changes_with_anything_the_encoding_depends_on() -> None:
    base = encoding_key("dataset-sha", "tokenizer-sha", "<|im_end|>", ["a", "b"])
    assert base == encoding_key("dataset-sha", "tokenizer-sha", "<|im_end|>", ["a", "b"])
    variants = [
        encoding_key("other", "tokenizer-sha", "<|im_end|>", ["a", "b"]),
        encoding_key("dataset-sha", "other", "<|im_end|>", ["a", "b"]),
        encoding_key("dataset-sha", "tokenizer-sha", "</s>", ["a", "b"]),
        encoding_key("dataset-sha", "tokenizer-sha", "<|im_end|>", ["b", "a"]),
        encoding_key("dataset-sha", "tokenizer-sha", "<|im_end|>", ["ab"]),
    ]
    assert len({base, *variants}) == 6


def test_a_second_process_saving_the_same_cache_keeps_the_first(tmp_path: Path) -> None:
    EncodedSet.from_encoded(EXAMPLES).save(tmp_path / "k")
    (tmp_path / "k" / "marker").write_text("first", encoding="utf-8")
    EncodedSet.from_encoded(EXAMPLES[:1]).save(tmp_path / "k")  # another rank, a moment later
    assert (tmp_path / "k" / "marker").read_text(encoding="utf-8") == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k"]  # its own temporary folder is gone
    assert list(EncodedSet.load(tmp_path / "k")) == EXAMPLES
