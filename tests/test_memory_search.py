"""Memory search: the time filter, BM25, rank fusion, the semantic half's NumPy path, lexical-only mode."""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from memory_helpers import COZY_GAMES, COZY_GENERAL, DM_ANA, T0, Words, memory, open_index
from shizu.memory import lexical, vectors
from shizu.memory.fusion import RRF_K, fuse
from shizu.memory.index import MemoryIndex


def test_only_memories_strictly_before_the_moment_are_recalled(tmp_path: Path) -> None:
    idx = open_index(tmp_path / "shizu.db", Words(), k=10)
    idx.add([
        memory("early", COZY_GENERAL, 0, "ramen tonight?", "ramen yes"),
        memory("on-time", COZY_GENERAL, 10, "ramen again?", "always ramen"),
        memory("later", COZY_GENERAL, 12, "more ramen", "ramen forever"),
        memory("future", COZY_GAMES, 60, "ramen raid", "ramen"),
    ])
    found = [r.memory.key for r in idx.search("ramen", COZY_GENERAL, before=T0 + timedelta(minutes=10))]
    assert found == ["early"]
    assert {r.memory.key for r in idx.search("ramen", COZY_GENERAL, before=T0 + timedelta(minutes=10, milliseconds=1))} == {"early", "on-time"}
    assert idx.search("ramen", COZY_GENERAL, before=T0) == []
    assert len(idx.search("ramen", COZY_GENERAL)) == 4


def test_a_training_example_never_recalls_its_own_conversation(tmp_path: Path) -> None:
    """``shizu build`` passes the example's conversation start: its turns (and anything later) are out."""
    idx = open_index(tmp_path / "shizu.db", Words(), k=10)
    earlier = [memory(f"c1-{i}", DM_ANA, i, f"pho place number {i}", "pho is life") for i in range(3)]
    same = [memory(f"c2-{i}", DM_ANA, 90 + i, f"pho again number {i}", "more pho") for i in range(3)]
    idx.add(earlier + same)
    conversation_start = same[0].time
    found = {r.memory.key for r in idx.search("pho again number 1", DM_ANA, before=conversation_start)}
    assert found == {"c1-0", "c1-1", "c1-2"}


def test_bm25_scores_by_the_formula() -> None:
    lengths = np.array([4.0, 8.0, 4.0])
    postings = [(np.array([0, 1]), np.array([1, 2]), lexical.idf(2, 3)), (np.array([0]), np.array([1]), lexical.idf(1, 3))]
    positions, scores = lexical.bm25(postings, lengths, 16 / 3)
    assert lexical.idf(2, 3) == pytest.approx(math.log(1 + 1.5 / 2.5))

    def part(tf: int, length: float) -> float:
        return tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / (16 / 3)))

    assert positions.tolist() == [0, 1]
    assert scores.tolist() == pytest.approx([lexical.idf(2, 3) * part(1, 4) + lexical.idf(1, 3) * part(1, 4), lexical.idf(2, 3) * part(2, 8)])


def test_the_query_keeps_its_rarest_terms_within_the_postings_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lexical, "POSTINGS_BUDGET", 100)
    frequencies = {"lol": 90, "ramen": 8, "silksong": 2, "the": 99}
    assert lexical.choose(["the", "silksong", "lol", "ramen", "zebra", "ramen"], frequencies) == ["silksong", "ramen", "lol"]
    assert lexical.choose(["the"], frequencies) == ["the"]
    assert lexical.choose(["zebra"], frequencies) == []


def test_rank_fusion_adds_reciprocal_ranks() -> None:
    fused = fuse([[7, 3, 5], [5, 7, 9]], 10)
    assert [item for item, _, _ in fused] == [7, 5, 3, 9]
    assert fused[0] == (7, 1 / (RRF_K + 1) + 1 / (RRF_K + 2), (1, 2))
    assert fused[2] == (3, 1 / (RRF_K + 2), (2, None))
    assert [item for item, _, _ in fuse([[2], [1]], 10)] == [1, 2]  # a tie goes to the smaller id
    assert fuse([[4, 8]], 1) == [(4, 1 / (RRF_K + 1), (1,))]


class Table:
    """A stand-in embedder that gives each text the vector of the first keyword it contains."""

    def __init__(self, table: dict[str, list[float]]) -> None:
        self.table = table

    def encode(self, texts: list[str], *, normalize_embeddings: bool, batch_size: int, show_progress_bar: bool) -> np.ndarray:
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for row, text in enumerate(texts):
            vector = next(v for keyword, v in self.table.items() if keyword in text)
            out[row, : len(vector)] = vector
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def test_the_fused_order_on_a_constructed_case(tmp_path: Path) -> None:
    """Lexical order A, B, C (A has both query words, B one in a short text, C one in a long text);
    semantic order C (cosine 1), A (0.89), D (0.71), B unrelated (0, below the floor). Fused:
    A = 1/61 + 1/62 > C = 1/63 + 1/61 > B = 1/62 > D = 1/63."""
    embedder = Table({"QUERY": [1, 0, 0], "alpha": [1, 0.5, 0], "bravo": [0, 0, 1], "charlie": [1, 0, 0], "delta": [1, 1, 0], "": [0, 1, 0]})
    idx = open_index(tmp_path / "shizu.db", embedder, k=10)
    idx.add([
        memory("A", COZY_GENERAL, 0, "alpha zebra quartz", "ok"),
        memory("B", COZY_GENERAL, 1, "bravo zebra", "ok"),
        memory("C", COZY_GENERAL, 2, "charlie quartz and then a great many other words follow", "ok"),
        memory("D", COZY_GENERAL, 3, "delta", "ok"),
        memory("E", COZY_GENERAL, 4, "echo", "ok"),
    ])
    found = idx.search("QUERY zebra quartz", COZY_GENERAL)
    assert [(r.memory.key, r.lexical_rank, r.semantic_rank) for r in found] == [("A", 1, 2), ("C", 3, 1), ("B", 2, None), ("D", None, 3)]
    assert [r.score for r in found] == pytest.approx([1 / 61 + 1 / 62, 1 / 63 + 1 / 61, 1 / 62, 1 / 63])
    assert [r.memory.key for r in idx.search("QUERY zebra quartz", COZY_GENERAL, k=2)] == ["A", "C"]


def corpus(count: int) -> list:
    words = "ramen pho tacos sushi curry silksong zelda mario arcane frieren beach park mall cafe market".split()
    rng = np.random.default_rng(7)
    return [
        memory(f"m{i}", COZY_GENERAL if i % 3 else COZY_GAMES, i, " ".join(rng.choice(words, 4)), " ".join(rng.choice(words, 2)))
        for i in range(count)
    ]


def test_the_semantic_ranking_is_the_exact_cosine_order(tmp_path: Path) -> None:
    """With no more memories in scope than are rescored, the first pass on bits drops none: the
    ranking is every memory above the floor by exact cosine of the stored int8 vectors."""
    embedder = Words()
    memories = corpus(200)
    assert len(memories) <= vectors.RESCORE
    idx = open_index(tmp_path / "shizu.db", embedder, k=50)
    idx.add(memories)
    stored = vectors.quantize(embedder.encode([m.text() for m in memories], normalize_embeddings=True, batch_size=1, show_progress_bar=False))
    for query in ("ramen and pho at the market", "silksong zelda", "frieren"):
        q = embedder.encode([query], normalize_embeddings=True, batch_size=1, show_progress_bar=False)[0]
        similarity = vectors.cosine(vectors.unit(q), stored)
        expected = sorted((i for i in range(len(memories)) if similarity[i] >= vectors.MIN_COSINE), key=lambda i: (-similarity[i], i))
        found = idx.search("nothing shared", COZY_GENERAL, vector=q)  # no lexical match: the semantic ranking alone
        assert [r.memory.key for r in found] == [memories[i].key for i in expected][:50]
        assert [r.semantic_rank for r in found] == list(range(1, len(found) + 1))


def test_the_first_pass_keeps_the_nearest_bits() -> None:
    far = vectors.FAR
    distance = np.array([5, 3, far, 3, 9, 1, 3], dtype=np.uint16)
    assert vectors.nearest(distance, 3).tolist() == [1, 3, 5]  # 1, then the first two of the tied 3s
    assert vectors.nearest(distance, 10).tolist() == [0, 1, 3, 4, 5, 6]  # never a FAR one
    bits = np.array([[0b1011, 0], [1, 2**63]], dtype=np.uint64)  # two words, two memories (columns)
    assert vectors.hamming(bits, np.array([0b0001, 1], dtype=np.uint64)).tolist() == [2 + 0, 1 + 2]


def test_int8_keeps_the_direction() -> None:
    rng = np.random.default_rng(0)
    original = vectors.unit(rng.normal(size=(50, 384)))
    assert (np.sum(original * vectors.unit(vectors.quantize(original)), axis=1) > 0.999).all()


def results(idx: MemoryIndex, query: str) -> list[tuple]:
    return [(r.id, r.memory.key, r.score, r.lexical_rank, r.semantic_rank) for r in idx.search(query, COZY_GENERAL, k=10)]


def test_semantic_off_gives_the_lexical_results_whether_or_not_vectors_exist(tmp_path: Path) -> None:
    memories = corpus(60)
    embedded = open_index(tmp_path / "a.db", Words(), k=10)
    embedded.add(memories)
    plain = open_index(tmp_path / "b.db", None, semantic=False, k=10)
    plain.add(memories)
    switched_off = open_index(tmp_path / "a.db", Words(), semantic=False, k=10)
    without_model = open_index(tmp_path / "a.db", None, k=10)
    for query in ("ramen and pho at the market", "silksong zelda", "frieren cafe beach"):
        lexical_only = results(plain, query)
        assert lexical_only and all(semantic is None for *_, semantic in lexical_only)
        assert results(switched_off, query) == lexical_only == results(without_model, query)
        assert results(embedded, query) != lexical_only  # with the semantic half the fusion differs
