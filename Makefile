# SocialDesk — `make run` serves the demo on http://127.0.0.1:8000; `make test` runs the suite.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
BENCH ?=
# The first interpreter that is Python 3.12 or newer: pyenv's pin, then the usual names.
PYTHON ?= $(shell for c in $$(command -v pyenv >/dev/null && pyenv which python 2>/dev/null) python3.13 python3.12 python3 python; do \
	command -v $$c >/dev/null 2>&1 && $$c -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null && { command -v $$c; break; }; done)

.PHONY: run setup install migrate demo test test-fast e2e bench lint typecheck messages clean

run: setup ## install, migrate, load demo data, serve on 127.0.0.1:8000 with a task worker
	$(PY) manage.py serve

setup: install ## install, migrate and load demo data without serving
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo_data

$(PY):
	@if [ -z "$(PYTHON)" ]; then echo "SocialDesk needs Python 3.12 or newer; none was found on PATH (tried pyenv, python3.13, python3.12, python3, python). Install Python 3.12+ and run make again." >&2; exit 1; fi
	@echo "Creating $(VENV) with $(PYTHON)"
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.lock | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	@touch $(STAMP)

install: $(STAMP)

test: install ## the whole suite on SQLite, or on PostgreSQL when DATABASE_URL is set
	$(PY) -m pytest

e2e: install ## browser tests (Playwright driving Debian's chromium)
	$(PY) -m pytest e2e -p no:cacheprovider

bench: install ## benchmarks: make bench [BENCH=area]
	$(PY) -m bench $(BENCH)

lint: install ## ruff and mypy
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

messages: install ## update the zh-Hant and English catalogues and compile them
	$(PY) manage.py makemessages --locale zh_Hant --locale en --ignore '.venv/*' --ignore 'var/*' --ignore 'e2e/*' --no-obsolete
	$(PY) manage.py compilemessages --ignore '.venv/*'

clean:
	rm -rf $(VENV) var
