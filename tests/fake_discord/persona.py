"""A persona whose model is a script: the real runtime (render, guards, post-processing) around it.

The model is :class:`persona_helpers.ScriptedBackend` with a function for its script: each prompt
is answered by ``reply(prompt)`` (text, or a list of chunks to stream; an exception raised there
fails that generation), and every prompt is kept so the tests can check what the model was shown.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from persona_helpers import ScriptedBackend
from shizu.config import BuildConfig
from shizu.persona.media import MediaCatalogue
from shizu.persona.runtime import Persona


def scripted_persona(
    reply: Callable[[str], str | Sequence[str]], *, catalogue: MediaCatalogue | None = None, build: BuildConfig | None = None,
) -> Persona:
    """The persona "Mika" answering with ``reply``."""
    return Persona("Mika", ScriptedBackend(reply), catalogue=catalogue, build=build)
