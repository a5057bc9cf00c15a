"""A persona whose model is a script: the real runtime (render, guards, post-processing) around it.

:class:`ScriptedBackend` implements :class:`shizu.persona.backends.Backend` with the byte-level
ChatML tokenizer of ``persona_helpers``: each prompt is answered by ``reply(prompt)`` (text, or a
list of chunks to stream; an exception raised there fails that generation), and every prompt is
kept so the tests can check what the model was shown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from typing import Any

from persona_helpers import chatml_tokenizer
from shizu.config import BuildConfig, GenerationConfig
from shizu.persona.media import MediaCatalogue
from shizu.persona.runtime import Persona


@lru_cache(maxsize=1)
def _tokenizer() -> Any:
    return chatml_tokenizer()


class ScriptedBackend:
    """Answers each prompt with ``reply(prompt)``."""

    label = "scripted test model"

    def __init__(self, reply: Callable[[str], str | Sequence[str]]) -> None:
        self.reply = reply
        self.prompts: list[str] = []

    @property
    def tokenizer(self) -> Any:
        return _tokenizer()

    def prepare(self) -> None:
        self.tokenizer

    def stream(self, prompt: str, stop: Sequence[str], settings: GenerationConfig) -> Iterator[str]:
        self.prompts.append(prompt)
        answer = self.reply(prompt)
        yield from [answer] if isinstance(answer, str) else answer


def scripted_persona(
    reply: Callable[[str], str | Sequence[str]], *, catalogue: MediaCatalogue | None = None, build: BuildConfig | None = None,
) -> Persona:
    """The persona "Mika" answering with ``reply``."""
    return Persona("Mika", ScriptedBackend(reply), catalogue=catalogue, build=build)
