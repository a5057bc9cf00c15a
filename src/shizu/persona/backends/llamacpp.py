"""The llama.cpp backend: the base GGUF plus the run's LoRA as a GGUF adapter, in this process.

``llama-cpp-python`` is an optional extra (``pip install 'shizu[llamacpp]'``; it builds llama.cpp
from source, several minutes). The GGUF files come from :func:`shizu.export.pipeline.gguf_files`:
the run's ``shizu export --gguf`` output, written on first use when missing. With ``merged``
(``[generation] merge_adapter``) llama.cpp runs one GGUF with the adapter merged in instead:
applying the LoRA at run time costs llama.cpp 10-25% of its speed on the 135M model, a
merged Q8_0 model runs as fast as the base or faster (its weights are 8-bit rounded, so replies can
differ from transformers' at near-ties).

The prompt is tokenised by the run's own tokenizer (the one training used) and handed to
llama.cpp as token ids, so the model sees exactly the training tokens whatever llama.cpp's
tokenizer would have done with the text.

Before the first load, :mod:`~shizu.persona.backends.llamacpp_check` makes sure llama.cpp runs on
this CPU at all (a crash in a child process, not in this one); the runtime falls back to
transformers when it does not. Generated ids are turned back into text by the same
tokenizer, special tokens kept (the guard sees a ``<|im_start|>`` header), through the
``tokenizers`` library's ``DecodeStream`` (it holds back a partial UTF-8 character).

Sampling follows ``[generation]`` in transformers' order: ``repetition_penalty`` on every token of
the prompt and of the reply (llama.cpp's own penalty only sees the last 64 generated tokens),
then ``temperature`` (0: greedy), then ``top_p``; llama.cpp's top-k and min-p filters are off.
The first two run as a logits processor, so both local backends give the same greedy replies and
sample from the same distribution. Generation stops at the
end-of-turn / EOS ids, after ``max_new_tokens``, or when the consumer closes the stream.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Sequence
from functools import cached_property
from typing import Any

from shizu.chat.template import load_tokenizer
from shizu.config import GenerationConfig
from shizu.errors import PersonaError
from shizu.export.gguf_base import Precision
from shizu.persona.backends.llamacpp_check import DOCS, Verdict, check
from shizu.persona.backends.local import stop_token_ids
from shizu.runs import Weights
from shizu.train.base_model import cache_root

N_CTX = 4096  # room for the longest prompt the runtime renders plus a reply
INSTALL_HINT = "Install it with `pip install 'shizu[llamacpp]'` (builds llama.cpp, several minutes), or set backend = \"transformers\" in [generation]."


class LlamaCppBackend:
    """llama.cpp (through llama-cpp-python) on the GGUF export of ``weights``."""

    def __init__(
        self,
        weights: Weights,
        *,
        merged: bool = False,
        threads: int | None = None,
        precision: Precision = "q8_0",
        say: Callable[[str], None] = lambda _: None,
    ) -> None:
        self.weights = weights
        self.merged = merged and weights.adapter is not None  # one GGUF with the adapter merged in
        self.threads = threads or _cores()
        self.precision = precision  # of a GGUF this backend has to write (a base from a folder, a merged model)
        self._say = say
        self.seed: int | None = None  # the sampling seed of every reply from now on (None: llama.cpp's own, a fresh one each time)
        self._tokenizer: Any = None
        self._llm: Any = None
        self._lock = threading.Lock()  # loading
        self._busy = threading.Lock()  # one generation at a time

    @property
    def label(self) -> str:
        if self.weights.adapter is None:
            what = f"{self.weights.base_name} (base model, no adapter)"
        else:
            what = f"{self.weights.base_name} + run {self.weights.run!r}" + (" merged" if self.merged else "")
        return f"{what} (llama.cpp, {self.threads} threads)"

    @property
    def tokenizer(self) -> Any:
        with self._lock:
            if self._tokenizer is None:
                self._tokenizer = load_tokenizer(self.weights.tokenizer_dir)
            return self._tokenizer

    def prepare(self) -> None:
        self._load()

    def _load(self) -> Any:
        self.tokenizer
        with self._lock:
            if self._llm is None:
                try:
                    from llama_cpp import Llama
                except ImportError:
                    raise PersonaError("The llama.cpp backend needs llama-cpp-python, which is not installed", hint=INSTALL_HINT) from None
                files = self.files
                verdict = self.usable()
                if not verdict.ok:  # never hand a conversation to a llama.cpp not seen to run here
                    raise PersonaError(
                        f"llama.cpp {verdict.problem}",
                        hint=f"Rebuild llama-cpp-python (see {DOCS}), or set backend = \"transformers\" in [generation].",
                    )
                try:
                    self._llm = Llama(
                        model_path=str(files.base),
                        lora_path=str(files.adapter) if files.adapter else None,
                        n_ctx=N_CTX,
                        n_threads=self.threads,
                        n_threads_batch=self.threads,
                        verbose=False,
                    )
                except (ValueError, RuntimeError) as exc:
                    written = files.base if self.merged else files.adapter  # what Shizu wrote and can write again
                    raise PersonaError(
                        f"llama.cpp cannot load {files.base}" + (f" with {files.adapter}" if files.adapter else "") + f": {exc}",
                        hint=f"Delete {written} so that Shizu writes it again." if written else "Check that the base model file is complete.",
                    ) from None
            return self._llm

    @cached_property
    def files(self) -> Any:
        """The GGUF files llama.cpp loads (the run's export, written on first use), found once:
        finding the base GGUF hashes it, and both :meth:`usable` and the first load need them."""
        from shizu.export.pipeline import gguf_files

        return gguf_files(self.weights, merged=self.merged, precision=self.precision, say=self._say)

    def usable(self) -> Verdict:
        """Whether llama.cpp has been seen to run on this CPU (checked once, in a child process)."""
        return check(self.files.base, self.files.adapter, cache_root(), say=self._say)

    def stream(self, prompt: str, stop: Sequence[str], settings: GenerationConfig) -> Iterator[str]:
        from llama_cpp import LogitsProcessorList
        from tokenizers.decoders import DecodeStream

        llm = self._load()
        tokenizer = self.tokenizer
        ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        if len(ids) + settings.max_new_tokens > N_CTX:
            raise PersonaError(
                f"The prompt ({len(ids)} tokens) and the reply ({settings.max_new_tokens} tokens) do not fit llama.cpp's {N_CTX}-token context",
                hint="Lower [build] max_context_tokens or [generation] max_new_tokens in shizu.toml.",
            )
        stop_ids = set(stop_token_ids(tokenizer, stop))
        greedy = settings.temperature == 0
        shaping = settings.repetition_penalty != 1 or settings.temperature not in (0, 1)
        decoder = DecodeStream(skip_special_tokens=False)
        with self._busy:
            if self.seed is not None:
                llm.set_seed(self.seed)  # generate() makes its sampler from the seed set now
            tokens = llm.generate(
                ids, top_k=0, top_p=settings.top_p, min_p=0.0, typical_p=1.0, temp=0.0 if greedy else 1.0, repeat_penalty=1.0,
                logits_processor=LogitsProcessorList([_like_transformers(settings.repetition_penalty, settings.temperature)]) if shaping else None,
            )
            try:
                for count, token in enumerate(tokens, start=1):
                    text = decoder.step(tokenizer.backend_tokenizer, token)
                    if text:
                        yield text
                    if token in stop_ids or count >= settings.max_new_tokens:
                        break
            finally:
                tokens.close()


def _cores() -> int:
    """The cores this process may use (``sched_getaffinity`` is Linux-only)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _like_transformers(penalty: float, temperature: float) -> Callable[[Any, Any], Any]:
    """transformers' repetition penalty, then its temperature, as a llama-cpp-python logits processor.

    Every token already in the sequence (prompt included) has its logit divided by ``penalty``
    when positive, multiplied when negative; then all logits are divided by ``temperature``
    (llama.cpp would apply it after top-p, transformers before).
    """
    import numpy as np

    def apply(input_ids: Any, logits: Any) -> Any:
        if penalty != 1:
            seen = np.unique(input_ids)
            scores = logits[seen]
            logits[seen] = np.where(scores < 0, scores * penalty, scores / penalty)
        return logits / temperature if temperature not in (0, 1) else logits

    return apply
