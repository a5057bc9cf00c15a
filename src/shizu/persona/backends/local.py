"""The local backend: transformers, with the run's PEFT adapter, on CPU or GPU.

``model.generate`` runs in a worker thread and streams through ``TextIteratorStreamer`` (special
tokens kept, so the guard sees a ``<|im_start|>`` header); generation ends on the template's
end-of-turn / EOS token ids, or as soon as the consumer closes the stream (the guard decided the
turn is over), through a stopping criterion polled after every token.

:meth:`LocalBackend.without_adapter` gives the base model's answers from the same loaded weights
(PEFT's ``disable_adapter``), for side-by-side evaluation without loading the base twice.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from shizu.chat.template import load_tokenizer
from shizu.config import GenerationConfig
from shizu.errors import PersonaError


class _Loaded:
    """The model and tokenizer, loaded once and shared by a backend and its adapter-less twin."""

    def __init__(self, base: Path, adapter: Path | None, tokenizer_dir: Path, device: str) -> None:
        self.base, self.adapter, self.tokenizer_dir, self.requested = base, adapter, tokenizer_dir, device
        self.model: Any = None
        self.tokenizer: Any = None
        self.device = ""
        self.lock = threading.Lock()  # loading
        self.busy = threading.Lock()  # one generation at a time per loaded model

    def load_tokenizer(self) -> Any:
        with self.lock:
            if self.tokenizer is None:
                self.tokenizer = load_tokenizer(self.tokenizer_dir)
            return self.tokenizer

    def load_model(self) -> Any:
        self.load_tokenizer()
        with self.lock:
            if self.model is None:
                import torch
                from transformers import AutoModelForCausalLM

                self.device = pick_device(self.requested)
                dtype = torch.bfloat16 if self.device == "cuda" and torch.cuda.is_bf16_supported() else torch.float32
                try:
                    model = AutoModelForCausalLM.from_pretrained(self.base, dtype=dtype)
                except (OSError, ValueError) as exc:
                    raise PersonaError(
                        f"Cannot load the base model from {self.base}: {exc}",
                        hint="Check that the folder holds config.json and the weights (shizu train writes its path in meta.json).",
                    ) from None
                if self.adapter is not None:
                    from peft import PeftModel

                    model = PeftModel.from_pretrained(model, self.adapter)
                self.model = model.to(self.device).eval()
            return self.model


def pick_device(requested: str) -> str:
    """``auto``: CUDA, else Apple MPS, else CPU; an explicit device must be present."""
    import torch

    available = {"cpu": True, "cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available()}
    if requested == "auto":
        return "cuda" if available["cuda"] else "mps" if available["mps"] else "cpu"
    if not available.get(requested, False):
        raise PersonaError(
            f"[generation] device = {requested!r}, but this machine has no such device",
            hint='Set device = "auto" (or "cpu") in shizu.toml.',
        )
    return requested


class LocalBackend:
    """transformers + PEFT in this process. ``adapter=None``: the base model alone."""

    def __init__(self, base: Path, adapter: Path | None, tokenizer_dir: Path, device: str = "auto") -> None:
        self._loaded = _Loaded(base, adapter, tokenizer_dir, device)
        self._use_adapter = adapter is not None

    def without_adapter(self) -> LocalBackend:
        """The same weights answering as the base model (the adapter switched off)."""
        twin = object.__new__(LocalBackend)
        twin._loaded, twin._use_adapter = self._loaded, False
        return twin

    @property
    def label(self) -> str:
        loaded = self._loaded
        what = f"{loaded.base.name} + adapter {loaded.adapter}" if self._use_adapter else f"{loaded.base.name} (base model, no adapter)"
        return f"{what} (transformers, {loaded.device or loaded.requested})"

    @property
    def tokenizer(self) -> Any:
        return self._loaded.load_tokenizer()

    def prepare(self) -> None:
        self._loaded.load_model()

    def stream(self, prompt: str, stop: Sequence[str], settings: GenerationConfig) -> Iterator[str]:
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        model = self._loaded.load_model()
        tokenizer = self._loaded.tokenizer
        inputs = tokenizer(prompt, return_tensors="pt", add_special_tokens=False).to(self._loaded.device)
        halt = threading.Event()

        class _Halted(StoppingCriteria):
            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
                return torch.full((input_ids.shape[0],), halt.is_set(), dtype=torch.bool, device=input_ids.device)

        streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=False)
        kwargs: dict[str, Any] = dict(
            **inputs,
            streamer=streamer,
            max_new_tokens=settings.max_new_tokens,
            repetition_penalty=settings.repetition_penalty,
            stopping_criteria=StoppingCriteriaList([_Halted()]),
            eos_token_id=stop_token_ids(tokenizer, stop),
            pad_token_id=tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id,
        )
        if settings.temperature > 0:
            kwargs.update(do_sample=True, temperature=settings.temperature, top_p=settings.top_p)
        else:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        failure: list[BaseException] = []
        switch = model.disable_adapter if self._loaded.adapter is not None and not self._use_adapter else nullcontext

        def work() -> None:
            try:
                with torch.inference_mode(), switch():
                    model.generate(**kwargs)
            except Exception as exc:  # re-raised in the consumer's thread below
                failure.append(exc)
                streamer.end()

        with self._loaded.busy:
            worker = threading.Thread(target=work, name="shizu-generate", daemon=True)
            worker.start()
            try:
                for text in streamer:
                    if text:
                        yield text
            finally:
                halt.set()
                worker.join()
        if failure:
            raise failure[0]


def stop_token_ids(tokenizer: Any, stop: Sequence[str]) -> list[int]:
    """Ids of the stop strings that are single tokens (end-of-turn, EOS), plus EOS itself."""
    ids = {tokenizer.eos_token_id} if tokenizer.eos_token_id is not None else set()
    unk = tokenizer.unk_token_id
    for text in stop:
        if text.startswith("\n"):
            continue
        token_id = tokenizer.convert_tokens_to_ids(text)
        if isinstance(token_id, int) and token_id != unk and tokenizer.convert_ids_to_tokens(token_id) == text:
            ids.add(token_id)
    return sorted(ids)
