"""Writing GGUF files with the ``gguf`` library, atomically."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def gguf_writer(path: Path, arch: str) -> Iterator[Any]:
    """A ``GGUFWriter`` for ``path``: fill it in the ``with`` block; the file appears whole or not at all.

    Tensors are spooled to a temporary file as they are added, so a large model is never held
    in memory twice.
    """
    import gguf

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    writer = gguf.GGUFWriter(tmp, arch, use_temp_file=True)
    try:
        yield writer
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        tmp.replace(path)
    finally:
        writer.close()
        tmp.unlink(missing_ok=True)

