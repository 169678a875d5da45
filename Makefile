# Two entry points that set everything up themselves on a fresh machine
# (Python 3.11 is the prerequisite; g++, Verilator, yosys and tcl come from apt when run as root):
#   make run    the main job: toolkit build --board pynq-z2 on the bundled digits model (simulated)
#   make test   lint + the test suite (hardware tiers skip when their tool is absent)
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench clean-venv system-deps

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

system-deps:
	bash scripts/system-deps.sh

run: $(STAMP) system-deps
	$(BIN)/toolkit build --board pynq-z2

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint system-deps
	$(BIN)/python -m pytest -ra $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python benchmarks/emulator_throughput.py

clean-venv:
	rm -rf $(VENV)
