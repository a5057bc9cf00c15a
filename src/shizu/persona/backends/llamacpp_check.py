"""Has llama.cpp been seen to run on this CPU? A child process answers, once per build and CPU.

A native library that executes an instruction the CPU refuses (llama.cpp's AMX kernels on virtual
machines that advertise AMX) kills the process with SIGILL, which Python cannot catch: a server or
a bot would go down with no message. So before llama.cpp gets a conversation, a child process
(``python -m shizu.persona.backends.llamacpp_check MODEL [ADAPTER]``) loads the model and runs a
prefill of :data:`PREFILL_TOKENS` tokens (the batched matmul path where such kernels run) plus a
few decode steps. The verdict is kept in the Shizu cache (``<cache>/llama-cpp/<key>.json``), the
key hashing llama-cpp-python's version, its native libraries (a rebuild is a new key) and the
CPU's feature flags: it is a fact about this machine, shared by every workspace on it.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import platform
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

PREFILL_TOKENS = 300
DECODE_STEPS = 4
TIMEOUT_S = 600
DOCS = "docs/runtime.md"


@dataclass(frozen=True)
class Verdict:
    """Whether llama.cpp ran on this machine, and if not, what happened."""

    ok: bool
    problem: str  # "" when ok; else e.g. "crashed on this CPU (signal 4, illegal instruction)"
    llama_cpp_python: str
    checked_at: str

    def fallback_line(self) -> str:
        """The one line a command prints when it falls back to transformers."""
        return f"llama.cpp {self.problem}; using the transformers backend. Rebuild llama-cpp-python: see {DOCS}"


def verdict_path(cache: Path) -> Path:
    """Where this build of llama-cpp-python on this CPU keeps its verdict."""
    return cache / "llama-cpp" / f"{_build_key()}.json"


def cached_verdict(cache: Path) -> Verdict | None:
    """The verdict found earlier on this machine for this build, if any."""
    try:
        return Verdict(**json.loads(verdict_path(cache).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def check(
    model: Path,
    adapter: Path | None,
    cache: Path,
    *,
    recheck: bool = False,
    say: Callable[[str], None] = lambda _: None,
) -> Verdict:
    """The cached verdict, or a new one from a child process running ``model`` (+ ``adapter``)."""
    if not recheck and (known := cached_verdict(cache)) is not None:
        return known
    say(f"checking that llama.cpp runs on this CPU (once: a {PREFILL_TOKENS}-token prefill in a child process)")
    command = child_command(model, adapter)
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
        problem = _problem(done.returncode, done.stderr)
    except subprocess.TimeoutExpired:
        problem = f"did not finish a {PREFILL_TOKENS}-token prefill in {TIMEOUT_S} s on this CPU"
    verdict = Verdict(
        ok=not problem, problem=problem, llama_cpp_python=_version(), checked_at=datetime.now(UTC).isoformat(timespec="seconds")
    )
    path = verdict_path(cache)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(verdict), indent=2) + "\n", encoding="utf-8")
    return verdict


def child_command(model: Path, adapter: Path | None) -> list[str]:
    """The command of the child process that tries llama.cpp."""
    return [sys.executable, "-m", __name__, str(model), *([str(adapter)] if adapter else [])]


def _problem(returncode: int, stderr: str) -> str:
    """"" for a clean exit, else what went wrong, in words."""
    if returncode == 0:
        return ""
    if returncode < 0:
        number = -returncode
        try:
            name = (signal.strsignal(number) or signal.Signals(number).name).lower()
        except ValueError:
            name = "unknown signal"
        return f"crashed on this CPU (signal {number}, {name})"
    last = next((line.strip() for line in reversed(stderr.splitlines()) if line.strip()), "no message")
    return f"failed on this CPU (exit {returncode}: {last})"


def _version() -> str:
    try:
        return importlib.metadata.version("llama-cpp-python")
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _build_key() -> str:
    """Hash of llama-cpp-python's version, its native libraries (size and mtime) and the CPU flags."""
    parts = [_version(), platform.machine()]
    spec = importlib.util.find_spec("llama_cpp")
    if spec is not None and spec.origin is not None:
        for lib in sorted(Path(spec.origin).parent.rglob("*.so*")) + sorted(Path(spec.origin).parent.rglob("*.dylib")):
            stat = lib.stat()
            parts.append(f"{lib.name}:{stat.st_size}:{stat.st_mtime_ns}")
    parts.append(_cpu_flags())
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def _cpu_flags() -> str:
    """The CPU's feature flags (Linux), else what the platform says about the processor."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith(("flags", "Features")):
                return " ".join(sorted(line.split(":", 1)[1].split()))
    except OSError:
        pass
    return platform.processor()


def _run(argv: Sequence[str]) -> None:
    """The child: load the model, prefill :data:`PREFILL_TOKENS` tokens, decode a few."""
    from llama_cpp import Llama

    model, adapter = argv[0], argv[1] if len(argv) > 1 else None
    llm = Llama(model_path=model, lora_path=adapter, n_ctx=PREFILL_TOKENS + DECODE_STEPS + 16, verbose=False)
    vocab = llm.n_vocab()
    prompt = [100 + (i * 7919) % max(vocab - 200, 1) for i in range(PREFILL_TOKENS)]  # spread over the vocabulary
    for count, _ in enumerate(llm.generate(prompt, temp=0.0), start=1):
        if count >= DECODE_STEPS:
            break


if __name__ == "__main__":
    _run(sys.argv[1:])
