# Two entry points that set everything up themselves on a fresh machine
# (Python 3.11 is the prerequisite; g++, Verilator, yosys and tcl come from apt when run as root):
#   make run    the main job: toolkit build --board pynq-z2 on the bundled digits model (simulated)
#   make test   lint + the test suite, in parallel; the verilator, yosys, C++ and Tcl tiers are
#               required (a missing tool fails the run; `make test REQUIRE_TIERS=` lets them skip)
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Test tiers that must run (toolkit doctor --require; the suite refuses to start without them).
REQUIRE_TIERS ?= verilator,yosys,cxx,tcl
# pytest-xdist: tests that share a build folder or cache are safe in parallel (tests/README.md).
PYTEST_ARGS ?= -n 2 --dist loadgroup --durations=25

.PHONY: run test lint bench clean-venv system-deps tiers

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,meters,ga,notebooks,sweep]'
	touch $(STAMP)

system-deps:
	bash scripts/system-deps.sh

run: $(STAMP)
	bash scripts/system-deps.sh --optional
	$(BIN)/toolkit build --board pynq-z2

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

tiers: $(STAMP) system-deps
	$(BIN)/toolkit doctor --require "$(REQUIRE_TIERS)"

test: lint tiers
	TOOLKIT_REQUIRE_TIERS="$(REQUIRE_TIERS)" $(BIN)/python -m pytest -ra $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python benchmarks/emulator_throughput.py

clean-venv:
	rm -rf $(VENV)
