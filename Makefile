# Two entry points that set everything up themselves on a fresh machine
# (Python 3.11 and g++ are the only prerequisites):
#   make run    the main job on the built-in default (bundled digits model)
#   make test   lint + the test suite (hardware tiers skip when their tool is absent)
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench clean-venv

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/toolkit emulate

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/python -m pytest -ra $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python benchmarks/emulator_throughput.py

clean-venv:
	rm -rf $(VENV)
