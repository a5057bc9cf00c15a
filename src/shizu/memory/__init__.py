"""The persona's memory: its own past exchanges, searched for the live conversation, scoped for privacy.

* :mod:`~shizu.memory.record`: a :class:`Memory` (one persona turn and the turns it answered),
  :class:`Where` it was made, and the scope rule (:func:`visible`);
* :mod:`~shizu.memory.index`: :class:`MemoryIndex` (add, embed, search, list, forget), over the
  tables of :mod:`shizu.store.memories`;
* the halves of a search: :mod:`~shizu.memory.terms` and :mod:`~shizu.memory.lexical` (BM25 over
  FTS5 postings), :mod:`~shizu.memory.encoder` and :mod:`~shizu.memory.vectors` (all-MiniLM-L6-v2
  embeddings: sign bits, then exact cosine), :mod:`~shizu.memory.snapshot` (the scope, time and
  opt-out filters, in RAM) and :mod:`~shizu.memory.fusion` (reciprocal rank fusion);
* :mod:`~shizu.memory.render`: recalled memories as prompt text within a token budget;
* :mod:`~shizu.memory.recall`: :func:`recollect`, the one way a prompt recalls (search, keep what
  fits, render), used by ``shizu build`` for each training example and by the runtime.

``docs/memory.md`` says what is remembered, where, and what each scope exposes.
"""

from shizu.memory.encoder import Embedder, load_minilm, semantic_embedder
from shizu.memory.index import MemoryIndex
from shizu.memory.recall import NOTHING, Recollection, hidden_names, recollect, recollection_of
from shizu.memory.record import Memory, Origin, Recalled, Scope, Where, query_text, visible
from shizu.memory.render import describe, render

__all__ = [
    "NOTHING", "Embedder", "Memory", "MemoryIndex", "Origin", "Recalled", "Recollection", "Scope", "Where", "describe", "hidden_names",
    "load_minilm", "query_text", "recollect", "recollection_of", "render", "semantic_embedder", "visible",
]
