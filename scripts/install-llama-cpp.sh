#!/usr/bin/env bash
# Builds llama-cpp-python for the CPU of THIS machine, with llama.cpp's AMX kernels off, and installs it.
#
# Why not `pip install llama-cpp-python`: there is no binary wheel, and pip builds llama.cpp with
# GGML_NATIVE (-march=native). On virtual machines whose Intel CPU advertises AMX (Sapphire Rapids),
# the AMX matmul kernels die with SIGILL (`tileloadd`) on any prompt past a few dozen tokens, and
# pip's wheel cache would then hand a wheel built on one CPU to a machine with another. So:
# - x86: GGML_NATIVE=OFF with this CPU's own instruction sets named explicitly (the same ISA a
#   native build would use, AMX always off), read from /proc/cpuinfo;
# - the wheel is cached under ~/.cache/shizu/llama-cpp-python/<key>, the key hashing the version,
#   the CMake arguments and the CPU flags, so a machine only reuses a wheel built for its own CPU.
# Other architectures (ARM, macOS) keep llama.cpp's native build: the AMX problem is x86-only.
# Usage: scripts/install-llama-cpp.sh PIP VERSION
set -euo pipefail
pip=$1
version=$2

cmake_args=${CMAKE_ARGS:-}
if [ "$(uname -m)" = x86_64 ] && [ -r /proc/cpuinfo ]; then
    flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
    has() { for f in "$@"; do [[ $flags == *" $f "* ]] || return 1; done; }
    opt() { if has "${@:2}"; then echo "-D$1=ON"; else echo "-D$1=OFF"; fi; }
    cmake_args="$cmake_args -DGGML_NATIVE=OFF $(opt GGML_SSE42 sse4_2) $(opt GGML_AVX avx) \
$(opt GGML_AVX2 avx2) $(opt GGML_BMI2 bmi2) $(opt GGML_FMA fma) $(opt GGML_F16C f16c) \
$(opt GGML_AVX_VNNI avx_vnni) $(opt GGML_AVX512 avx512f avx512cd avx512vl avx512dq avx512bw) \
$(opt GGML_AVX512_VBMI avx512vbmi) $(opt GGML_AVX512_VNNI avx512_vnni) \
$(opt GGML_AVX512_BF16 avx512_bf16) -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"
else
    flags=$(uname -sm)
fi
cmake_args=$(echo $cmake_args)
key=$(printf '%s\n%s\n%s\n' "$version" "$cmake_args" "$flags" | sha256sum | cut -c1-16)
dir=${XDG_CACHE_HOME:-$HOME/.cache}/shizu/llama-cpp-python/$version-$key

if ! ls "$dir"/llama_cpp_python-*.whl >/dev/null 2>&1; then
    echo "Building llama-cpp-python $version for this CPU (several minutes, once): $cmake_args"
    rm -rf "$dir.partial"
    CMAKE_ARGS="$cmake_args" "$pip" wheel -q --no-cache-dir --no-deps --no-binary llama-cpp-python \
        "llama-cpp-python==$version" -w "$dir.partial"
    rm -rf "$dir"
    mv "$dir.partial" "$dir"
fi
"$pip" install -q --force-reinstall --no-deps "$dir"/llama_cpp_python-*.whl
