# `make run` serves the demo forum; `make test` runs lint and the whole suite.
# Both start from a fresh clone with only Python 3.11+ and make.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint install dev checker clean translations

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The stamps make repeated runs fast and reinstall when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

dev: $(VENV)/.installed-dev

run: install
	$(BIN)/flask --app forum db upgrade
	$(BIN)/flask --app forum seed demo --if-empty
	$(BIN)/flask --app forum run --host $(HOST) --port $(PORT)

# The W3C HTML checker that tests/test_html_valid.py runs on the machine's Java: vnu.jar
# from npm, pinned by package-lock.json. --ignore-scripts: the package's install script
# would download a Java runtime of its own. Without npm the test skips (fails under CI).
VNU_JAR := node_modules/vnu-jar/build/dist/vnu.jar

$(VNU_JAR): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  echo "npm ci --ignore-scripts (the HTML checker)"; \
	  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error && touch $@; \
	else \
	  echo "npm is not installed: the HTML checker test will skip (and fail when CI is set)"; \
	fi

checker: $(VNU_JAR)

# Catalogs: strings marked in forum/ and templates/ (babel.cfg) go into messages.pot, each
# language's translations/<code>/LC_MESSAGES/messages.po is brought up to date (a new code
# in LANGUAGES gets one), and the .po files are compiled to the .mo files the app reads.
# pybabel skips directories whose names start with "_" unless --ignore-dirs is given:
# it is, so templates/_partials and templates/_macros are read too.
# The .mo files are committed (tests/test_i18n.py checks they match the .po files), so a
# fresh clone runs without this step.
TRANSLATED := es

# --ignore-dirs: pybabel skips directories starting with "_" by default, which would
# leave out templates/_partials and templates/_macros.
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 \
	  -k lazy_pgettext:1c,2 \
	  --ignore-dirs=".* node_modules" \
	  --sort-by-file --project "MS Community Forum" -o translations/messages.pot .
	@for lang in $(TRANSLATED); do \
	  if [ -f translations/$$lang/LC_MESSAGES/messages.po ]; then \
	    $(BIN)/pybabel update -i translations/messages.pot -d translations -l $$lang; \
	  else \
	    $(BIN)/pybabel init -i translations/messages.pot -d translations -l $$lang; \
	  fi; \
	done
	$(BIN)/pybabel compile -d translations --statistics

lint: dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

test: lint checker
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache node_modules
