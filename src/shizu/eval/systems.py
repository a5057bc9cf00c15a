"""The systems compared side by side, each a :class:`~shizu.persona.Persona` like every frontend's.

* ``base``: the base model without adapter. With a trained run it answers from the run's loaded
  weights with the adapter switched off (``LocalBackend.without_adapter``), so the base is not
  loaded twice; without one it is ``[train] base`` (the embedded SmolLM2 by default).
* each trained run (``--run NAME``, repeatable; default: the latest finished run);
* each server (``--server URL``, repeatable): an OpenAI-compatible server reached through the
  runtime's remote backend, prompts rendered with the first run's tokenizer (else the base's).

Local systems run on ``[generation] device`` with the ``[generation]`` sampling settings, like
``shizu chat``; their :class:`~shizu.persona.run.Weights` are kept for perplexity.
"""

from __future__ import annotations

import dataclasses
import importlib.util
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from shizu.errors import EvalError
from shizu.persona import Persona
from shizu.persona.backends import Backend
from shizu.persona.backends.local import LocalBackend, pick_device
from shizu.persona.media import MediaCatalogue
from shizu.persona.memory import PersonaMemory
from shizu.persona.run import base_weights, learnt_with_memories, run_weights
from shizu.persona.runtime import persona_name
from shizu.runs import Weights, find_run
from shizu.workspace import Workspace


@dataclass(frozen=True)
class System:
    """One column of the comparison."""

    name: str  # column header and report.json key
    kind: str  # "base", "run" or "server"
    persona: Persona
    weights: Weights | None  # local weights (for perplexity); None for a server

    @property
    def label(self) -> str:
        return self.persona.backend.label


def load_systems(
    ws: Workspace, runs: Sequence[str], *, base: bool, servers: Sequence[str], backend: str = "auto", memory: bool = True,
    say: Callable[[str], None] = lambda _: None,
) -> list[System]:
    """The base model, the runs and the servers to compare, in that order (nothing loaded yet).

    ``backend``: ``auto`` generates with llama.cpp (the run's exported GGUF adapter, same greedy
    settings; several times faster on a CPU) when llama-cpp-python is installed, the device is a
    CPU and llama.cpp was seen to run on it; ``transformers`` or ``llama.cpp`` force one.
    Perplexity is always teacher-forced with transformers.

    ``memory``: with ``[memory] enabled``, local systems are shown the memories each held-out row
    recorded (:mod:`shizu.eval.replay`), except runs trained with ``--no-memory``; ``False``: none is.
    """
    config = ws.config
    name = persona_name(ws)
    catalogue = MediaCatalogue.load(ws.dataset_dir / "media.json")
    fast = _use_llama_cpp(backend, config.generation.device, say)

    profile = ws.profile()
    remembers = PersonaMemory.open(ws, name, say) if memory else None

    def persona(backend: Backend, weights: Weights) -> Persona:
        shown = remembers if remembers is not None and learnt_with_memories(weights) else None
        return Persona(name, backend, catalogue=catalogue, generation=config.generation, build=config.build, profile=profile, memory=shown)

    def answering(weights: Weights, local: LocalBackend) -> Backend:
        """llama.cpp on these weights when it is the faster choice here, else ``local``."""
        if not fast:
            return local
        from shizu.persona.backends.llamacpp import LlamaCppBackend

        llama = LlamaCppBackend(weights, say=say)
        verdict = llama.usable()
        if verdict.ok:
            return llama
        say(verdict.fallback_line())
        return local

    paths = [find_run(ws.runs_dir, run) for run in dict.fromkeys(runs)] if runs else [find_run(ws.runs_dir, None)]
    trained = [run_weights(path, say=say) for path in paths if path is not None]
    if not runs and not trained:
        say("no trained run yet: evaluating the base model alone (train one with `shizu train`)")
    device = config.generation.device
    backends = [LocalBackend(w.base, w.adapter, w.tokenizer_dir, device) for w in trained]
    systems = [System(_column(w.run or "run"), "run", persona(answering(w, b), w), w) for w, b in zip(trained, backends)]
    if base and trained:
        # The first run's weights with the adapter switched off: the base is not loaded twice.
        weights = dataclasses.replace(trained[0], adapter=None)
        systems.insert(0, System("base", "base", persona(answering(weights, backends[0].without_adapter()), weights), weights))
    elif base:
        weights = base_weights(config.train.base, say=say)
        local = LocalBackend(weights.base, None, weights.tokenizer_dir, device)
        systems.insert(0, System("base", "base", persona(answering(weights, local), weights), weights))
    run = trained[0].run if trained else None
    for url in servers:
        remote = Persona.load(ws, run=run, base_only=run is None, server=url, say=say)
        systems.append(System(f"server {url}", "server", remote, None))
    if not systems:
        raise EvalError("Nothing to evaluate: --no-base without a trained run or a server", hint="Drop --no-base, or add --run NAME or --server URL.")
    return systems


def _use_llama_cpp(backend: str, device: str, say: Callable[[str], None]) -> bool:
    """Whether replies are generated with llama.cpp, said with its reason."""
    if backend == "transformers":
        return False
    installed = importlib.util.find_spec("llama_cpp") is not None
    if backend == "llama.cpp":
        if not installed:
            raise EvalError("--backend llama.cpp needs llama-cpp-python, which is not installed", hint="pip install 'shizu[llamacpp]', or use --backend transformers.")
        return True
    on_cpu = pick_device(device) == "cpu"
    if installed and on_cpu:
        say("replies: llama.cpp (installed, and the device is a CPU, where it is several times faster; --backend transformers to change)")
        return True
    say("replies: transformers (" + ("the device is a GPU" if installed else "llama-cpp-python is not installed") + ")")
    return False


def _column(run: str) -> str:
    """A run's column name; the reserved names of the other columns get a prefix."""
    return f"run {run}" if run in ("real", "base") or run.startswith("server ") else run
