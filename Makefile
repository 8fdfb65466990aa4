# Polku: `make run` serves the app with demo data, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
BUNDLE := web/static/build/polku-bpmn.js
PORT ?= 5000
CHROMIUM ?= /usr/bin/chromium

.PHONY: run run-dev run-postgres test lint check worker browser clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $(STAMP)

# bpmn-js (diagrams, modeller) and axe-core, served to the browser from node_modules/.
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

# The bpmn.io components that must share one diagram-js (the modeller with its properties
# panel, the version diff) bundled by esbuild from web/assets/ (`npm run build` does the same).
$(BUNDLE): $(NODE_STAMP) $(wildcard web/assets/*.js web/assets/*/*.js web/assets/*/*.json)
	npm run --silent build

# make run is a demo: demo accounts with the public password, a secret key made in instance/.
DEMO := POLKU_DEMO=1

## Demo on http://127.0.0.1:$(PORT): upgrade (or create) instance/polku.db keeping its data, demo
## data on first run, gunicorn and a timer worker process. Ctrl-C stops everything.
run: $(STAMP) $(NODE_STAMP) $(BUNDLE)
	$(DEMO) $(BIN)/polku db upgrade
	$(DEMO) $(BIN)/polku seed-demo
	$(DEMO) PORT=$(PORT) $(BIN)/polku serve --port $(PORT)

## The same on Flask's development server (one process, the timer worker as a thread).
run-dev: $(STAMP) $(NODE_STAMP) $(BUNDLE)
	$(DEMO) $(BIN)/polku db upgrade
	$(DEMO) $(BIN)/polku seed-demo
	$(DEMO) PORT=$(PORT) $(BIN)/polku serve --dev --port $(PORT)

## The demo on a throwaway PostgreSQL started from the machine's own binaries (removed on exit).
run-postgres: $(STAMP) $(NODE_STAMP) $(BUNDLE)
	$(DEMO) PORT=$(PORT) $(BIN)/python -m tests.postgres --serve

## The whole suite: lint, engine, API (SQLite and PostgreSQL), browser.
test: $(STAMP) $(NODE_STAMP) $(BUNDLE) browser lint
	$(BIN)/python -m pytest

## ruff, mypy, and the import-linter contracts (web -> engine.services -> the rest; no Flask
## in the engine).
lint: $(STAMP)
	$(BIN)/ruff check engine web tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

## Validate every BPMN model and form under processes/.
check: $(STAMP)
	$(BIN)/polku check

## Run a timer worker on its own (make run already starts one).
worker: $(STAMP)
	$(DEMO) $(BIN)/polku worker

## Debian's Chromium for the browser tests (Playwright never downloads a browser here).
browser:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

clean:
	rm -rf $(VENV) node_modules instance .pytest_cache .ruff_cache
