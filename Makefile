# The two set-up commands are `make run` and `make test`; each creates .venv and installs.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench lint install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	command -v pdftoppm >/dev/null || apt-get install -y --no-install-recommends poppler-utils
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/icsr-gateway demo

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Each benchmark prints its figures (medians, ratios measured in the same run); none fails
# on a missed target.
bench: $(STAMP)
	$(BIN)/python -m bench.pipeline
	$(BIN)/python -m bench.intake
	$(BIN)/python -m bench.e2b
	$(BIN)/python -m bench.normaliser
	$(BIN)/python -m bench.meddra
	$(BIN)/python -m bench.lifecycle
	$(BIN)/python -m bench.threading

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
