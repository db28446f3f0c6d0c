# The two commands of the quick start: `make run` and `make test`.
# Each sets up what it needs: a virtual environment with the project's
# packages, compiled translations and, for the tests, Debian packages.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
CATALOGS := $(wildcard translations/*/LC_MESSAGES/*.po)
COMPILED := $(CATALOGS:.po=.mo)
# Debian packages the tests need: the browser tests drive Chromium;
# LibreOffice and poppler check that generated Word files open and paginate.
TEST_DEBS := chromium fonts-noto-cjk libreoffice-writer-nogui poppler-utils

# `make run DEMO=0` starts without loading the demo organisation.
DEMO ?= 1

.PHONY: run test lint setup system-deps messages clean

# Into an empty database (no users, no records) the demo organisation is
# loaded first; otherwise `portal demo --if-empty` does nothing.
run: setup
	@if [ "$(DEMO)" != 0 ]; then $(BIN)/portal demo --if-empty; fi
	$(BIN)/portal serve

test: setup system-deps
	$(BIN)/ruff check .
	$(BIN)/pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .

setup: $(STAMP) $(COMPILED)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

translations/%.mo: translations/%.po $(STAMP)
	$(BIN)/pybabel compile -i $< -o $@

system-deps:
	@missing=""; \
	for p in $(TEST_DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	  else \
	    echo "The tests need these Debian packages; install them as root:"; \
	    echo "  sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

# Re-extract the message catalogs after changing user-facing strings.
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ -k texts --no-location --sort-output -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations -D messages --no-fuzzy-matching

clean:
	rm -rf $(VENV) translations/*/LC_MESSAGES/*.mo
