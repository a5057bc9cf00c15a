"""``shizu export``: a trained run in the formats other inference stacks load.

* ``--gguf``: a llama.cpp LoRA adapter (:mod:`.gguf_lora`) for the run's base model as GGUF
  (the original GGUF it came from, or one written by :mod:`.gguf_base`), and an Ollama
  ``Modelfile`` whose template renders exactly like training (:mod:`.modelfile`). Everything is
  written with the ``gguf`` library's ``GGUFWriter`` and tensor-name maps, for the ``llama`` and
  ``qwen2`` architectures (:mod:`.arch`).
* ``--merged``: the base with the adapter merged in, as a safetensors folder (:mod:`.merged`).

:mod:`.pipeline` decides where files go and is what the CLI and the llama.cpp backend call.
"""
