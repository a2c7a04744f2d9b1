# Everything a fresh machine needs, from python3 and make alone.
#   make check   offline preview of the dev stack (creates .venv on first use)
#   make test    the test suite
#   make lint    ruff and mypy

PYTHON ?= python3
VENV   ?= .venv
STACK  ?= dev
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: check preview test lint format clean

PIP := $(BIN)/python -m pip --quiet --quiet --disable-pip-version-check

$(STAMP): pyproject.toml
	@echo "setting up $(VENV) (first run only, about a minute)"
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade "pip>=24"
	$(PIP) install -e '.[dev]'
	@touch $(STAMP)

check: $(STAMP)
	$(BIN)/guardrails preview --stack $(STACK)

preview: check

test: $(STAMP)
	$(BIN)/python -m pytest -n auto

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
