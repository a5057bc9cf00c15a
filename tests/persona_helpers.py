"""Helpers for the persona runtime tests: a tiny ChatML tokenizer, a tiny run, a fake server,
a scripted backend.

Everything is built in the test's temporary folder in well under a second: a byte-level tokenizer
(256 byte tokens + the ChatML special tokens, SmolLM2's chat template), a randomly initialised
2-layer Llama on that vocabulary, a PEFT adapter with random (not zero) LoRA weights so that it
changes the output, and a local HTTP server speaking the OpenAI completions API. No model hub.
:class:`ScriptedBackend` stands in for the model where the test is about the runtime around it.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from config_helpers import set_config
from shizu.config import GenerationConfig
from shizu.workspace import Workspace

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
CHATML = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful AI assistant<|im_end|>\n' }}{% endif %}"
    "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def chatml_tokenizer() -> Any:
    """A byte-level BPE tokenizer without merges: every text encodes, one token per byte."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    alphabet = pre_tokenizers.ByteLevel.alphabet()
    vocab = {token: i for i, token in enumerate(SPECIALS + sorted(alphabet))}
    core = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    core.decoder = decoders.ByteLevel()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core, bos_token="<|im_start|>", eos_token="<|im_end|>", unk_token="<|endoftext|>",
        pad_token="<|endoftext|>",
    )
    tokenizer.add_special_tokens({"additional_special_tokens": SPECIALS})
    tokenizer.chat_template = CHATML
    return tokenizer


@cache
def tokenizer() -> Any:
    """One :func:`chatml_tokenizer` for the whole session (read-only: the scripted backends share it)."""
    return chatml_tokenizer()


Reply = str | Sequence[str]  # a scripted reply: one text, or the chunks to stream


class ScriptedBackend:
    """A :class:`shizu.persona.backends.Backend` whose model is a script; it records what it was asked.

    ``script`` is either the replies, in order (each a text or a list of chunks to stream; the
    last one repeats), or a function from the prompt to the reply (an exception raised there fails
    that generation). ``delay`` seconds pass before each chunk; ``gate``, when set, must be opened
    before a reply starts. Every call is recorded: ``prompts``, ``stops`` and ``settings``, and in
    ``read`` how many chunks the caller took before it closed the stream. ``most_at_once`` is the
    largest number of replies that were being written at the same time.
    """

    label = "scripted test model"

    def __init__(self, script: Sequence[Reply] | Callable[[str], Reply], *, delay: float = 0.0, gate: threading.Event | None = None) -> None:
        self.reply = script if callable(script) else None
        self.replies: list[list[str]] = [] if callable(script) else [_chunks(r) for r in script]
        self.delay = delay
        self.gate = gate
        self.prompts: list[str] = []
        self.stops: list[list[str]] = []
        self.settings: list[GenerationConfig] = []
        self.read: list[int] = []
        self.most_at_once = 0
        self._active = 0
        self._lock = threading.Lock()

    @property
    def tokenizer(self) -> Any:
        return tokenizer()

    def prepare(self) -> None:
        pass

    def stream(self, prompt: str, stop: Sequence[str], settings: GenerationConfig) -> Iterator[str]:
        with self._lock:
            self.prompts.append(prompt)
            self.stops.append(list(stop))
            self.settings.append(settings)
            if self.reply is None:
                chunks = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
            self._active += 1
            self.most_at_once = max(self.most_at_once, self._active)
        read = 0
        try:
            if self.reply is not None:  # outside the lock: a slow script must not serialise the callers
                chunks = _chunks(self.reply(prompt))
            if self.gate is not None:
                self.gate.wait(10)
            for chunk in chunks:
                time.sleep(self.delay)
                read += 1
                yield chunk
        finally:
            with self._lock:
                self._active -= 1
                self.read.append(read)


def _chunks(reply: Reply) -> list[str]:
    return [reply] if isinstance(reply, str) else list(reply)


def save_tiny_base(folder: Path) -> Path:
    """A random 2-layer Llama on :func:`chatml_tokenizer`'s vocabulary, saved as an HF folder."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = chatml_tokenizer()
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=2048, tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def save_tiny_run(ws: Workspace, name: str = "tiny", base: Path | None = None) -> Path:
    """``runs/<name>/`` as ``shizu train`` writes it: adapter, tokenizer and meta.json."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base = base or save_tiny_base(ws.root / "base")
    run = ws.runs_dir / name
    torch.manual_seed(1)
    model = get_peft_model(
        AutoModelForCausalLM.from_pretrained(base),
        LoraConfig(r=4, lora_alpha=8, target_modules="all-linear", init_lora_weights=False, task_type="CAUSAL_LM"),
    )
    model.save_pretrained(run)
    chatml_tokenizer().save_pretrained(run)
    meta = {
        "name": name,
        "base": {"name": "tiny-llama", "path": str(base), "source": str(base), "sha256": "0" * 64},
        "chat_format": {"end_of_turn": "<|im_end|>", "pad_token": "<|endoftext|>"},
        "config": {"base": str(base)},
    }
    (run / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    return run


def make_workspace(root: Path, *, name: str = "Mika", generation: dict[str, object] | None = None) -> Workspace:
    """A workspace whose ``[generation]`` section has the given values (greedy by default)."""
    ws = Workspace.create(root, name=name, me=["1"])
    set_config(ws.config_path, "generation", **{"temperature": 0, "max_new_tokens": 24, **(generation or {})})
    return Workspace(root)


@dataclass
class CompletionServer:
    """A local OpenAI-compatible server: answers each completion with the next canned reply.

    A reply is a list of text chunks, streamed as server-sent events (or sent as one JSON body
    when the request or ``streams`` says not to stream). ``requests`` records every request body.
    """

    replies: list[list[str]]
    models: list[str] = field(default_factory=lambda: ["tiny-lora"])
    streams: bool = True
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    url: str = ""

    def handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                if self.path != "/v1/models":
                    self.send_error(404)
                    return
                self._json({"object": "list", "data": [{"id": m, "object": "model"} for m in server.models]})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append(body)
                server.headers.append(dict(self.headers))
                if self.path != "/v1/completions":
                    self.send_error(404)
                    return
                chunks = server.replies.pop(0)
                if not (body.get("stream") and server.streams):
                    self._json({"choices": [{"index": 0, "text": "".join(chunks), "finish_reason": "stop"}]})
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for chunk in chunks:
                    event = {"object": "text_completion", "choices": [{"index": 0, "text": chunk, "finish_reason": None}]}
                    self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                self.wfile.write(b"data: [DONE]\n\n")

            def _json(self, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


@contextmanager
def completion_server(
    replies: Sequence[Sequence[str]], models: Sequence[str] = ("tiny-lora",), streams: bool = True
) -> Iterator[CompletionServer]:
    """Run a :class:`CompletionServer` on 127.0.0.1 (a free port) for the ``with`` block."""
    state = CompletionServer(replies=[list(r) for r in replies], models=list(models), streams=streams)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), state.handler())
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
