# The two commands of the README, and a few more an operator or developer needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run demo test test-fast bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

## The main job: both reference nodes (SQLite) driven live by simulated trucks; URLs are printed.
demo: $(STAMP)
	$(BIN)/borderflow demo

## Start the Vietnamese reference node on SQLite (http://127.0.0.1:8001/docs).
run: $(STAMP)
	$(BIN)/borderflow serve --node vn

## The whole test suite: unit, property, API (SQLite and PostgreSQL), crash and schema tests.
test: $(STAMP)
	bash tests/ui/install_browser.sh
	$(BIN)/pytest -n 2 --dist loadgroup

## Without the slow process-level tests.
test-fast: $(STAMP)
	$(BIN)/pytest -n 2 -m "not slow"

bench: $(STAMP)
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/plate_reads.py
	$(BIN)/python bench/exchange.py --postgres
	$(BIN)/python bench/yard.py --postgres
	$(BIN)/python bench/simulate.py
	command -v valgrind >/dev/null || (apt-get update -qq && apt-get install -y -qq valgrind)
	$(BIN)/python bench/simulate_instructions.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
