"""Shared pieces of the memory tests: places, a memory maker, a deterministic stand-in for MiniLM."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from shizu.chat.layout import Place, Turn
from shizu.config import MemoryConfig
from shizu.memory import Embedder, Memory, MemoryIndex, Origin, Where
from shizu.memory.terms import terms
from shizu.store import MessageStore

T0 = datetime(2024, 3, 2, 21, 0, tzinfo=UTC)

DM_ANA = Where("discord", "dm", "100")
DM_BEN = Where("discord", "dm", "101")
GROUP = Where("discord", "group", "200")
COZY_GENERAL = Where("discord", "guild-text", "300", "9000")
COZY_GAMES = Where("discord", "guild-text", "301", "9000")
COZY_THREAD = Where("discord", "thread", "302", "9000")
OTHER_GENERAL = Where("discord", "guild-text", "400", "9100")

SHOWN = {
    DM_ANA: Place(kind="dm"), DM_BEN: Place(kind="dm"), GROUP: Place(kind="group", channel="ana, ben, cleo"),
    COZY_GENERAL: Place(kind="guild-text", channel="general", server="Cozy"), COZY_GAMES: Place(kind="guild-text", channel="games", server="Cozy"),
    COZY_THREAD: Place(kind="thread", channel="raid plans", server="Cozy", parent="games"),
    OTHER_GENERAL: Place(kind="guild-text", channel="general", server="Other"),
}
SPEAKERS = {"1": "Ana", "2": "Ben", "3": "Cleo"}


def memory(key: str, where: Where, minutes: float, said: str, reply: str, *, by: str = "1", origin: Origin = "history") -> Memory:
    """A memory made at ``where``, ``minutes`` after :data:`T0`: ``by`` said ``said``, the persona replied ``reply``."""
    return Memory(
        key=key, where=where, place=SHOWN[where], time=T0 + timedelta(minutes=minutes),
        context=(Turn(SPEAKERS[by], False, (said,)),), reply=(reply,), people=(by,), origin=origin,
    )


class Words:
    """A stand-in embedder: each term adds ±1 on a dimension picked by its crc32, normalised. Texts
    that share words are close, others far; records how many texts it embedded."""

    dimensions = 384

    def __init__(self) -> None:
        self.embedded = 0

    def encode(self, texts: list[str], *, normalize_embeddings: bool, batch_size: int, show_progress_bar: bool) -> np.ndarray:
        self.embedded += len(texts)
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for row, text in enumerate(texts):
            for term in terms(text):
                code = zlib.crc32(term.encode())
                out[row, code % self.dimensions] += 1.0 if code & 1024 else -1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1)


def open_index(path: Path, embedder: Embedder | None = None, **settings: object) -> MemoryIndex:
    """A memory index on a fresh (or existing) workspace database at ``path``."""
    return MemoryIndex(MessageStore(path), MemoryConfig(**settings), embedder)  # type: ignore[arg-type]  # settings are MemoryConfig's
