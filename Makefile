# Pitchpanel: two commands do all the set-up on a fresh machine.
#   make run   builds .venv, installs pinned requirements and the NHS.UK assets, migrates the
#              SQLite database in instance/, loads the demo event the first time, prints the demo
#              sign-ins and serves http://127.0.0.1:5000
#   make test  installs the dev requirements and runs the whole suite (browser tests included)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
NHSUK := node_modules/nhsuk-frontend/dist/nhsuk
VENDOR := static/vendor/nhsuk
export FLASK_APP := app:create_app

.PHONY: run test assets venv dev-venv lint migrate demo clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.stamp-runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.stamp-dev: requirements-dev.txt requirements.txt $(VENV)/.stamp-runtime
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.stamp-runtime
dev-venv: $(VENV)/.stamp-dev

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

$(VENDOR)/.stamp: node_modules/.package-lock.json Makefile
	rm -rf $(VENDOR)
	mkdir -p $(VENDOR)
	cp $(NHSUK)/nhsuk-frontend.min.css $(NHSUK)/nhsuk-frontend.min.js $(VENDOR)/
	# Drop the @font-face rules that load Frutiger from assets.nhs.uk: no page should make
	# third-party requests (and CSP would block them). The stack falls back to Arial.
	sed -i -E 's/@font-face\{[^}]*\}//g' $(VENDOR)/nhsuk-frontend.min.css
	cp -r $(NHSUK)/assets $(VENDOR)/assets
	touch $@

assets: $(VENDOR)/.stamp

instance/secret_key:
	mkdir -p instance
	umask 077 && $(BIN)/python -c "import secrets; print(secrets.token_hex(32))" > $@

migrate: venv instance/secret_key
	$(BIN)/flask db upgrade

demo: migrate
	$(BIN)/flask demo load --if-empty

run: venv assets demo
	$(BIN)/flask run --host 127.0.0.1 --port 5000

test: dev-venv assets
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: dev-venv
	$(BIN)/ruff check .

bench: dev-venv
	$(BIN)/python bench/score_burst.py

clean:
	rm -rf $(VENV) node_modules static/vendor .pytest_cache
