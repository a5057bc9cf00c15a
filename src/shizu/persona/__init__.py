"""The persona runtime: a trained run answering live conversations (docs/runtime.md).

``Persona`` (:mod:`.runtime`) is the one streaming interface every frontend uses: the live
situation is rendered by the training renderer (:mod:`.live`), a backend continues the prompt
(:mod:`.backends`: transformers + PEFT here, or an OpenAI-compatible server), guards end the turn
before the model writes someone else's line (:mod:`.guards`), and post-processing turns the burst
into messages with real media, real emoji and no invented links or mass pings (:mod:`.postprocess`,
:mod:`.media`). ``shizu chat`` (:mod:`shizu.frontends.terminal`) is the terminal frontend. Nothing here imports
torch or transformers until a model is loaded.
"""

from shizu.persona.guards import self_talk
from shizu.persona.live import LiveMessage
from shizu.persona.postprocess import Cleanup, OutMessage, invented_links
from shizu.persona.runtime import Done, Draft, Event, Persona, Reply, Said

__all__ = [
    "Cleanup", "Done", "Draft", "Event", "LiveMessage", "OutMessage", "Persona", "Reply", "Said",
    "invented_links", "self_talk",
]
