# Two commands do all the set-up on a fresh machine (Python 3.11+):
#   make demo   -> install into .venv, then run the whole pipeline on the shipped sample and print metrics
#   make test   -> install into .venv, then run the whole test suite (pytest: unit, dbt build, lint)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup demo test lint bench clean emulator

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -qq --upgrade pip
	$(BIN)/python -m pip install -qq -e '.[dev]'
	touch $@

demo: setup
	$(BIN)/impact demo

# Two workers, one test file each at a time (session fixtures are built per worker); TEST_WORKERS=0 runs serially.
TEST_WORKERS ?= 2
test: setup
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The local BigQuery emulator the tests run against: its own Python 3.13 venv in .cache/bq-emulator (idempotent;
# the tests also install it on first use). IMPACT_BQ_EMULATOR_PYTHON names the Python 3.13 if it is not found.
emulator:
	$(PYTHON) tests/bqemulator.py install

bench: setup
	$(BIN)/python bench/bench_github_filter.py

clean:
	rm -rf target logs data .impact warehouse.duckdb warehouse.duckdb.wal
