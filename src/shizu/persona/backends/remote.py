"""The remote backend: any OpenAI-compatible server, through its raw ``/v1/completions``.

Shizu renders the prompt with the run's own tokenizer and chat template and sends it as plain
text, so the server's chat endpoint (and whatever template it would apply) is never involved:
vLLM serving the LoRA, a llama.cpp server or Ollama all see exactly the training layout.
Responses are streamed as server-sent events; closing the stream closes the connection, which
makes the server stop. The standard library's ``urllib`` is enough for this (no extra dependency).

``repetition_penalty`` is not part of the OpenAI API: it is sent as ``repetition_penalty`` (vLLM)
and ``repeat_penalty`` (llama.cpp) when it differs from 1; servers ignore what they do not know.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from shizu.chat.template import load_tokenizer
from shizu.config import GenerationConfig
from shizu.errors import PersonaError

FIX_SERVER = 'Start the server, fix [generation] server in shizu.toml, or set server = "" to run the model here.'


class RemoteBackend:
    """Completions from the server at ``url`` (its base URL, with or without ``/v1``)."""

    def __init__(self, url: str, tokenizer_dir: Path, model: str = "", api_key: str | None = None, timeout: float = 300.0) -> None:
        self.url = url.rstrip("/").removesuffix("/v1")
        self.model = model
        self.tokenizer_dir = tokenizer_dir
        self.api_key = api_key
        self.timeout = timeout
        self._tokenizer: Any = None

    @property
    def label(self) -> str:
        return f"{self.model or 'the default model'} at {self.url} (OpenAI-compatible server)"

    @property
    def tokenizer(self) -> Any:
        if self._tokenizer is None:
            self._tokenizer = load_tokenizer(self.tokenizer_dir)
        return self._tokenizer

    def prepare(self) -> None:
        """Load the tokenizer and ask the server which model it serves (when none was named)."""
        self.tokenizer
        if not self.model:
            with self._open("/v1/models", None) as response:
                served = json.load(response).get("data") or []
            if not served:
                raise PersonaError(f"The server at {self.url} serves no model", hint=FIX_SERVER)
            self.model = served[0]["id"]

    def stream(self, prompt: str, stop: Sequence[str], settings: GenerationConfig) -> Iterator[str]:
        if not self.model:
            self.prepare()
        body: dict[str, Any] = {
            "model": self.model,
            "prompt": prompt,
            "max_tokens": settings.max_new_tokens,
            "temperature": settings.temperature,
            "top_p": settings.top_p,
            "stop": list(stop),
            "stream": True,
        }
        if settings.repetition_penalty != 1:
            body["repetition_penalty"] = body["repeat_penalty"] = settings.repetition_penalty
        with self._open("/v1/completions", body) as response:
            if "text/event-stream" not in response.headers.get("Content-Type", ""):
                yield _text(json.load(response), self.url)  # a server that does not stream
                return
            try:
                for raw in response:
                    line = raw.decode("utf-8").strip()
                    if not line.startswith("data:"):
                        continue
                    data = line[len("data:"):].strip()
                    if data == "[DONE]":
                        return
                    text = _text(json.loads(data), self.url)
                    if text:
                        yield text
            except (TimeoutError, ConnectionError) as exc:
                raise PersonaError(f"The server at {self.url} stopped answering: {exc}", hint=FIX_SERVER) from None

    def _open(self, path: str, body: dict[str, Any] | None) -> Any:
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream, application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        data = json.dumps(body).encode("utf-8") if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, headers=headers, method="POST" if data else "GET")
        try:
            return urllib.request.urlopen(request, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")[:300]
            raise PersonaError(f"The server at {self.url} answered {path} with HTTP {exc.code}: {detail}", hint=FIX_SERVER) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            raise PersonaError(f"Cannot reach the model server at {self.url}: {reason}", hint=FIX_SERVER) from None


def _text(payload: dict[str, Any], url: str) -> str:
    """The completion text in one response or stream event."""
    if "error" in payload:
        error = payload["error"]
        message = error.get("message", error) if isinstance(error, dict) else error
        raise PersonaError(f"The server at {url} reported an error: {message}", hint=FIX_SERVER)
    choices = payload.get("choices") or [{}]
    return choices[0].get("text") or ""
