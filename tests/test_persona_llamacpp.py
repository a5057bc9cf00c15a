"""The llama.cpp backend: llama.cpp with the exported adapter answers like transformers with PEFT.

The fast tests use tiny random llama and qwen2 models whose base GGUF is written by Shizu's own
writer (float32, so both engines compute with the same weights), with a random LoRA on every
linear layer; greedy replies are compared exactly (the model's text, before post-processing).
The slow one uses the embedded SmolLM2 GGUF (Q4_1) and a LoRA on its de-quantized copy, as
``shizu train`` makes it, compared teacher-forced (see its docstring).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from clock import NOW
from llamacpp_helpers import save_base, save_lora_run
from shizu.chat.layout import Place
from shizu.config import GenerationConfig
from shizu.errors import PersonaError
from shizu.export.pipeline import gguf_files
from shizu.persona import LiveMessage, Persona
from shizu.persona.backends.llamacpp import LlamaCppBackend
from shizu.persona.backends.local import LocalBackend
from shizu.persona.run import run_weights
from shizu.runs import Weights
from shizu.workspace import Workspace

pytestmark = pytest.mark.native  # loads llama.cpp: run in a child process (tests/native_isolation.py)
needs_llama_cpp = pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None, reason="llama-cpp-python is not installed (extra `llamacpp`)")

CONVERSATIONS = [
    ([LiveMessage("Alice", "did you see the trailer", NOW), LiveMessage("Bob", "it looks so good", NOW)], Place(kind="guild-text", channel="general")),
    ([LiveMessage("Alice", "are you coming tonight?", NOW)], Place(kind="dm")),
    ([LiveMessage("Bob", "lol", NOW), LiveMessage("Mika", "what", NOW, is_persona=True), LiveMessage("Bob", "the cat 😭", NOW)], Place(kind="dm")),
    ([LiveMessage("Chloé", "who wants to play later? 🎮", NOW)], Place(kind="guild-text", channel="games", server="Cozy")),
]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, Weights, Path]:
    """A workspace with a tiny llama run whose GGUF files (float32 base) are already exported."""
    root = tmp_path_factory.mktemp("llamacpp")
    ws = Workspace.create(root / "ws", name="Mika", me=["1"])
    weights = run_weights(save_lora_run(ws, save_base(root / "base")))
    gguf_files(weights, precision="f32", cache=root / "cache")
    return ws, weights, root / "cache"


def _persona(backend: object, **settings: float) -> Persona:
    return Persona("Mika", backend, generation=GenerationConfig(**{"temperature": 0, "max_new_tokens": 24, **settings}))  # type: ignore[arg-type]


def _replies(persona: Persona) -> list[str]:
    return [persona.reply(history, place, now=NOW).generated for history, place in CONVERSATIONS]


@needs_llama_cpp
@pytest.mark.parametrize("penalty", [1.1, 1.0])
def test_same_greedy_replies_as_transformers_with_peft(tiny, penalty: float) -> None:
    _, weights, _ = tiny
    local = LocalBackend(weights.base, weights.adapter, weights.tokenizer_dir, "cpu")
    expected = _replies(_persona(local, repetition_penalty=penalty))
    assert _replies(_persona(LlamaCppBackend(weights), repetition_penalty=penalty)) == expected
    assert len(set(expected)) > 1 and min(len(text) for text in expected) >= 20  # varied replies, long enough to compare
    # the adapter really changes the answers, so the agreement above includes it
    assert _replies(_persona(local.without_adapter(), repetition_penalty=penalty)) != expected


@needs_llama_cpp
def test_merged_adapter_mode_gives_the_same_greedy_replies(tiny) -> None:
    _, weights, cache = tiny
    gguf_files(weights, merged=True, precision="f32", cache=cache)  # the backend finds it (float32: exact weights)
    merged = LlamaCppBackend(weights, merged=True, precision="f32")
    expected = _replies(_persona(LocalBackend(weights.base, weights.adapter, weights.tokenizer_dir, "cpu")))
    assert _replies(_persona(merged)) == expected
    assert merged.label.startswith("tiny + run 'tiny' merged (llama.cpp, ")


@needs_llama_cpp
def test_qwen2_same_greedy_replies_as_transformers_with_peft(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "ws", name="Mika", me=["1"])
    weights = run_weights(save_lora_run(ws, save_base(tmp_path / "base", "qwen2")))
    gguf_files(weights, precision="f32", cache=tmp_path / "cache")
    expected = _replies(_persona(LocalBackend(weights.base, weights.adapter, weights.tokenizer_dir, "cpu")))
    assert _replies(_persona(LlamaCppBackend(weights))) == expected
    assert len(set(expected)) > 1


@needs_llama_cpp
def test_base_only_matches_transformers_base(tiny, monkeypatch: pytest.MonkeyPatch) -> None:
    _, weights, cache = tiny
    monkeypatch.setenv("SHIZU_CACHE", str(cache))  # where the fixture wrote the float32 base GGUF
    base = Weights(base=weights.base, base_name="tiny", adapter=None, tokenizer_dir=weights.tokenizer_dir, run=None)
    llama = LlamaCppBackend(base, precision="f32")
    assert _replies(_persona(llama)) == _replies(_persona(LocalBackend(weights.base, None, weights.tokenizer_dir, "cpu")))
    assert llama.label.startswith("tiny (base model, no adapter) (llama.cpp, ")


def _greedy_ids(weights: Weights, prompt: str, count: int) -> list[int]:
    """What transformers + PEFT generate greedily after ``prompt`` (up to EOS, no penalty)."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    local = LocalBackend(weights.base, weights.adapter, weights.tokenizer_dir, "cpu")
    inputs = local.tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(weights.base), weights.adapter).eval()
    with torch.inference_mode():
        out = model.generate(**inputs, max_new_tokens=count, do_sample=False, pad_token_id=0)
    return out[0, inputs["input_ids"].shape[1]:].tolist()


@needs_llama_cpp
def test_stream_stops_after_max_new_tokens_or_a_stop_token(tiny) -> None:
    _, weights, _ = tiny
    prompt = "<|im_start|>user\nhey<|im_end|>\n<|im_start|>assistant\n"
    ids = _greedy_ids(weights, prompt, 12)
    backend = LlamaCppBackend(weights)
    decode = backend.tokenizer.decode
    greedy = GenerationConfig(temperature=0, repetition_penalty=1.0, max_new_tokens=12)
    assert "".join(backend.stream(prompt, [], greedy)) == decode(ids)
    # a stop string that is one token ends the stream right after that token (the guard sees it)
    k = next(i for i in range(4, 12) if ids[i] not in ids[:i])
    stop = backend.tokenizer.convert_ids_to_tokens(ids[k])
    assert "".join(backend.stream(prompt, [stop], greedy)) == decode(ids[: k + 1])
    # closing the stream early stops the generation and frees the model for the next one
    stream = backend.stream(prompt, [], greedy)
    next(stream)
    stream.close()
    assert "".join(backend.stream(prompt, [], greedy)) == decode(ids)


@needs_llama_cpp
def test_a_seeded_backend_samples_the_same_reply_again(tiny) -> None:
    """``shizu eval`` seeds each reply: a rerun samples the same ones (an unseeded llama.cpp draws a fresh seed each time)."""
    _, weights, _ = tiny
    backend = LlamaCppBackend(weights)
    persona = _persona(backend, temperature=1.5, top_p=1.0)

    def sampled(seed: int) -> list[str]:
        backend.seed = seed
        return _replies(persona)

    first = sampled(7)
    assert sampled(7) == first
    assert sampled(8) != first


@needs_llama_cpp
def test_workspace_setting_selects_llama_cpp(tiny) -> None:
    ws, _, _ = tiny
    text = ws.config_path.read_text(encoding="utf-8")
    ws.config_path.write_text(text.replace('backend = "transformers"', 'backend = "llama.cpp"', 1), encoding="utf-8")
    mika = Persona.load(Workspace(ws.root))
    assert isinstance(mika.backend, LlamaCppBackend)
    assert mika.backend.label.startswith("tiny + run 'tiny' (llama.cpp, ")
    reply = mika.reply(*CONVERSATIONS[0], now=NOW)
    assert reply.prompt.endswith("Bob: it looks so good<|im_end|>\n<|im_start|>assistant\n")


def test_logits_are_shaped_like_transformers_does() -> None:
    import numpy as np
    import torch
    from transformers import RepetitionPenaltyLogitsProcessor, TemperatureLogitsWarper

    from shizu.persona.backends.llamacpp import _like_transformers

    logits = np.array([2.0, -1.0, 0.5, -3.0, 4.0], dtype=np.float32)
    seen = np.array([0, 1, 1, 3])
    ids, scores = torch.tensor([seen.tolist()]), torch.tensor([logits.tolist()])
    expected = TemperatureLogitsWarper(0.7)(ids, RepetitionPenaltyLogitsProcessor(1.3)(ids, scores))[0].numpy()
    assert np.allclose(_like_transformers(1.3, 0.7)(seen, logits.copy()), expected)
    assert np.allclose(_like_transformers(1.3, 0.7)(seen, logits.copy()), [2 / 1.3 / 0.7, -1.3 / 0.7, 0.5 / 0.7, -3.9 / 0.7, 4 / 0.7])


def test_missing_llama_cpp_is_a_clear_error(tiny, monkeypatch: pytest.MonkeyPatch) -> None:
    _, weights, _ = tiny
    monkeypatch.setitem(sys.modules, "llama_cpp", None)
    with pytest.raises(PersonaError, match="The llama.cpp backend needs llama-cpp-python, which is not installed") as caught:
        LlamaCppBackend(weights).prepare()
    assert "pip install 'shizu[llamacpp]'" in (caught.value.hint or "")


@pytest.mark.slow
@needs_llama_cpp
def test_smollm2_gguf_with_exported_adapter_matches_peft(tmp_path: Path) -> None:
    """The real embedded base: the Q4_1 GGUF in llama.cpp vs its de-quantized copy in transformers.

    llama.cpp multiplies Q4_1 weights with 8-bit-quantized activations, so its logits differ from
    transformers' float32 ones by a little (mean ~0.15 here) and a free-running greedy reply can
    flip at a near-tie and continue differently. So the check is teacher-forced: along
    transformers + PEFT's greedy reply to each conversation, llama.cpp with the exported adapter
    must pick the same next token at every position where transformers' two best candidates are
    not a near-tie (0.1 logit apart), and its logits must be far closer to the adapted model's than
    to the base model's.
    """
    import numpy as np
    import torch
    from llama_cpp import Llama
    from peft import PeftModel
    from safetensors.torch import load_file, save_file
    from transformers import AutoModelForCausalLM

    from tiny_model import smollm2_dir

    ws = Workspace.create(tmp_path / "ws", name="Mika", me=["1"])
    run = save_lora_run(ws, smollm2_dir(), r=8, lora_alpha=16)
    adapter_file = run / "adapter_model.safetensors"  # a small update, like a trained adapter's
    save_file({k: v * 0.2 if "lora_B" in k else v for k, v in load_file(adapter_file).items()}, adapter_file)
    weights = run_weights(run)
    files = gguf_files(weights)
    assert files.base.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    local = LocalBackend(weights.base, weights.adapter, weights.tokenizer_dir, "cpu")
    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(weights.base), weights.adapter).eval()
    llm = Llama(model_path=str(files.base), lora_path=str(files.adapter), n_ctx=1024, logits_all=True, verbose=False)
    persona = _persona(local)
    checked = 0
    for history, place in CONVERSATIONS:
        ids = local.tokenizer(persona.prompt(history, place, now=NOW).text, add_special_tokens=False, return_tensors="pt")["input_ids"]
        with torch.inference_mode():
            sequence = model.generate(ids, max_new_tokens=32, do_sample=False, pad_token_id=0)[0]
            adapted = model(sequence[None]).logits[0, ids.shape[1] - 1 :].numpy()
            with model.disable_adapter():
                plain = model(sequence[None]).logits[0, ids.shape[1] - 1 :].numpy()
        llm.reset()
        llm.eval(sequence.tolist())
        ours = np.array(llm.scores[ids.shape[1] - 1 : len(sequence)])
        best_two = np.sort(adapted, axis=-1)[:, -2:]
        clear = best_two[:, 1] - best_two[:, 0] >= 0.1
        assert (ours.argmax(-1) == adapted.argmax(-1))[clear].all()
        assert np.abs(ours - adapted).mean() < 0.5 * np.abs(ours - plain).mean()
        checked += int(clear.sum())
    assert checked >= 60


@needs_llama_cpp
def test_the_real_check_runs_llama_cpp_in_a_child(tiny, tmp_path: Path) -> None:
    from shizu.persona.backends.llamacpp_check import check

    _, weights, cache = tiny
    files = gguf_files(weights, precision="f32", cache=cache)
    verdict = check(files.base, files.adapter, tmp_path)
    assert (verdict.ok, verdict.problem) == (True, "")
