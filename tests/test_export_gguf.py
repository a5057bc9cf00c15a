"""``shizu export --gguf``: the GGUF LoRA and base writers, the Modelfile, where files go, the CLI.

The files are read back with the ``gguf`` library's reader and compared with the PEFT adapter
and the Hugging Face weights. That llama.cpp itself answers like transformers with them is
tested in test_persona_llamacpp.py.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from llamacpp_helpers import save_base, save_lora_run
from persona_helpers import chatml_tokenizer
from shizu.config import GenerationConfig
from shizu.errors import ExportError, PersonaError
from shizu.export.arch import read_arch, rope_permute
from shizu.export.modelfile import chat_layout, modelfile
from shizu.export.pipeline import base_gguf, export_gguf, gguf_files
from shizu.persona.run import run_weights
from shizu.runs import Weights
from shizu.workspace import Workspace


def _read(path: Path) -> tuple[dict[str, object], dict[str, np.ndarray]]:
    """The metadata fields and the tensors of a GGUF file, read back with the gguf library."""
    import gguf

    reader = gguf.GGUFReader(path)
    fields = {key: field.contents() for key, field in reader.fields.items() if not key.startswith("GGUF.")}
    return fields, {t.name: np.array(t.data) for t in reader.tensors}


def _peft(run: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    return load_file(run / "adapter_model.safetensors")


@pytest.fixture(scope="module")
def llama_base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A tiny llama base and a cache folder that already holds its f32 GGUF (shared by the module)."""
    root = tmp_path_factory.mktemp("llama")
    base, cache = save_base(root / "base", "llama"), root / "cache"
    base_gguf(base, precision="f32", cache=cache)
    return base, cache


def _workspace(root: Path) -> Workspace:
    return Workspace.create(root, name="Mika", me=["1"])


@pytest.fixture
def llama_run(llama_base: tuple[Path, Path], tmp_path: Path) -> tuple[Workspace, Weights, Path]:
    base, cache = llama_base
    ws = _workspace(tmp_path / "ws")
    return ws, run_weights(save_lora_run(ws, base)), cache


def _run(llama_base: tuple[Path, Path], tmp_path: Path, **lora: object) -> Weights:
    return run_weights(save_lora_run(_workspace(tmp_path / "ws"), llama_base[0], **lora))


def test_rope_permute_interleaves_each_heads_halves() -> None:
    rows = np.arange(8).reshape(8, 1)  # 2 heads of 4 dims: halves [0 1|2 3], [4 5|6 7]
    assert rope_permute(rows, heads=2)[:, 0].tolist() == [0, 2, 1, 3, 4, 6, 5, 7]


def test_lora_file_holds_peft_update_in_llama_cpp_layout(llama_run) -> None:
    ws, weights, cache = llama_run
    files = export_gguf(weights, weights.adapter / "gguf", precision="f32", cache=cache)
    fields, lora = _read(files.adapter)
    assert fields["general.type"] == "adapter"
    assert fields["general.architecture"] == "llama"
    assert fields["adapter.type"] == "lora"
    assert fields["adapter.lora.alpha"] == 8.0
    peft = _peft(weights.adapter)
    assert len(lora) == 2 * 7 * 2  # A and B of q, k, v, o, gate, up, down in 2 layers
    prefix = "base_model.model.model.layers.1"
    assert np.array_equal(lora["blk.1.attn_v.weight.lora_a"], peft[f"{prefix}.self_attn.v_proj.lora_A.weight"])
    assert np.array_equal(lora["blk.1.attn_v.weight.lora_b"], peft[f"{prefix}.self_attn.v_proj.lora_B.weight"])
    assert np.array_equal(lora["blk.1.ffn_down.weight.lora_b"], peft[f"{prefix}.mlp.down_proj.lora_B.weight"])
    # q and k rows are permuted for llama.cpp's rope, like the base tensors they add to
    assert np.array_equal(lora["blk.1.attn_q.weight.lora_b"], rope_permute(peft[f"{prefix}.self_attn.q_proj.lora_B.weight"], 4))
    assert np.array_equal(lora["blk.1.attn_k.weight.lora_b"], rope_permute(peft[f"{prefix}.self_attn.k_proj.lora_B.weight"], 2))
    assert not np.array_equal(lora["blk.1.attn_k.weight.lora_b"], peft[f"{prefix}.self_attn.k_proj.lora_B.weight"])


def test_base_gguf_matches_the_hugging_face_weights(llama_run) -> None:
    import torch
    from transformers import AutoModelForCausalLM

    _, weights, cache = llama_run
    path = base_gguf(weights.base, precision="f32", cache=cache)
    assert path.parent == cache / "gguf"
    fields, tensors = _read(path)
    hf = {k: v.numpy() for k, v in AutoModelForCausalLM.from_pretrained(weights.base, dtype=torch.float32).state_dict().items()}
    assert np.array_equal(tensors["token_embd.weight"], hf["model.embed_tokens.weight"])
    assert np.array_equal(tensors["blk.0.attn_q.weight"], rope_permute(hf["model.layers.0.self_attn.q_proj.weight"], 4))
    assert np.array_equal(tensors["blk.0.ffn_up.weight"], hf["model.layers.0.mlp.up_proj.weight"])
    assert "output.weight" not in tensors  # tied to the embeddings
    assert len(tensors) == 1 + 1 + 2 * 9
    assert (fields["llama.block_count"], fields["llama.attention.head_count"], fields["llama.attention.head_count_kv"]) == (2, 4, 2)
    assert fields["tokenizer.ggml.model"] == "gpt2"
    assert fields["tokenizer.ggml.pre"] == "gpt-2"
    tokens = fields["tokenizer.ggml.tokens"]
    assert len(tokens) == 49152 and tokens[2] == "<|im_end|>" and tokens[100] == "t"
    assert fields["tokenizer.ggml.token_type"][:3] == [3, 3, 3] and fields["tokenizer.ggml.token_type"][100] == 1
    assert (fields["tokenizer.ggml.bos_token_id"], fields["tokenizer.ggml.eos_token_id"]) == (1, 2)
    assert len(fields["tokenizer.ggml.merges"]) == 48900
    assert "<|im_start|>" in fields["tokenizer.chat_template"]
    # written once, then reused
    mtime = path.stat().st_mtime_ns
    assert base_gguf(weights.base, precision="f32", cache=cache) == path and path.stat().st_mtime_ns == mtime


def test_qwen2_is_written_without_permutation_and_with_biases(tmp_path: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM

    base = save_base(tmp_path / "base", "qwen2")
    weights = run_weights(save_lora_run(_workspace(tmp_path / "ws"), base))
    files = export_gguf(weights, tmp_path / "out", precision="f32", cache=tmp_path / "cache")
    (base_fields, tensors), (lora_fields, lora) = _read(files.base), _read(files.adapter)
    assert base_fields["general.architecture"] == lora_fields["general.architecture"] == "qwen2"
    assert base_fields["tokenizer.ggml.pre"] == "gpt-2"
    peft = _peft(weights.adapter)
    hf = {k: v.numpy() for k, v in AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32).state_dict().items()}
    assert np.array_equal(tensors["blk.0.attn_q.weight"], hf["model.layers.0.self_attn.q_proj.weight"])
    assert np.array_equal(tensors["blk.0.attn_k.bias"], hf["model.layers.0.self_attn.k_proj.bias"])
    assert np.abs(tensors["blk.0.attn_k.bias"]).max() > 0
    assert np.array_equal(lora["blk.0.attn_q.weight.lora_b"], peft["base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight"])


def test_per_module_alpha_and_rank_are_folded_into_b(llama_base, tmp_path: Path) -> None:
    weights = _run(llama_base, tmp_path, alpha_pattern={"o_proj": 32}, rank_pattern={"up_proj": 2})
    files = export_gguf(weights, tmp_path / "out", precision="f32", cache=llama_base[1])
    lora, peft = _read(files.adapter)[1], _peft(weights.adapter)
    prefix = "base_model.model.model.layers.0"
    # o_proj: PEFT scales by 32/4, llama.cpp by alpha/r = 8/4: B carries the factor 4
    assert np.allclose(lora["blk.0.attn_output.weight.lora_b"], 4 * peft[f"{prefix}.self_attn.o_proj.lora_B.weight"])
    # up_proj: rank 2, alpha 8 -> both scale by 8/2: unchanged
    assert lora["blk.0.ffn_up.weight.lora_a"].shape == (2, 32)
    assert np.array_equal(lora["blk.0.ffn_up.weight.lora_b"], peft[f"{prefix}.mlp.up_proj.lora_B.weight"])


def test_rslora_scale_is_folded_into_b(llama_base, tmp_path: Path) -> None:
    weights = _run(llama_base, tmp_path, use_rslora=True)
    files = export_gguf(weights, tmp_path / "out", precision="f32", cache=llama_base[1])
    b = _read(files.adapter)[1]["blk.0.ffn_gate.weight.lora_b"]
    # PEFT: 8 / sqrt(4) = 4; llama.cpp: 8 / 4 = 2 -> factor 2
    assert np.allclose(b, 2 * _peft(weights.adapter)["base_model.model.model.layers.0.mlp.gate_proj.lora_B.weight"])


@pytest.mark.parametrize(
    ("settings", "message"),
    [({"use_dora": True}, "it uses DoRA"), ({"modules_to_save": ["lm_head"]}, "it saves whole modules (lm_head)")],
)
def test_adapters_llama_cpp_cannot_hold_are_refused(llama_base, tmp_path: Path, settings: dict, message: str) -> None:
    weights = _run(llama_base, tmp_path, **settings)
    with pytest.raises(ExportError) as caught:
        export_gguf(weights, tmp_path / "out", precision="f32", cache=llama_base[1])
    assert caught.value.message == f"{weights.adapter / 'adapter_config.json'}: the adapter cannot be written as a llama.cpp LoRA: {message}"
    assert not (tmp_path / "out" / "adapter.gguf").exists()


def test_a_base_of_other_shapes_is_refused_before_writing(llama_base, tmp_path: Path) -> None:
    from shizu.export.gguf_lora import read_lora
    from shizu.export.hf_weights import shapes

    weights = _run(llama_base, tmp_path)
    arch, good = read_arch(weights.base), shapes(weights.base)
    narrow = {**good, "model.layers.0.self_attn.q_proj.weight": (16, 32)}
    with pytest.raises(ExportError, match=r"update of model.layers.0.self_attn.q_proj is 32x32 \(rank 4\), the base weight is 16x32"):
        read_lora(weights.adapter, arch, narrow)
    missing = {k: v for k, v in good.items() if k != "model.layers.1.mlp.up_proj.weight"}
    with pytest.raises(ExportError, match="The adapter changes model.layers.1.mlp.up_proj, which the base model does not have"):
        read_lora(weights.adapter, arch, missing)
    assert len(read_lora(weights.adapter, arch, good).pairs) == 14


def test_merged_gguf_holds_base_plus_update(llama_base, tmp_path: Path) -> None:
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    weights = _run(llama_base, tmp_path, use_rslora=True)
    files = gguf_files(weights, merged=True, precision="f32", cache=llama_base[1])
    assert files == type(files)(base=weights.adapter / "gguf" / "merged-f32.gguf", adapter=None)
    fields, tensors = _read(files.base)
    merged = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(weights.base), weights.adapter).merge_and_unload()
    hf = {k: v.detach().numpy() for k, v in merged.state_dict().items()}
    assert fields["general.name"] == "tiny (adapter merged)"
    assert np.allclose(tensors["blk.1.attn_k.weight"], rope_permute(hf["model.layers.1.self_attn.k_proj.weight"], 2), atol=1e-6)
    assert np.allclose(tensors["blk.0.ffn_down.weight"], hf["model.layers.0.mlp.down_proj.weight"], atol=1e-6)
    assert np.array_equal(tensors["token_embd.weight"], hf["model.embed_tokens.weight"])


def test_q8_0_base_quantizes_matrices_only(llama_base, tmp_path: Path) -> None:
    import gguf

    path = base_gguf(llama_base[0], cache=tmp_path / "cache")  # q8_0 by default
    assert path.name.endswith("-q8_0.gguf")
    types = {t.name: t.tensor_type.name for t in gguf.GGUFReader(path).tensors}
    assert types["blk.0.attn_q.weight"] == types["token_embd.weight"] == "Q8_0"
    assert types["blk.0.attn_norm.weight"] == types["output_norm.weight"] == "F32"


def test_unsupported_architecture_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "gpt2"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "gpt2"}), encoding="utf-8")
    with pytest.raises(ExportError, match=r"model_type 'gpt2' cannot be exported to llama.cpp by Shizu \(supported: llama, qwen2\)"):
        read_arch(folder)


def test_unknown_pre_tokenizer_is_refused(llama_base, tmp_path: Path) -> None:
    base = shutil.copytree(llama_base[0], tmp_path / "base")
    spec = json.loads((base / "tokenizer.json").read_text(encoding="utf-8"))
    spec["pre_tokenizer"] = {"type": "Whitespace"}
    (base / "tokenizer.json").write_text(json.dumps(spec), encoding="utf-8")
    with pytest.raises(ExportError, match=r"no known name for this tokenizer's pre-tokenizer \(Whitespace\)"):
        base_gguf(base, cache=tmp_path / "cache")
    assert not list((tmp_path / "cache" / "gguf").iterdir())


def test_base_converted_from_a_gguf_is_exported_as_that_gguf(llama_base, tmp_path: Path) -> None:
    import hashlib

    base = shutil.copytree(llama_base[0], tmp_path / "base")
    original = tmp_path / "orig.gguf"
    original.write_bytes(b"GGUF stand-in")
    record = {"source": str(original), "gguf_sha256": hashlib.sha256(original.read_bytes()).hexdigest(), "weights_sha256": "x"}
    (base / "shizu-base.json").write_text(json.dumps(record), encoding="utf-8")
    assert base_gguf(base, cache=tmp_path / "cache") == original
    original.write_bytes(b"other bytes")  # not the file the base came from any more: write one
    assert base_gguf(base, cache=tmp_path / "cache").parent == tmp_path / "cache" / "gguf"


def test_gguf_files_reuses_an_export_and_redoes_a_broken_one(llama_run) -> None:
    _, weights, cache = llama_run
    first = gguf_files(weights, precision="f32", cache=cache)
    assert first.adapter == weights.adapter / "gguf" / "adapter.gguf"
    manifest = json.loads((weights.adapter / "gguf" / "export.json").read_text(encoding="utf-8"))
    assert manifest["base_gguf"] == str(first.base) and manifest["stop"] == ["<|im_end|>", "<|im_start|>"]
    stamp = first.adapter.stat().st_mtime_ns
    said: list[str] = []
    assert gguf_files(weights, precision="f32", cache=cache, say=said.append) == first
    assert first.adapter.stat().st_mtime_ns == stamp and said == []
    first.adapter.unlink()
    assert gguf_files(weights, precision="f32", cache=cache, say=said.append) == first
    assert first.adapter.is_file() and said[0].startswith("writing the llama.cpp adapter of run 'tiny' once")


def test_modelfile_template_renders_like_training() -> None:
    tokenizer = chatml_tokenizer()
    layout = chat_layout(tokenizer)
    assert (layout.head, layout.sep, layout.between, layout.eot) == ("<|im_start|>", "\n", "<|im_end|>\n<|im_start|>", "<|im_end|>")
    text = modelfile("/models/base.gguf", "./adapter.gguf", layout, GenerationConfig(temperature=0.7), "mika")
    assert text == (
        "# mika: made by `shizu export --gguf`. Build it with: ollama create mika -f Modelfile\n"
        "FROM /models/base.gguf\n"
        "ADAPTER ./adapter.gguf\n"
        'TEMPLATE """<|im_start|>{{ range $i, $m := .Messages }}{{ if $i }}<|im_end|>\n<|im_start|>{{ end }}'
        '{{ $m.Role }}\n{{ $m.Content }}{{ end }}<|im_end|>\n<|im_start|>assistant\n"""\n'
        'PARAMETER stop "<|im_end|>"\n'
        'PARAMETER stop "<|im_start|>"\n'
        "PARAMETER temperature 0.7\nPARAMETER top_p 0.95\nPARAMETER repeat_penalty 1.1\nPARAMETER num_predict 160\n"
    )


def test_templates_that_are_not_plain_turns_are_refused() -> None:
    tokenizer = chatml_tokenizer()
    tokenizer.chat_template = (  # the system turn gets a date line the Go template could not reproduce
        "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{% if m['role'] == 'system' %}Today: 2024\n{% endif %}"
        "{{ m['content'] }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
    )
    with pytest.raises(ExportError, match="writes turns of different roles differently"):
        chat_layout(tokenizer)


def test_cli_export_gguf_and_merged(llama_run, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from shizu.cli import app

    ws, weights, cache = llama_run
    runner = CliRunner()
    none = runner.invoke(app, ["export", "-w", str(ws.root)])
    assert none.exit_code == 2 and "choose --gguf, --merged or both" in none.output
    env = {"SHIZU_CACHE": str(cache)}
    result = runner.invoke(app, ["export", "-w", str(ws.root), "--gguf", "--merged", "--out", str(tmp_path / "x"), "--base-precision", "f32"], env=env)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "x" / "gguf").iterdir()) == ["Modelfile", "adapter.gguf", "export.json"]
    assert (tmp_path / "x" / "merged" / "model.safetensors").is_file()
    assert "wrote the merged model to" in result.output and "adapter.gguf (14 adapted matrices, rank 4, alpha 8)" in result.output
    shutil.rmtree(weights.adapter)
    gone = runner.invoke(app, ["export", "-w", str(ws.root), "--gguf"], env=env)
    assert isinstance(gone.exception, PersonaError) and gone.exception.message == f"No trained run in {ws.runs_dir}"
