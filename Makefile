# Polku: `make run` serves the app with demo data, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
PORT ?= 5000
CHROMIUM ?= /usr/bin/chromium

.PHONY: run test lint check worker browser clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $(STAMP)

# bpmn-js (diagrams, modeller) and axe-core, served to the browser from node_modules/.
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

## Serve on http://127.0.0.1:$(PORT) with the timer worker; demo data on first run, kept after.
run: $(STAMP) $(NODE_STAMP)
	$(BIN)/polku seed-demo
	PORT=$(PORT) $(BIN)/polku serve --port $(PORT)

## The whole suite: lint, engine, API (SQLite and PostgreSQL), browser.
test: $(STAMP) $(NODE_STAMP) browser
	$(BIN)/ruff check engine web tests
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check engine web tests

## Validate every BPMN model and form under processes/.
check: $(STAMP)
	$(BIN)/polku check

## Run the timer worker on its own (make run already runs one inside the server).
worker: $(STAMP)
	$(BIN)/polku worker

## Debian's Chromium for the browser tests (Playwright never downloads a browser here).
browser:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

clean:
	rm -rf $(VENV) node_modules instance .pytest_cache .ruff_cache
