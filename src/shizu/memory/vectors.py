"""The semantic half's numbers: int8 embeddings for exact cosine, sign bits for a fast first pass.

Each embedding is stored twice, compactly: quantized to int8 (384 bytes, its direction kept to
about 0.1 %) for exact rescoring, and as 384 sign bits around a fixed centre (48 bytes) kept in RAM.
A search ranks the memories in scope by the Hamming distance of their bits to the query's bits,
keeps the :data:`RESCORE` nearest, and orders those by exact cosine. With at most :data:`RESCORE`
memories in scope the result is exactly the cosine order; above it, a memory the bits rank too far
down is missed (``bench/memory.py`` measures how often against a full cosine scan). A memory below
:data:`MIN_COSINE` is not a semantic match at all, so an unrelated memory is never recalled just
to fill the list. Plain NumPy.
"""

from __future__ import annotations

import numpy as np

RESCORE = 256  # memories rescored by exact cosine after the first pass on bits
MIN_COSINE = 0.3  # less similar than this is no match (all-MiniLM-L6-v2: unrelated chat lines score about 0-0.25)
FAR = np.uint16(0xFFFF)  # the distance of a memory the first pass must not return


def quantize(vectors: np.ndarray) -> np.ndarray:
    """Float vectors (a row each) as int8, each row scaled so its largest component is ±127."""
    vectors = np.asarray(vectors, dtype=np.float32)
    peak = np.abs(vectors).max(axis=1, keepdims=True)
    return np.rint(vectors * (127 / np.where(peak > 0, peak, 1))).astype(np.int8)


def unit(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (float64; a zero row stays zero)."""
    vectors = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1)


def sign_bits(vectors: np.ndarray, center: np.ndarray) -> np.ndarray:
    """One bit per dimension (above the centre or not), packed in uint64 words: shape (rows, dims / 64)."""
    above = unit(vectors) > center
    return np.ascontiguousarray(np.packbits(above, axis=1)).view(np.uint64)


def hamming(bits: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Distance from ``query`` (words,) to each column of ``bits`` (words, n), as uint16."""
    distance = np.bitwise_count(bits[0] ^ query[0]).astype(np.uint16)
    for word in range(1, len(query)):
        distance += np.bitwise_count(bits[word] ^ query[word])
    return distance


def nearest(distance: np.ndarray, count: int) -> np.ndarray:
    """Indices of the ``count`` smallest distances below :data:`FAR`, ties in index order (sorted by index)."""
    histogram = np.bincount(distance, minlength=int(FAR) + 1)[: int(FAR)]
    if histogram.sum() <= count:
        return np.flatnonzero(distance != FAR)
    cutoff = int(np.searchsorted(np.cumsum(histogram), count))  # the distance at which `count` is reached
    closer = np.flatnonzero(distance < cutoff)
    tied = np.flatnonzero(distance == cutoff)[: count - len(closer)]
    return np.sort(np.concatenate([closer, tied]))


def cosine(query: np.ndarray, stored: np.ndarray) -> np.ndarray:
    """Cosine of the unit ``query`` to each int8 row of ``stored`` (float64)."""
    return unit(stored) @ np.asarray(query, dtype=np.float64)
