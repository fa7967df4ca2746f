# Two commands do all the set-up on a fresh machine (Python 3.11+):
#   make demo   -> install into .venv, then run the whole pipeline on the shipped sample and print metrics
#   make test   -> install into .venv, then run the whole test suite (pytest: unit, dbt build, lint)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup demo test lint bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -qq --upgrade pip
	$(BIN)/python -m pip install -qq -e '.[dev]'
	touch $@

demo: setup
	$(BIN)/impact demo

test: setup
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: setup
	$(BIN)/python bench/bench_github_filter.py

clean:
	rm -rf target logs data .impact warehouse.duckdb warehouse.duckdb.wal
