# Everything a bare machine (Python 3.11, pip, gcc) needs: `make demo`, `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Two stamps: `make demo` needs only what govern needs at run time; `make test` (and
# `make install`) add the developer tools of the `dev` extra on top.
RUNTIME := $(VENV)/.runtime
STAMP   := $(VENV)/.installed

.PHONY: install runtime demo test lint typecheck pytest bench clean emulators

$(RUNTIME): pyproject.toml native/*.c native/*.h native/*.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip "setuptools>=77" wheel
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUNTIME)

$(STAMP): $(RUNTIME)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	# Real OPA (Go, v1.20.2) in-process for `--engine opa` and the parity tests. Its metadata
	# asks for Python 3.14 but the wheel runs on 3.11, and pyproject dependencies cannot
	# carry --ignore-requires-python, hence its own line.
	$(BIN)/python -m pip install --quiet --ignore-requires-python opa-golib-python-bindings==0.4.4
	touch $(STAMP)

runtime: $(RUNTIME)

install: $(STAMP)

demo: $(RUNTIME)
	$(BIN)/govern demo --dir demo-out

lint: $(STAMP)
	$(BIN)/ruff check src tests $(wildcard benchmarks)
	$(BIN)/ruff format --check src tests $(wildcard benchmarks)

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest -q

test: lint typecheck pytest

# Azure's storage emulator for tests/scale/test_clouds.py (npm, into a project-local folder;
# those tests skip without it). Needs node and npm.
AZURITE := .emulators/node_modules/.bin/azurite-blob
emulators: $(AZURITE)

$(AZURITE):
	npm install --prefix .emulators --no-fund --no-audit --loglevel=error azurite@3.37.0

bench: $(STAMP)
	$(BIN)/python -m pytest benchmarks --benchmark-enable -q

clean:
	rm -rf $(VENV) .emulators build demo-out src/govern/_kernels*.so src/*.egg-info
