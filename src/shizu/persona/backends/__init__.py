"""Backends: where the persona's text is generated. The runtime renders the prompt; a backend
only continues it.

Every backend turns one prompt string into a stream of text chunks, so the chat template used in
training is applied by Shizu itself everywhere (never by a server's own chat endpoint):

* :class:`~shizu.persona.backends.local.LocalBackend`: transformers (+ the PEFT adapter) on CPU/GPU;
* :class:`~shizu.persona.backends.remote.RemoteBackend`: any OpenAI-compatible server's raw
  ``/v1/completions`` (vLLM serving the LoRA, llama.cpp server, Ollama);
* :class:`~shizu.persona.backends.llamacpp.LlamaCppBackend`: llama.cpp in-process (the base GGUF
  plus the adapter written by ``shizu export --gguf``), 6.7x faster than transformers on the demo
  run on a 2-core CPU (bench/RESULTS.md).

Backends load lazily: nothing heavy happens before :meth:`Backend.prepare` or the first
:meth:`Backend.stream`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from shizu.config import GenerationConfig


class Backend(Protocol):
    """Generates the continuation of a rendered prompt."""

    @property
    def label(self) -> str:
        """What answers, for people: model, adapter, device or server."""
        ...

    @property
    def tokenizer(self) -> Any:
        """The tokenizer whose chat template renders the prompt (loaded on first use)."""
        ...

    def prepare(self) -> None:
        """Load the model or reach the server now (otherwise the first :meth:`stream` does)."""
        ...

    def stream(self, prompt: str, stop: Sequence[str], settings: GenerationConfig) -> Iterator[str]:
        """Text chunks continuing ``prompt``; closing the iterator stops the generation.

        ``stop`` lists strings that end the turn; a backend may stop on them early or not at all
        (the runtime's guard cuts the text either way).
        """
        ...
